/**
 * HMAC-SHA256 (RFC 2104) under one derived SigV4 signing key, through node:crypto. The key is
 * held as a KeyObject, made once per cached signing key, so a request pays for one `createHmac`.
 * Precomputing the RFC 2104 pads by hand is faster in isolation but does not move the end-to-end
 * CPU time per check beyond the pipeline bench's noise: not worth hand-written crypto.
 *
 * @module
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

export class HmacSha256Key {
  readonly #key: KeyObject

  constructor(key: Uint8Array) {
    this.#key = createSecretKey(key)
  }

  /** HMAC-SHA256(key, UTF-8 of `message`) as a new Buffer. */
  digest(message: string): Buffer {
    return createHmac('sha256', this.#key).update(message, 'utf8').digest()
  }

  /** HMAC-SHA256(key, UTF-8 of `message`) written to `out[0..32)`. */
  digestInto(message: string, out: Buffer): void {
    this.digest(message).copy(out, 0)
  }

  /**
   * HMAC-SHA256(key, UTF-8 of `message`) as 64 lower-case hex digits (ASCII bytes) written to
   * `out[0..64)`: what a SigV4 signature is compared with.
   */
  hexInto(message: string, out: Buffer): void {
    out.write(createHmac('sha256', this.#key).update(message, 'utf8').digest('hex'), 0, 'latin1')
  }
}
