/**
 * SigV4 signing-key derivation and a bounded cache of derived keys, so that a verification with a
 * warm cache costs one SHA-256 of the canonical request and one HMAC of the string to sign.
 *
 * @module
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { LRUCache } from 'lru-cache'

import { HmacSha256Key } from './hmac-sha256.js'
import { SIGV4_TERMINATOR } from './string-to-sign.js'

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date)
  const kRegion = hmac(kDate, region)
  const kService = hmac(kRegion, service)
  return hmac(kService, SIGV4_TERMINATOR)
}

interface CachedKey {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  /**
   * The secret the key was derived from (the same string object the key store holds, not a
   * copy): a hit is only used when the current secret is identical, so a rotated secret never
   * reuses a stale key.
   */
  readonly secret: string
  readonly key: Buffer
  /** The same key as a KeyObject (for callers that hand it to `createHmac`). */
  readonly keyObject: KeyObject
  /** The same key with its HMAC pads precomputed: what the verifier signs with. */
  readonly hmacKey: HmacSha256Key
}

/** Bounded LRU of derived signing keys per (access key id, date, region, service). */
export class SigningKeyCache {
  readonly #cache: LRUCache<string, CachedKey>
  /**
   * The entry used last: consecutive requests of one caller on one day hit it with four string
   * comparisons, without building the cache key or touching the LRU (only its recency order
   * misses those hits, which at worst makes it evict this key earlier and derive it again).
   */
  #last: CachedKey | undefined

  constructor(maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(
        `SigningKeyCache maxEntries must be a positive integer, got ${maxEntries}`,
      )
    }
    this.#cache = new LRUCache<string, CachedKey>({ max: maxEntries })
  }

  /** The signing key for this scope, derived once per (akid, date, region, service, secret). */
  get(
    accessKeyId: string,
    secretAccessKey: string,
    date: string,
    region: string,
    service: string,
  ): Buffer {
    return this.#entry(accessKeyId, secretAccessKey, date, region, service).key
  }

  /** {@link get} as a KeyObject (`createHmac` with a KeyObject skips importing the raw bytes). */
  getKeyObject(
    accessKeyId: string,
    secretAccessKey: string,
    date: string,
    region: string,
    service: string,
  ): KeyObject {
    return this.#entry(accessKeyId, secretAccessKey, date, region, service).keyObject
  }

  /** {@link get} with its HMAC pads precomputed (what the verifier uses: cheapest per request). */
  getHmacKey(
    accessKeyId: string,
    secretAccessKey: string,
    date: string,
    region: string,
    service: string,
  ): HmacSha256Key {
    return this.#entry(accessKeyId, secretAccessKey, date, region, service).hmacKey
  }

  #entry(
    accessKeyId: string,
    secretAccessKey: string,
    date: string,
    region: string,
    service: string,
  ): CachedKey {
    const last = this.#last
    if (
      last !== undefined &&
      last.accessKeyId === accessKeyId &&
      last.date === date &&
      last.region === region &&
      last.service === service &&
      last.secret === secretAccessKey
    ) {
      return last
    }
    // NUL cannot occur in any of the parts once they passed header parsing, so keys cannot collide.
    const cacheKey = `${accessKeyId}\0${date}\0${region}\0${service}`
    const hit = this.#cache.get(cacheKey)
    if (hit !== undefined && hit.secret === secretAccessKey) {
      this.#last = hit
      return hit
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service)
    const entry: CachedKey = {
      accessKeyId,
      date,
      region,
      service,
      secret: secretAccessKey,
      key,
      keyObject: createSecretKey(key),
      hmacKey: new HmacSha256Key(key),
    }
    this.#cache.set(cacheKey, entry)
    this.#last = entry
    return entry
  }

  /** Number of cached keys (for tests and metrics). */
  get size(): number {
    return this.#cache.size
  }

  clear(): void {
    this.#cache.clear()
    this.#last = undefined
  }
}
