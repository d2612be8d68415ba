/**
 * The counting contract between the decision step and a store (in-process or Redis-backed): one
 * synchronous `consume` per request, so counting never adds a wait to a check.
 *
 * @module
 */
import type { QuotaPeriod } from '../api/v1alpha1/usage-plan.js'
import type { Throttle } from './token-bucket.js'

export type { Throttle } from './token-bucket.js'

export interface Quota {
  readonly limit: number
  readonly period: QuotaPeriod
  readonly offset: number
}

/** What one request spends, as compiled from the key's usage plan for the API stage. */
export interface UsageRequest {
  /** `namespace/name` of the UsagePlan: counts are per plan and key, as on AWS. */
  readonly plan: string
  /** `namespace/name` of the ApiKey (never its value). */
  readonly key: string
  readonly planThrottle: Throttle | undefined
  /** A per-method throttle of the plan for this API stage and method, with a stable id. */
  readonly methodThrottle: { readonly id: string; readonly limits: Throttle } | undefined
  readonly quota: Quota | undefined
}

export type UsageResult = 'allowed' | 'throttled' | 'quota_exceeded'

export interface KeyUsage {
  readonly used: number
  readonly remaining: number
  readonly periodStart: number
}

export interface UsageCounter {
  /** Takes one request's tokens and quota, or none of them when the answer is not `allowed`. */
  consume(r: UsageRequest, nowMs: number): UsageResult
  /** Quota used and remaining in the period containing `nowMs` (like AWS's GetUsage). */
  usage(plan: string, key: string, quota: Quota, nowMs: number): KeyUsage
}
