/**
 * API key values → ApiKey objects. The map is keyed by the SHA-256 of the value, so a lookup costs
 * one hash and one map probe whatever the number of keys, and the final comparison of the value is
 * constant-time. Values never leave this module: callers get the key's id (`namespace/name`).
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import { API_KEY_VALUE_PATTERN } from '../api/v1alpha1/api-key.js'
import { sha256 } from '../lib/sha256.js'

export interface ApiKeyEntry {
  /** `namespace/name` of the ApiKey. */
  readonly id: string
  readonly enabled: boolean
  readonly customerId: string | undefined
}

interface Stored {
  readonly value: Buffer
  readonly entry: ApiKeyEntry
}

export class ApiKeyIndex {
  readonly #byDigest = new Map<string, Stored>()

  /**
   * Adds a key; returns the id of the key that already has this value, if any (two ApiKeys with
   * one value could not be told apart).
   */
  add(value: string, entry: ApiKeyEntry): string | undefined {
    const digest = sha256(value, 'base64url')
    const other = this.#byDigest.get(digest)
    if (other !== undefined) return other.entry.id
    this.#byDigest.set(digest, { value: Buffer.from(value, 'latin1'), entry: Object.freeze(entry) })
    return undefined
  }

  get size(): number {
    return this.#byDigest.size
  }

  /** The key with this value, or undefined. Never throws, whatever the client sent. */
  lookup(value: string): ApiKeyEntry | undefined {
    // A value that cannot be a key is unknown without hashing: this reveals only the format.
    if (!API_KEY_VALUE_PATTERN.test(value)) return undefined
    const stored = this.#byDigest.get(sha256(value, 'base64url'))
    if (stored === undefined) return undefined
    const presented = Buffer.from(value, 'latin1')
    if (presented.length !== stored.value.length) return undefined
    return timingSafeEqual(presented, stored.value) ? stored.entry : undefined
  }
}
