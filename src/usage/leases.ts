/**
 * The replica side of shared counting: blocks of quota units and rate tokens leased from the shared
 * store and spent locally, so a check never waits for the store. A lease is refilled in the
 * background before it runs out; while a refill is in flight a replica may spend up to one block
 * on credit ("debt"), which the next refill charges to the shared count. Hence the bounds:
 *
 * - quota: at most one block per replica per period beyond the limit (the credit spent before the
 *   store's "exhausted" answer arrives); unspent leased units make the shared count run ahead of
 *   real use by at most 1.5 blocks per replica (requests refused early, never extra ones allowed);
 *   a replica that spends a block of credit before the next lease arrives answers 429 Too Many
 *   Requests until it does;
 * - rate: in any window, at most one block per replica beyond `burstLimit + rateLimit × window`;
 *   credit is charged to the shared bucket, and after an empty answer no credit is taken until the
 *   bucket has refilled to a token (`emptyUntil`), so the long-run rate holds.
 *
 * @module
 */

/** Quota units per lease: 1 % of the limit, at least 1, at most 1000. */
export function quotaBlock(limit: number): number {
  return Math.max(1, Math.min(1000, Math.ceil(limit / 100)))
}

/** Rate tokens per lease: 50 ms of traffic at the rate, at least 1, at most the burst. */
export function rateBlock(rateLimit: number, burstLimit: number): number {
  if (burstLimit < 1) return 0
  return Math.max(1, Math.min(burstLimit, Math.ceil(rateLimit * 0.05)))
}

/** One lease: units in hand, credit taken, and whether a refill is in flight. */
export class Lease {
  avail = 0
  debt = 0
  pending = false
  /** The store said there is nothing left: no credit until this time (ms). */
  emptyUntil = 0
  constructor(readonly block: number) {}

  canTake(nowMs: number): boolean {
    return this.avail >= 1 || (this.debt < this.block && nowMs >= this.emptyUntil)
  }

  take(): void {
    if (this.avail >= 1) this.avail -= 1
    else this.debt += 1
  }

  /** A refill is due when less than half a block is left and none is in flight. */
  wantsRefill(): boolean {
    return !this.pending && this.block > 0 && this.avail * 2 <= this.block
  }
}
