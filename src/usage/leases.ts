/**
 * The replica side of shared counting: quota units and rate tokens leased from the shared store
 * and spent locally, so a check never waits for the store. A lease is refilled in the background
 * when half of it is left; while a refill is in flight a replica may spend up to one block on
 * credit ("debt"), which the next refill charges to the shared count. A lease is one block at
 * first and grows with the demand a replica sees over a store round trip, up to a cap, so a busy
 * replica's next lease arrives before it has spent the last one. Hence the bounds:
 *
 * - quota: at most one block per replica per period beyond the limit (the credit spent before the
 *   store's "exhausted" answer arrives); unspent leased units make the shared count run ahead of
 *   real use by at most 1.5 leases (`quotaLeaseCap`) per replica, so other replicas may refuse
 *   that much early (never extra requests allowed); a replica whose traffic for a key jumps by
 *   more than a block within one round trip (a cold replica flooded with one key's checks) answers
 *   429 Too Many Requests until the lease arrives;
 * - rate: in any window, beyond `burstLimit + rateLimit × window`, at most one block of credit per
 *   replica plus the tokens it held when the window began (at most 1.5 leases, `rateLeaseCap`;
 *   none at a key's first use). Credit is charged to the shared bucket, and after an empty answer
 *   no credit is taken until the bucket has refilled to a token (`emptyUntil`), so the long-run
 *   rate holds.
 *
 * @module
 */

/** Quota credit per replica and first lease: 1 % of the limit, at least 1, at most 1000. */
export function quotaBlock(limit: number): number {
  return Math.max(1, Math.min(1000, Math.ceil(limit / 100)))
}

/** Rate credit per replica and first lease: 50 ms at the rate, at least 1, at most the burst. */
export function rateBlock(rateLimit: number, burstLimit: number): number {
  if (burstLimit < 1) return 0
  return Math.max(1, Math.min(burstLimit, Math.ceil(rateLimit * 0.05)))
}

/**
 * Most quota units one lease asks for: 5 % of the limit (at least one block). Sizes above a block
 * are only reached by a replica that spends that much in a store round trip.
 */
export function quotaLeaseCap(limit: number): number {
  return Math.max(quotaBlock(limit), Math.ceil(limit / 20))
}

/** Most rate tokens one lease asks for: 250 ms of traffic at the rate, at most the burst. */
export function rateLeaseCap(rateLimit: number, burstLimit: number): number {
  const block = rateBlock(rateLimit, burstLimit)
  return Math.max(block, Math.min(burstLimit, Math.ceil(rateLimit * 0.25)))
}

/**
 * One lease: units in hand, credit taken, and whether a refill is in flight. Credit is one block
 * (the overshoot bound); the size asked for adapts to demand, so that a replica spending faster
 * than a block per round trip is not left answering 429 while its next lease is on the way.
 */
export class Lease {
  avail = 0
  debt = 0
  pending = false
  /** The store said there is nothing left: no credit until this time (ms). */
  emptyUntil = 0
  /** Units the next refill asks for: between `block` and `cap`. */
  size: number
  #demand = 0
  #demandAtRequest = 0

  constructor(
    readonly block: number,
    readonly cap: number = block,
  ) {
    this.size = block
  }

  canTake(nowMs: number): boolean {
    return this.avail >= 1 || (this.debt < this.block && nowMs >= this.emptyUntil)
  }

  take(): void {
    if (this.avail >= 1) this.avail -= 1
    else this.debt += 1
  }

  /** A check wanted a unit of this lease (allowed or not): the demand that sizes the next lease. */
  want(): void {
    this.#demand += 1
  }

  /** A refill is due when less than half a lease is left and none is in flight. */
  wantsRefill(): boolean {
    return !this.pending && this.size > 0 && this.avail * 2 <= this.size
  }

  /** A refill was sent: the units to ask for. */
  requested(): number {
    this.pending = true
    this.#demandAtRequest = this.#demand
    return this.size
  }

  /**
   * The refill's answer arrived. The next lease is eight times the demand seen during this round
   * trip: asked for with half of it left, that half lasts four round trips at the same pace. Round
   * trips seen from a busy event loop vary severalfold: the answer is read one to three turns after
   * the request, and one turn may handle every check in flight. The size shrinks by at most a
   * quarter per round trip, so a few quick answers do not leave the next slow one short.
   */
  answered(): void {
    this.pending = false
    const demand = this.#demand - this.#demandAtRequest
    this.size = Math.max(
      this.block,
      Math.min(this.cap, Math.max(8 * demand, Math.ceil(this.size * 0.75))),
    )
  }
}
