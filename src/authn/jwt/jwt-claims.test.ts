import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCompactJws } from './decode-compact-jws.js'
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { checkClaims, checkTimes, flattenClaims, tokenScopes, tokenScopeSet } from './jwt-claims.js'

const NOW = 1_800_000_000
const jwt: JwtAuthorizerConfig = {
  id: 'shop/oidc',
  type: 'JWT',
  issuer: 'https://issuer.example',
  jwksUri: undefined,
  audiences: ['petstore', 'billing'],
  identityHeader: 'authorization',
  clockSkewSeconds: 60,
}
const base = { iss: jwt.issuer, sub: 'alice', exp: NOW + 300, iat: NOW - 10 }

function code(payload: Record<string, unknown>, routeScopes: string[] = [], config = jwt): string {
  const denied = checkClaims(payload, tokenScopes(payload, config.type), config, routeScopes, NOW)
  return denied === undefined ? 'OK' : `${denied.status} ${denied.code}`
}

describe('JWT authorizer claim rules (http-api-jwt-authorizer.md)', () => {
  it.each([
    ['aud string in audiences', { aud: 'petstore' }, 'OK'],
    ['aud array with one match', { aud: ['x', 'billing'] }, 'OK'],
    ['aud not in audiences', { aud: 'x' }, '401 ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud malformed', { aud: 7 }, '401 ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud array with non-string', { aud: ['petstore', 1] }, '401 ERR_JWT_AUDIENCE_MISMATCH'],
    ['no aud, client_id matches', { client_id: 'petstore' }, 'OK'],
    ['no aud, client_id does not match', { client_id: 'x' }, '401 ERR_JWT_AUDIENCE_MISMATCH'],
    // AWS: client_id is consulted only when aud is absent; a wrong aud is not rescued by it.
    [
      'aud wrong, client_id right',
      { aud: 'x', client_id: 'petstore' },
      '401 ERR_JWT_AUDIENCE_MISMATCH',
    ],
    ['neither aud nor client_id', {}, '401 ERR_JWT_AUDIENCE_MISMATCH'],
  ])('%s', (_name, extra, expected) => {
    expect(code({ ...base, ...extra })).toBe(expected)
  })

  it.each([
    ['scope string', { scope: 'a pets/read' }, ['pets/read'], 'OK'],
    ['scp array', { scp: ['pets/read'] }, ['pets/read'], 'OK'],
    ['scp string', { scp: 'x pets/read' }, ['pets/read'], 'OK'],
    ['any-of route scopes', { scope: 'b' }, ['a', 'b'], 'OK'],
    ['missing scope → 403', { scope: 'pets/write' }, ['pets/read'], '403 ERR_JWT_SCOPE_MISMATCH'],
    ['no scope claim → 403', {}, ['pets/read'], '403 ERR_JWT_SCOPE_MISMATCH'],
    [
      'scope as array is not a scope string',
      { scope: ['pets/read'] },
      ['pets/read'],
      '403 ERR_JWT_SCOPE_MISMATCH',
    ],
  ])('%s', (_name, extra, routeScopes, expected) => {
    expect(code({ ...base, aud: 'petstore', ...extra }, routeScopes)).toBe(expected)
  })

  it('requires a non-empty string sub (it becomes x-portcullis-principal)', () => {
    expect(code({ ...base, aud: 'petstore', sub: '' })).toBe('401 ERR_JWT_CLAIM_INVALID')
    expect(code({ ...base, aud: 'petstore', sub: 5 })).toBe('401 ERR_JWT_CLAIM_INVALID')
  })

  it('ignores scp on Cognito (Cognito issues only `scope`)', () => {
    const cognito: JwtAuthorizerConfig = { ...jwt, type: 'COGNITO_USER_POOLS', audiences: [] }
    expect(tokenScopes({ scp: ['a'], scope: 'b' }, 'COGNITO_USER_POOLS')).toEqual(['b'])
    expect(code({ ...base, token_use: 'access', scp: ['a'] }, ['a'], cognito)).toBe(
      '401 ERR_JWT_SCOPE_MISMATCH',
    )
  })
})

describe('checkTimes', () => {
  it.each([
    ['valid', { exp: NOW + 1 }, undefined],
    ['exp exactly now+skew is expired', { exp: NOW - 60 }, 'ERR_JWT_EXPIRED'],
    ['exp inside skew', { exp: NOW - 59 }, undefined],
    ['fractional exp accepted', { exp: NOW + 0.5 }, undefined],
    ['exp missing', {}, 'ERR_JWT_CLAIM_INVALID'],
    ['exp NaN-like string', { exp: 'soon' }, 'ERR_JWT_CLAIM_INVALID'],
    ['nbf beyond skew', { exp: NOW + 999, nbf: NOW + 61 }, 'ERR_JWT_NOT_YET_VALID'],
    ['nbf inside skew', { exp: NOW + 999, nbf: NOW + 60 }, undefined],
    ['nbf malformed', { exp: NOW + 999, nbf: null }, 'ERR_JWT_CLAIM_INVALID'],
    ['iat in the future', { exp: NOW + 999, iat: NOW + 61 }, 'ERR_JWT_ISSUED_IN_FUTURE'],
  ])('%s', (_name, payload, expected) => {
    expect(checkTimes(payload, 60, NOW)?.code).toBe(expected)
  })
})

describe('flattenClaims', () => {
  it('renders arrays REST-style for Cognito and HTTP-API-style for JWT', () => {
    const p = { groups: ['a', 'b'], n: 3, b: false, o: { x: 1 }, nil: null, s: 'v' }
    expect(flattenClaims(p, 'COGNITO_USER_POOLS')).toEqual({
      groups: 'a,b',
      n: '3',
      b: 'false',
      o: '{"x":1}',
      s: 'v',
    })
    expect(flattenClaims(p, 'JWT').groups).toBe('[a b]')
  })

  it('drops values and names carrying control characters (no header injection)', () => {
    const out = flattenClaims(
      {
        ok: 'fine',
        evil: 'x\r\nx-portcullis-principal: admin',
        'bad\nname': 'v',
        nul: 'a\u0000b',
        arr: ['a\nb'],
      },
      'JWT',
    )
    expect(out).toEqual({ ok: 'fine' })
  })
})

describe('tokenScopes / tokenScopeSet', () => {
  it('splits on spaces, drops empties and duplicates, keeps token order; scp only for JWT', () => {
    const p = { scope: '  a b  a c ', scp: ['d', '', 'b', 7, 'e'] }
    expect(tokenScopes(p, 'JWT')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(tokenScopes(p, 'COGNITO_USER_POOLS')).toEqual(['a', 'b', 'c'])
    expect(tokenScopes({ scp: 'x  y' }, 'JWT')).toEqual(['x', 'y'])
    expect(tokenScopes({ scope: ['a'] }, 'JWT')).toEqual([])
    expect([...tokenScopeSet(p, 'JWT')]).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('checkClaims gives the same answer for the scope list and the scope Set', () => {
    const payload = { ...base, aud: 'petstore', scope: 'pets/read pets/write' }
    for (const route of [['pets/read'], ['x', 'pets/write'], ['x'], []]) {
      const fromList = checkClaims(payload, tokenScopes(payload, 'JWT'), jwt, route, NOW)
      const fromSet = checkClaims(payload, tokenScopeSet(payload, 'JWT'), jwt, route, NOW)
      expect(fromSet).toEqual(fromList)
    }
    expect(checkClaims(payload, tokenScopeSet(payload, 'JWT'), jwt, ['x'], NOW)?.status).toBe(403)
  })
})

describe("flattenClaims with the decoder's payloadControlFree hint", () => {
  it('skipping the control-character scans never changes the result (10 000 random payloads)', () => {
    const header = Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', '/', '\u007f', '\n', '\u0000', 'é', '"', '\\'),
    })
    const claim = fc.oneof(
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(text),
      fc.dictionary(text, text),
    )
    let hinted = 0
    fc.assert(
      fc.property(fc.dictionary(text, claim), fc.boolean(), (payload, escapeSlashes) => {
        let json = JSON.stringify(payload)
        if (escapeSlashes) json = json.replace(/\//g, '\\/') // as PHP's json_encode writes
        const token = `${header}.${Buffer.from(json).toString('base64url')}.c2ln`
        const d = decodeCompactJws(token)
        if (!d.ok) throw new Error(d.code)
        if (d.jws.payloadControlFree) hinted++
        for (const type of ['JWT', 'COGNITO_USER_POOLS'] as const) {
          expect(flattenClaims(d.jws.payload, type, d.jws.payloadControlFree)).toEqual(
            flattenClaims(d.jws.payload, type),
          )
        }
      }),
      { numRuns: 10_000 },
    )
    expect(hinted).toBeGreaterThan(1000) // the fast path was really taken
  })
})
