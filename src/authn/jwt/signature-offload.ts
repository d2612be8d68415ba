/**
 * Where a token's signature is checked: on the event loop, or on libuv's thread pool.
 *
 * An RS256 check is mostly OpenSSL arithmetic, far more than the rest of a check. Run on the event
 * loop, it is time no other request is served. Run in the thread pool (crypto.verify's callback
 * form), it uses another core while the loop goes on with cached decisions and the gRPC work of
 * other requests. CPU per check stays the same, so the gain is the second core, not less work: a
 * single core has nothing to gain (bench/README.md has the uncached-JWT row's numbers).
 *
 * The pool gets at most `maxInFlight` checks at once, and a check beyond that runs inline on
 * the loop. This bounds the queue in front of the pool's other work (file reads and DNS go
 * through it too), and under a flood the loop's own core keeps contributing. maxInFlight 0 means
 * always inline.
 *
 * The bound must exceed the checks a burst brings: Envoy sends many requests per read, and the
 * bench keeps 128 in flight. With a bound below the burst most of each burst runs inline and the
 * gain shrinks; a full queue at the default stays a few milliseconds of work spread over the
 * pool's threads.
 *
 * @module
 */
import { availableParallelism } from 'node:os'
import type { JwsAlgorithm } from './jws-algorithms.js'
import type { JwkKey } from './jwk-key-set.js'
import { verifyJwsSignature, verifyJwsSignatureOffThread } from './verify-jws-signature.js'

export interface SignatureOffloadStats {
  /** Signature checks run on the thread pool. */
  readonly offloaded: number
  /** Signature checks run on the event loop (offload off, or the pool's share was taken). */
  readonly inline: number
  /** Checks in the thread pool right now. */
  readonly inFlight: number
}

/** Largest allowed --jwt-offload-max-in-flight: beyond this a pool queue is all it would buy. */
export const MAX_OFFLOAD_IN_FLIGHT = 1024

/** Running totals of where checks ran (metrics handles: plain numbers read at scrape time). */
export interface SignatureCheckCounters {
  readonly pool: { value: number }
  readonly inline: { value: number }
}

export class SignatureOffload {
  readonly maxInFlight: number
  readonly #counters: SignatureCheckCounters
  #inFlight = 0

  constructor(
    maxInFlight: number,
    counters: SignatureCheckCounters = { pool: { value: 0 }, inline: { value: 0 } },
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 0 || maxInFlight > MAX_OFFLOAD_IN_FLIGHT) {
      throw new TypeError(
        `SignatureOffload: maxInFlight must be an integer from 0 to ${MAX_OFFLOAD_IN_FLIGHT}`,
      )
    }
    this.maxInFlight = maxInFlight
    this.#counters = counters
  }

  /**
   * verifyJwsSignature's answer: a boolean when checked inline, a Promise when checked in the
   * pool. The Promise never rejects.
   */
  check(
    alg: JwsAlgorithm,
    key: JwkKey,
    signingInput: Buffer,
    signature: Buffer,
  ): boolean | Promise<boolean> {
    if (this.#inFlight >= this.maxInFlight) {
      this.#counters.inline.value++
      return verifyJwsSignature(alg, key, signingInput, signature)
    }
    this.#inFlight++
    this.#counters.pool.value++
    return new Promise<boolean>((resolve) => {
      verifyJwsSignatureOffThread(alg, key, signingInput, signature, (valid) => {
        this.#inFlight--
        resolve(valid)
      })
    })
  }

  stats(): SignatureOffloadStats {
    const { pool, inline } = this.#counters
    return { offloaded: pool.value, inline: inline.value, inFlight: this.#inFlight }
  }
}

/** Every check on the event loop (the default for verifiers built without an offload). */
export const INLINE_SIGNATURES = new SignatureOffload(0)

/** The default bound with more than one core (see the module comment for the measurement). */
export const DEFAULT_OFFLOAD_IN_FLIGHT = 256

/**
 * The default bound: 0 on a single core, where a hop to another thread would only add work;
 * otherwise DEFAULT_OFFLOAD_IN_FLIGHT.
 */
export function defaultOffloadMaxInFlight(cores: number = availableParallelism()): number {
  return cores <= 1 ? 0 : DEFAULT_OFFLOAD_IN_FLIGHT
}
