/**
 * Differential: our claim checks (checkIssuer + checkClaims) give the same accept/refuse answer as
 * jose's `jwtVerify` with the equivalent options, on random claim sets, skews and clocks, as
 * verify-jws-signature.test.ts does for signatures.
 *
 * Equivalent options: `issuer`, `audience` (when audiences are configured), `clockTolerance` =
 * clockSkewSeconds, `currentDate` = the same clock, `requiredClaims: ['exp', 'sub']` (we refuse a
 * token without `exp` or `sub`), and `maxTokenAge` (very large) when the token has `iat`, the only
 * way to make jose refuse an `iat` in the future (it then also requires `iat`, hence only then).
 *
 * AWS rules jose has no option for are applied to what jose sees, not tolerated as divergences:
 * - JWT authorizers match `client_id` against the audiences when `aud` is absent: jose sees the
 *   token with `aud` = `client_id` in that case;
 * - Cognito access tokens match `client_id`, not `aud`: jose sees `aud` = `client_id`;
 * - Cognito's `token_use` (`id` on routes without scopes, `access` with) is a plain equality jose
 *   cannot express: the expected answer is jose's and `token_use` being the one the route needs.
 *
 * Intended differences, outside the generated space and pinned by the examples at the end: we
 * refuse an `aud` array with a non-string member and a `sub` that is not a non-empty string
 * (jose accepts both); and we compare with the clock's milliseconds where jose floors it to whole
 * seconds, which matters only for fractional `exp`/`nbf`/`iat` (generated claims are integers).
 */
import fc from 'fast-check'
import { jwtVerify, SignJWT, type JWTVerifyOptions } from 'jose'
import { describe, expect, it } from 'vitest'
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { checkClaims, checkIssuer, tokenScopeSet } from './jwt-claims.js'

const ISSUER = 'https://issuer.example'
const SECRET = new TextEncoder().encode('a-test-only-hmac-secret-of-32-bytes!')
const BASE_S = 1_800_000_000
/** Far above any generated token age: only the future-`iat` side of maxTokenAge can refuse. */
const MAX_TOKEN_AGE_S = 10 * 365 * 86_400
const ROUTE_SCOPE = 'pets/read'

type Claims = Record<string, unknown>

interface Case {
  readonly config: JwtAuthorizerConfig
  /** Cognito only: whether the route has scopes (access token) or not (ID token). */
  readonly accessRoute: boolean
  readonly nowMs: number
  readonly claims: Claims
}

const NAMES = ['a', 'b', 'c', 'd'] as const
/** A NumericDate near the clock (integers: see the header), or a value of the wrong type. */
const timeClaim = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.integer({ min: -400, max: 400 }).map((d) => BASE_S + d), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>('soon', null, true), weight: 1 },
)
/** Mostly `likely`, so that enough generated tokens pass every check to be worth comparing. */
const mostly = <T>(likely: T, ...others: T[]) =>
  fc.oneof(
    { arbitrary: fc.constant(likely), weight: 4 },
    { arbitrary: fc.constantFrom(...others), weight: 1 },
  )

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    type: fc.constantFrom<JwtAuthorizerConfig['type']>('JWT', 'COGNITO_USER_POOLS'),
    audiences: fc.uniqueArray(fc.constantFrom(...NAMES.slice(0, 3)), { maxLength: 3 }),
    skew: fc.integer({ min: 0, max: 300 }),
    accessRoute: fc.boolean(),
    nowMs: fc.integer({ min: -100_000, max: 100_000 }).map((d) => BASE_S * 1000 + d),
    iss: mostly<unknown>(ISSUER, `${ISSUER}/`, 'https://other.example', 7, undefined),
    sub: mostly<unknown>('alice', undefined),
    exp: timeClaim,
    nbf: timeClaim,
    iat: timeClaim,
    aud: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(...NAMES),
      fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
      fc.constant(7),
    ),
    client_id: fc.constantFrom<unknown>(undefined, ...NAMES, 7),
    token_use: fc.constantFrom<unknown>(undefined, 'id', 'access', 'id', 'access', 'other'),
  })
  .map((r) => {
    const config: JwtAuthorizerConfig = {
      id: 'shop/auth',
      type: r.type,
      issuer: ISSUER,
      jwksUri: undefined,
      // A JWT authorizer requires audiences (validated config); Cognito's clientIds may be empty.
      audiences: r.type === 'JWT' && r.audiences.length === 0 ? ['a'] : r.audiences,
      identityHeader: 'authorization',
      clockSkewSeconds: r.skew,
    }
    const claims: Claims = { scope: ROUTE_SCOPE }
    for (const k of ['iss', 'sub', 'exp', 'nbf', 'iat', 'aud', 'client_id', 'token_use'] as const) {
      if (r[k] !== undefined) claims[k] = r[k]
    }
    return {
      config,
      accessRoute: r.type === 'COGNITO_USER_POOLS' && r.accessRoute,
      nowMs: r.nowMs,
      claims,
    }
  })

function ours(c: Case): boolean {
  const routeScopes = c.accessRoute ? [ROUTE_SCOPE] : []
  const scopes = tokenScopeSet(c.claims, c.config.type)
  return (
    checkIssuer(c.claims, c.config) === undefined &&
    checkClaims(c.claims, scopes, c.config, routeScopes, c.nowMs / 1000) === undefined
  )
}

/** The claims jose sees: the AWS audience rules of the header applied. */
function forJose(c: Case): Claims {
  const { aud, client_id: clientId, ...rest } = c.claims
  const cognitoAccess = c.config.type === 'COGNITO_USER_POOLS' && c.accessRoute
  const useClientId = cognitoAccess || (c.config.type === 'JWT' && aud === undefined)
  if (!useClientId) return aud === undefined ? rest : { ...rest, aud }
  return typeof clientId === 'string' ? { ...rest, aud: clientId } : rest
}

async function jose(c: Case): Promise<boolean> {
  const claims = forJose(c)
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(SECRET)
  const options: JWTVerifyOptions = {
    algorithms: ['HS256'],
    issuer: ISSUER,
    clockTolerance: c.config.clockSkewSeconds,
    currentDate: new Date(c.nowMs),
    requiredClaims: ['exp', 'sub'],
    ...(c.config.audiences.length > 0 ? { audience: [...c.config.audiences] } : {}),
    ...(claims['iat'] !== undefined ? { maxTokenAge: MAX_TOKEN_AGE_S } : {}),
  }
  let accepted: boolean
  try {
    await jwtVerify(token, SECRET, options)
    accepted = true
  } catch {
    accepted = false
  }
  if (c.config.type !== 'COGNITO_USER_POOLS') return accepted
  return accepted && c.claims['token_use'] === (c.accessRoute ? 'access' : 'id')
}

describe('JWT claim checks vs jose jwtVerify (differential)', () => {
  it('same accept/refuse answer on random claim sets, audiences, skews and clocks', async () => {
    let accepted = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const answer = ours(c)
        expect(answer).toBe(await jose(c))
        if (answer) accepted++
        else refused++
      }),
      { numRuns: 3000 },
    )
    // Both answers are exercised: a generator that only produced refusals would prove nothing.
    expect(accepted).toBeGreaterThan(50)
    expect(refused).toBeGreaterThan(50)
  })

  it('agrees at the exact exp / nbf / iat boundaries, with and without skew', async () => {
    const config: JwtAuthorizerConfig = {
      id: 'shop/auth',
      type: 'JWT',
      issuer: ISSUER,
      jwksUri: undefined,
      audiences: ['a'],
      identityHeader: 'authorization',
      clockSkewSeconds: 0,
    }
    const base = { iss: ISSUER, sub: 'alice', aud: 'a', scope: ROUTE_SCOPE }
    const nowS = BASE_S
    for (const skew of [0, 60]) {
      for (const d of [-skew - 1, -skew, -skew + 1, -1, 0, 1, skew - 1, skew, skew + 1]) {
        for (const claims of [
          { ...base, exp: nowS + d },
          { ...base, exp: nowS + 3600, nbf: nowS + d },
          { ...base, exp: nowS + 3600, iat: nowS + d },
        ]) {
          for (const ms of [0, 999]) {
            const c: Case = {
              config: { ...config, clockSkewSeconds: skew },
              accessRoute: false,
              nowMs: nowS * 1000 + ms,
              claims,
            }
            expect(ours(c), JSON.stringify(c)).toBe(await jose(c))
          }
        }
      }
    }
  })
})

describe('intended differences from jose (we are stricter)', () => {
  const config: JwtAuthorizerConfig = {
    id: 'shop/auth',
    type: 'JWT',
    issuer: ISSUER,
    jwksUri: undefined,
    audiences: ['a'],
    identityHeader: 'authorization',
    clockSkewSeconds: 0,
  }
  const good = { iss: ISSUER, sub: 'alice', aud: 'a', exp: BASE_S + 60 }
  const at = (claims: Claims, nowMs = BASE_S * 1000): Case => ({
    config,
    accessRoute: false,
    nowMs,
    claims,
  })

  it('the baseline token is accepted by both', async () => {
    expect(ours(at(good))).toBe(true)
    expect(await jose(at(good))).toBe(true)
  })

  it('an aud array with a non-string member: jose accepts the matching member, we refuse it whole', async () => {
    const c = at({ ...good, aud: ['a', 1] })
    expect(await jose(c)).toBe(true)
    expect(ours(c)).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['a number', 7],
  ])(
    'a sub that is %s: jose only requires presence, we require a non-empty string',
    async (_n, sub) => {
      const c = at({ ...good, sub })
      expect(await jose(c)).toBe(true)
      expect(ours(c)).toBe(false)
    },
  )

  it('a fractional exp: we compare with the clock to the millisecond, jose floors it to seconds', async () => {
    // exp = T + 0.3, clock = T + 0.5: expired by 200 ms; jose sees the clock as T.
    const c = at({ ...good, exp: BASE_S + 0.3 }, BASE_S * 1000 + 500)
    expect(await jose(c)).toBe(true)
    expect(ours(c)).toBe(false)
  })
})
