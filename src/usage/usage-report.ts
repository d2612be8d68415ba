/**
 * The usage read-out (as AWS's GetUsage): per plan with a quota, per key, the requests used and
 * remaining in the current period. Served as JSON on the metrics port (`/usage`) and printed by
 * `portcullis check --json`. Keys appear by id, never by value.
 *
 * @module
 */
import type { UsageIndex } from '../compile/usage-index.js'
import type { QuotaPeriod } from '../api/v1alpha1/usage-plan.js'
import type { UsageCounter } from './usage-counter.js'

export interface KeyUsageReport {
  readonly key: string
  readonly customerId?: string
  readonly used: number
  readonly remaining: number
  readonly period: QuotaPeriod
  readonly periodStart: string
}

export interface UsageReport {
  readonly plans: readonly { readonly plan: string; readonly keys: readonly KeyUsageReport[] }[]
}

/** Plans without a quota are listed with no keys: there is nothing to use up. */
export function buildUsageReport(
  index: UsageIndex,
  counter: UsageCounter,
  nowMs: number,
): UsageReport {
  return {
    plans: index.planList.map((plan) => {
      const quota = plan.quota
      return {
        plan: plan.ref,
        keys:
          quota === undefined
            ? []
            : plan.keys.map((key) => {
                const u = counter.usage(plan.ref, key, quota, nowMs)
                const customerId = index.keysById.get(key)?.customerId
                return {
                  key,
                  ...(customerId !== undefined ? { customerId } : {}),
                  used: u.used,
                  remaining: u.remaining,
                  period: quota.period,
                  periodStart: new Date(u.periodStart).toISOString(),
                }
              }),
      }
    }),
  }
}
