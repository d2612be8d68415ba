/**
 * A token bucket as API Gateway throttles: `burstLimit` tokens of capacity, refilled at
 * `rateLimit` tokens per second; a request takes one token. State is two numbers, mutated in place.
 *
 * @module
 */

export interface Throttle {
  /** Tokens added per second. */
  readonly rateLimit: number
  /** Capacity. */
  readonly burstLimit: number
}

export interface BucketState {
  tokens: number
  /** When `tokens` was last brought up to date (ms). */
  at: number
}

/** A full bucket: a key that has not been seen may spend its whole burst at once. */
export function newBucket(limits: Throttle, nowMs: number): BucketState {
  return { tokens: limits.burstLimit, at: nowMs }
}

/** Refills by elapsed time (never beyond capacity; a clock that steps back adds nothing). */
export function refill(state: BucketState, limits: Throttle, nowMs: number): void {
  const elapsed = nowMs - state.at
  if (elapsed > 0) {
    state.tokens = Math.min(limits.burstLimit, state.tokens + (elapsed * limits.rateLimit) / 1000)
    state.at = nowMs
  } else if (state.tokens > limits.burstLimit) {
    // The plan was narrowed by a reload: the bucket shrinks to the new capacity at once.
    state.tokens = limits.burstLimit
  }
}
