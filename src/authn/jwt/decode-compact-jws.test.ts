import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCompactJws, MAX_TOKEN_BYTES } from './decode-compact-jws.js'
import { isJwsAlgorithm } from './jws-algorithms.js'

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
        'payloadControlFree',
        'signature',
        'signingInput',
      ])
  })
})

/**
 * The straightforward decoder the fast one replaced (split, per-segment regex, decode and
 * re-encode to catch non-canonical base64url, strict UTF-8, JSON.parse): the reference the
 * property test below holds the fast decoder (header cache, single regex, tail-bit check) to.
 */
function referenceDecode(token: string): string {
  const fail = (code: string, description: string): string => `fail ${code} ${description}`
  if (token.length > MAX_TOKEN_BYTES) return fail('ERR_JWT_TOO_LARGE', 'the token is too large')
  const parts = token.split('.')
  if (parts.length !== 3) return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  const [h, p, s] = parts as [string, string, string]
  if (h.length === 0 || p.length === 0 || s.length === 0) {
    return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  }
  const seg = (x: string): Buffer | undefined => {
    if (!/^[A-Za-z0-9_-]*$/.test(x) || x.length % 4 === 1) return undefined
    const bytes = Buffer.from(x, 'base64url')
    return bytes.toString('base64url') === x ? bytes : undefined
  }
  const obj = (bytes: Buffer): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
      return typeof v === 'object' && v !== null && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : undefined
    } catch {
      return undefined
    }
  }
  const hb = seg(h)
  const pb = seg(p)
  const sb = seg(s)
  if (!hb || !pb || !sb) return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  const header = obj(hb)
  if (!header) return fail('ERR_JWT_MALFORMED', 'the token header is malformed')
  const alg = header['alg']
  if (typeof alg !== 'string' || !isJwsAlgorithm(alg)) {
    return fail('ERR_JWT_ALG_NOT_ALLOWED', 'the token signing algorithm is not supported')
  }
  if ('crit' in header || 'b64' in header) {
    return fail('ERR_JWT_MALFORMED', 'the token uses unsupported header extensions')
  }
  const kid = header['kid']
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    return fail('ERR_JWT_MALFORMED', 'the token header is malformed')
  }
  const payload = obj(pb)
  if (!payload) return fail('ERR_JWT_MALFORMED', 'the token payload is malformed')
  return JSON.stringify({ alg, kid, input: `${h}.${p}`, sig: sb.toString('hex'), payload })
}

function fastDecode(token: string): string {
  const r = decodeCompactJws(token)
  if (!r.ok) return `fail ${r.code} ${r.description}`
  const { alg, kid, signingInput, signature, payload } = r.jws
  return JSON.stringify({
    alg,
    kid,
    input: signingInput.toString('latin1'),
    sig: signature.toString('hex'),
    payload,
  })
}

describe('decodeCompactJws vs the reference decoder (property)', () => {
  const headers = [
    { alg: 'RS256', kid: 'k1', typ: 'JWT' },
    { alg: 'ES256', kid: 'k2' },
    { alg: 'PS512' },
    { alg: 'none' },
    { alg: 'HS256', kid: 'k1' },
    { alg: 'RS256', crit: ['x'] },
    { alg: 'RS256', kid: 7 },
    ['RS256'],
    { alg: 'RS256', kid: 'ké' }, // non-ASCII JSON
  ].map(b64)
  const payloads = [
    { sub: 'a', iss: 'https://i', exp: 1 },
    { sub: 'é', groups: ['a', 'b'] },
    [1, 2],
    'null',
    '{"a":1} ',
    '\ufeff{"a":1}',
  ].map(b64)
  payloads.push(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')) // invalid UTF-8
  payloads.push(Buffer.from('\ufeff{"bom":1}').toString('base64url')) // UTF-8 BOM
  const sigs = ['c2ln', 'c2lnbmF0dXJl', 'YQ', 'YR', 'YWI', 'YWJ', SIG]
  const noise = fc.constantFrom('.', '=', '+', '/', ' ', 'A', '_', '-', 'é', '\u0000', '')
  const token = fc
    .tuple(
      fc.constantFrom(...headers),
      fc.constantFrom(...payloads),
      fc.constantFrom(...sigs),
      fc.array(fc.tuple(fc.nat(), noise, fc.boolean()), { maxLength: 3 }),
    )
    .map(([h, p, s, edits]) => {
      let t = `${h}.${p}.${s}`
      for (const [at, ch, replace] of edits) {
        const i = at % (t.length + 1)
        t = t.slice(0, i) + ch + t.slice(replace ? i + 1 : i)
      }
      return t
    })

  it('gives the same answer (value or refusal code and text) on 20 000 tokens and mutations', () => {
    fc.assert(
      fc.property(token, (t) => {
        expect(fastDecode(t)).toBe(referenceDecode(t))
      }),
      { numRuns: 20_000 },
    )
  })
})
