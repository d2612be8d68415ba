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
 * Scratch buffers shared by every key. Safe because {@link HmacSha256Key.digestInto} is synchronous:
 * nothing else can run between writing them and hashing them.
 */
const SCRATCH_CAPACITY = 4096
const inner = Buffer.alloc(BLOCK + SCRATCH_CAPACITY)
const outer = Buffer.alloc(BLOCK + DIGEST)

/**
 * `crypto.hash` (Node >= 20.12; package.json requires >= 20.19) hashes in one call. Kept optional so
 * that a runtime without it still works through `createHmac`.
 */
const oneShotHash: typeof crypto.hash | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined

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
    // A UTF-16 code unit is at most 3 UTF-8 bytes: below this length the message always fits, so
    // `write` can never truncate it.
    if (oneShotHash === undefined || message.length * 3 > SCRATCH_CAPACITY) {
      crypto.createHmac('sha256', this.#key).update(message, 'utf8').digest().copy(out, 0)
      return
    }
    inner.set(this.#ipad, 0)
    const n = inner.write(message, BLOCK, 'utf8')
    // 'binary' (latin1) maps each digest byte to one char and back exactly: a cheap output encoding.
    const innerDigest = oneShotHash('sha256', inner.subarray(0, BLOCK + n), 'binary')
    outer.set(this.#opad, 0)
    outer.write(innerDigest, BLOCK, 'binary')
    out.write(oneShotHash('sha256', outer, 'binary'), 0, 'binary')
  }

  /** HMAC-SHA256(key, UTF-8 of `message`) as a new Buffer. */
  digest(message: string): Buffer {
    const out = Buffer.alloc(DIGEST)
    this.digestInto(message, out)
    return out
  }
}
