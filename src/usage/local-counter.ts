/**
 * In-process counting: token buckets and quota counters in memory. Exact for one replica; with
 * several replicas each enforces the full limits on its own share of the traffic.
 *
 * @module
 */
import { periodStart } from './quota-period.js'
import { newBucket, refill, type BucketState, type Throttle } from './token-bucket.js'
import type { KeyUsage, Quota, UsageCounter, UsageRequest, UsageResult } from './usage-counter.js'

interface QuotaState {
  start: number
  used: number
}

/** One plan/key pair's buckets and quota counter. */
interface PairState {
  plan: BucketState | undefined
  /** Per-method buckets by the method throttle's id. */
  methods: Map<string, BucketState> | undefined
  quota: QuotaState | undefined
}

export class LocalUsageCounter implements UsageCounter {
  /**
   * plan → key → state. Nested rather than keyed by one `plan\nkey` string, so a check builds no
   * string: plan and key are the snapshot's own strings, whose hashes are already computed.
   */
  readonly #pairs = new Map<string, Map<string, PairState>>()

  consume(r: UsageRequest, nowMs: number): UsageResult {
    const pair = this.#pair(r.plan, r.key)
    const plan = r.planThrottle === undefined ? undefined : planBucket(pair, r.planThrottle, nowMs)
    const method =
      r.methodThrottle === undefined
        ? undefined
        : methodBucket(pair, r.methodThrottle.id, r.methodThrottle.limits, nowMs)
    // Both buckets must hold a token: the per-method limit narrows the plan's, never widens it.
    if ((plan !== undefined && plan.tokens < 1) || (method !== undefined && method.tokens < 1)) {
      return 'throttled'
    }
    let quota: QuotaState | undefined
    if (r.quota !== undefined) {
      quota = quotaOf(pair, r.quota, nowMs)
      if (quota.used >= r.quota.limit) return 'quota_exceeded'
    }
    if (plan !== undefined) plan.tokens -= 1
    if (method !== undefined) method.tokens -= 1
    if (quota !== undefined) quota.used += 1
    return 'allowed'
  }

  usage(plan: string, key: string, quota: Quota, nowMs: number): KeyUsage {
    const state = quotaOf(this.#pair(plan, key), quota, nowMs)
    return {
      used: state.used,
      remaining: Math.max(0, quota.limit - state.used),
      periodStart: state.start,
    }
  }

  /**
   * Adds requests counted elsewhere (a Redis-backed store's fallback catching up). Only the
   * current period's count moves: requests of a finished period count for nothing any more.
   */
  add(plan: string, key: string, quota: Quota, nowMs: number, n: number): void {
    quotaOf(this.#pair(plan, key), quota, nowMs).used += n
  }

  /** Forgets plan/key pairs that no longer exist after a reload (their state is unreachable). */
  retain(live: (plan: string, key: string) => boolean): void {
    for (const [plan, byKey] of this.#pairs) {
      for (const key of byKey.keys()) if (!live(plan, key)) byKey.delete(key)
      if (byKey.size === 0) this.#pairs.delete(plan)
    }
  }

  #pair(plan: string, key: string): PairState {
    let byKey = this.#pairs.get(plan)
    if (byKey === undefined) {
      byKey = new Map()
      this.#pairs.set(plan, byKey)
    }
    let state = byKey.get(key)
    if (state === undefined) {
      state = { plan: undefined, methods: undefined, quota: undefined }
      byKey.set(key, state)
    }
    return state
  }
}

function planBucket(pair: PairState, limits: Throttle, nowMs: number): BucketState {
  const state = pair.plan
  if (state === undefined) return (pair.plan = newBucket(limits, nowMs))
  refill(state, limits, nowMs)
  return state
}

function methodBucket(pair: PairState, id: string, limits: Throttle, nowMs: number): BucketState {
  const methods = (pair.methods ??= new Map<string, BucketState>())
  let state = methods.get(id)
  if (state === undefined) {
    state = newBucket(limits, nowMs)
    methods.set(id, state)
  } else refill(state, limits, nowMs)
  return state
}

function quotaOf(pair: PairState, quota: Quota, nowMs: number): QuotaState {
  const start = periodStart(quota.period, quota.offset, nowMs)
  const state = pair.quota
  if (state === undefined) return (pair.quota = { start, used: 0 })
  if (state.start !== start) {
    // A new period (or a reload changed the period): counting starts again from zero.
    state.start = start
    state.used = 0
  }
  return state
}
