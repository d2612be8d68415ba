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

export class LocalUsageCounter implements UsageCounter {
  readonly #buckets = new Map<string, BucketState>()
  readonly #quotas = new Map<string, QuotaState>()

  consume(r: UsageRequest, nowMs: number): UsageResult {
    const pair = `${r.plan}\n${r.key}`
    const plan =
      r.planThrottle === undefined ? undefined : this.#bucket(pair, r.planThrottle, nowMs)
    const method =
      r.methodThrottle === undefined
        ? undefined
        : this.#bucket(`${pair}\n${r.methodThrottle.id}`, r.methodThrottle.limits, nowMs)
    // Both buckets must hold a token: the per-method limit narrows the plan's, never widens it.
    if ((plan !== undefined && plan.tokens < 1) || (method !== undefined && method.tokens < 1)) {
      return 'throttled'
    }
    let quota: QuotaState | undefined
    if (r.quota !== undefined) {
      quota = this.#quota(pair, r.quota, nowMs)
      if (quota.used >= r.quota.limit) return 'quota_exceeded'
    }
    if (plan !== undefined) plan.tokens -= 1
    if (method !== undefined) method.tokens -= 1
    if (quota !== undefined) quota.used += 1
    return 'allowed'
  }

  usage(plan: string, key: string, quota: Quota, nowMs: number): KeyUsage {
    const state = this.#quota(`${plan}\n${key}`, quota, nowMs)
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
    this.#quota(`${plan}\n${key}`, quota, nowMs).used += n
  }

  /** Forgets plan/key pairs that no longer exist after a reload (their state is unreachable). */
  retain(live: (plan: string, key: string) => boolean): void {
    for (const map of [this.#buckets, this.#quotas] as const) {
      for (const id of map.keys()) {
        const [plan = '', key = ''] = id.split('\n', 2)
        if (!live(plan, key)) map.delete(id)
      }
    }
  }

  #bucket(id: string, limits: Throttle, nowMs: number): BucketState {
    let state = this.#buckets.get(id)
    if (state === undefined) {
      state = newBucket(limits, nowMs)
      this.#buckets.set(id, state)
    } else refill(state, limits, nowMs)
    return state
  }

  #quota(id: string, quota: Quota, nowMs: number): QuotaState {
    const start = periodStart(quota.period, quota.offset, nowMs)
    let state = this.#quotas.get(id)
    if (state === undefined) {
      state = { start, used: 0 }
      this.#quotas.set(id, state)
    } else if (state.start !== start) {
      // A new period (or a reload changed the period): counting starts again from zero.
      state.start = start
      state.used = 0
    }
    return state
  }
}
