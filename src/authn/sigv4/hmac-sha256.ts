/**
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer pads computed once, so that signing a
 * string to sign costs two one-shot `crypto.hash` calls instead of building an Hmac object per
 * request (which is the most expensive step of a warm SigV4 verification).
 *
 * @module
 */
import * as crypto from 'node:crypto'

/** SHA-256 block size: keys are padded (or hashed down) to this many bytes. */
const BLOCK = 64
const DIGEST = 32

/**
 * Scratch buffers shared by every key. Safe because every method is synchronous: nothing else can
 * run between writing them and hashing them.
 */
const SCRATCH_CAPACITY = 4096
const inner = Buffer.alloc(BLOCK + SCRATCH_CAPACITY)
const outer = Buffer.alloc(BLOCK + DIGEST)
/** The used part of `inner`, kept between calls: strings to sign usually have the same length. */
let innerView = inner.subarray(0, 0)

/** `crypto.hash` (Node >= 20.12; package.json requires >= 20.19) hashes in one call. */
const oneShotHash = crypto.hash

export class HmacSha256Key {
  readonly #key: Buffer
  /** key XOR 0x36 and key XOR 0x5c, zero-padded to one block (RFC 2104 K' ⊕ ipad / opad). */
  readonly #ipad: Buffer
  readonly #opad: Buffer

  constructor(key: Uint8Array) {
    // Longer keys are replaced by their hash (RFC 2104 §2); SigV4 keys are 32 bytes.
    const k = key.length > BLOCK ? crypto.createHash('sha256').update(key).digest() : key
    this.#key = Buffer.from(k)
    this.#ipad = Buffer.alloc(BLOCK, 0x36)
    this.#opad = Buffer.alloc(BLOCK, 0x5c)
    for (let i = 0; i < k.length; i++) {
      this.#ipad[i] = 0x36 ^ (k[i] as number)
      this.#opad[i] = 0x5c ^ (k[i] as number)
    }
  }

  /** HMAC-SHA256(key, UTF-8 of `message`) written to `out[0..32)`. */
  digestInto(message: string, out: Buffer): void {
    const fallback = this.#fallback(message)
    if (fallback !== undefined) {
      fallback.copy(out, 0)
      return
    }
    // 'binary' (latin1) maps each digest byte to one char and back exactly: a cheap encoding.
    out.write(oneShotHash('sha256', this.#outerBlock(message), 'binary'), 0, 'binary')
  }

  /**
   * HMAC-SHA256(key, UTF-8 of `message`) as 64 lower-case hex digits (ASCII bytes) written to
   * `out[0..64)`: what a SigV4 signature is compared with.
   */
  hexInto(message: string, out: Buffer): void {
    const fallback = this.#fallback(message)
    out.write(
      fallback !== undefined
        ? fallback.toString('hex')
        : oneShotHash('sha256', this.#outerBlock(message), 'hex'),
      0,
      'utf8',
    )
  }

  /** The HMAC through `createHmac`, when the one-shot path cannot be used; else undefined. */
  #fallback(message: string): Buffer | undefined {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: below this length the message always fits the
    // scratch buffer, so `write` can never truncate it.
    if (message.length * 3 <= SCRATCH_CAPACITY) return undefined
    return crypto.createHmac('sha256', this.#key).update(message, 'utf8').digest()
  }

  /** `K' ⊕ opad ‖ H(K' ⊕ ipad ‖ message)` in the shared `outer` buffer (one-shot path only). */
  #outerBlock(message: string): Buffer {
    inner.set(this.#ipad, 0)
    const length = BLOCK + inner.write(message, BLOCK, 'utf8')
    if (innerView.length !== length) innerView = inner.subarray(0, length)
    const innerDigest = oneShotHash('sha256', innerView, 'binary')
    outer.set(this.#opad, 0)
    outer.write(innerDigest, BLOCK, 'binary')
    return outer
  }

  /** HMAC-SHA256(key, UTF-8 of `message`) as a new Buffer. */
  digest(message: string): Buffer {
    const out = Buffer.alloc(DIGEST)
    this.digestInto(message, out)
    return out
  }
}
