import { describe, expect, it } from 'vitest'
import { decodeCompactJws, MAX_TOKEN_BYTES } from './decode-compact-jws.js'

const b64 = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const SIG = b64('signature-bytes')
const tok = (header: unknown, payload: unknown = { sub: 'a' }, sig = SIG): string =>
  `${b64(header)}.${b64(payload)}.${sig}`

describe('decodeCompactJws', () => {
  it('decodes a well-formed RS256 token and keeps the exact signing input', () => {
    const t = tok({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
    const r = decodeCompactJws(t)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.jws).toMatchObject({ alg: 'RS256', kid: 'k1', payload: { sub: 'a' } })
    expect(r.jws.signingInput.toString()).toBe(t.slice(0, t.lastIndexOf('.')))
  })

  it.each([
    ['alg none', tok({ alg: 'none' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['alg None (case variant)', tok({ alg: 'None' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['HS256', tok({ alg: 'HS256' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['EdDSA (not offered)', tok({ alg: 'EdDSA' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['missing alg', tok({ kid: 'k' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['alg inherited from prototype', tok({ alg: 'toString' }), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['crit header', tok({ alg: 'RS256', crit: ['exp'], exp: 1 }), 'ERR_JWT_MALFORMED'],
    ['b64 false', tok({ alg: 'RS256', b64: false }), 'ERR_JWT_MALFORMED'],
    ['numeric kid', tok({ alg: 'RS256', kid: 7 }), 'ERR_JWT_MALFORMED'],
    ['empty kid', tok({ alg: 'RS256', kid: '' }), 'ERR_JWT_MALFORMED'],
    ['header is an array', tok(['RS256']), 'ERR_JWT_MALFORMED'],
    ['payload is an array', tok({ alg: 'RS256' }, [1]), 'ERR_JWT_MALFORMED'],
    ['payload is a string', tok({ alg: 'RS256' }, '"x"'), 'ERR_JWT_MALFORMED'],
    ['payload not JSON', `${b64({ alg: 'RS256' })}.${b64('not json')}.${SIG}`, 'ERR_JWT_MALFORMED'],
    [
      'payload invalid UTF-8',
      `${b64({ alg: 'RS256' })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${SIG}`,
      'ERR_JWT_MALFORMED',
    ],
    ['two segments', `${b64({ alg: 'RS256' })}.${b64({})}`, 'ERR_JWT_MALFORMED'],
    ['JWE (five segments)', `${b64({ alg: 'RSA-OAEP' })}.a.b.c.d`, 'ERR_JWT_MALFORMED'],
    ['empty signature', tok({ alg: 'RS256' }, { sub: 'a' }, ''), 'ERR_JWT_MALFORMED'],
    ['standard base64 chars', tok({ alg: 'RS256' }, { sub: 'a' }, 'ab+/'), 'ERR_JWT_MALFORMED'],
    ['padding', tok({ alg: 'RS256' }, { sub: 'a' }, 'YQ=='), 'ERR_JWT_MALFORMED'],
    ['impossible length', tok({ alg: 'RS256' }, { sub: 'a' }, 'abcde'), 'ERR_JWT_MALFORMED'],
    ['non-canonical trailing bits', tok({ alg: 'RS256' }, { sub: 'a' }, 'YR'), 'ERR_JWT_MALFORMED'],
    ['whitespace inside', `${tok({ alg: 'RS256' })} x`, 'ERR_JWT_MALFORMED'],
    ['too large', 'a'.repeat(MAX_TOKEN_BYTES + 1), 'ERR_JWT_TOO_LARGE'],
  ])('refuses %s', (_name, token, code) => {
    const r = decodeCompactJws(token)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.code).toBe(code)
  })

  it('ignores header-supplied keys (jwk, jku, x5u): they never reach key selection', () => {
    const r = decodeCompactJws(
      tok({ alg: 'RS256', kid: 'k', jwk: { kty: 'RSA' }, jku: 'http://evil' }),
    )
    expect(r.ok).toBe(true)
    if (r.ok)
      expect(Object.keys(r.jws).sort()).toEqual([
        'alg',
        'kid',
        'payload',
        'signature',
        'signingInput',
      ])
  })
})
