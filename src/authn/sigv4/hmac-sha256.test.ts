/**
 * HmacSha256Key gives the RFC 4231 answers and writes exactly the bytes its callers read, for
 * SigV4-sized and edge-case keys and messages. @module
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { HmacSha256Key } from './hmac-sha256.js'

function reference(key: Uint8Array, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest()
}

describe('HmacSha256Key equals createHmac', () => {
  it('RFC 4231 test case 2 (key "Jefe")', () => {
    const key = new HmacSha256Key(Buffer.from('Jefe'))
    expect(key.digest('what do ya want for nothing?').toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  it('on generated keys (empty, 32 bytes, one block, longer than a block) and messages (ASCII, Unicode, empty, long)', () => {
    const key = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(new Uint8Array(0), new Uint8Array(64).fill(0xff), new Uint8Array(65)),
    )
    const message = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom(
        '',
        'é'.repeat(1400),
        'a'.repeat(1365),
        'a'.repeat(1366),
        '😀'.repeat(2000),
        // Either side of the shared scratch buffer's limit (682 code units × 3 bytes ≤ 2048).
        '€'.repeat(682),
        '€'.repeat(683),
      ),
    )
    fc.assert(
      fc.property(key, message, (k, m) => {
        const hk = new HmacSha256Key(k)
        expect(hk.digest(m).equals(reference(k, m))).toBe(true)
        // digestInto overwrites exactly the first 32 bytes and leaves the rest alone.
        const out = Buffer.alloc(40, 0xaa)
        hk.digestInto(m, out)
        expect(out.subarray(0, 32).equals(reference(k, m))).toBe(true)
        expect(out.subarray(32).every((b) => b === 0xaa)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('one key used for many messages in turn gives each its own HMAC (the pad buffers are reused)', () => {
    const k = Buffer.alloc(32, 9)
    const hk = new HmacSha256Key(k)
    const other = new HmacSha256Key(Buffer.alloc(32, 3))
    for (const m of ['a', 'b'.repeat(500), '€'.repeat(700), 'c']) {
      other.digest('between')
      expect(hk.digest(m).equals(reference(k, m))).toBe(true)
    }
  })

  it('hexInto writes the 64 lower-case hex digits of the HMAC and nothing past them', () => {
    const k = Buffer.alloc(32, 1)
    const out = Buffer.alloc(70, 0xaa)
    new HmacSha256Key(k).hexInto('string to sign', out)
    expect(out.subarray(0, 64).toString('latin1')).toBe(
      reference(k, 'string to sign').toString('hex'),
    )
    expect(out.subarray(64).every((b) => b === 0xaa)).toBe(true)
  })
})
