/**
 * COGNITO_USER_POOLS verification against a real loopback issuer that signs Cognito-shaped ID and
 * access tokens with jose and serves its JWKS at a Cognito-like path
 * (`/<region>_<pool>/.well-known/jwks.json`), reached through the `jwksUri` override while tokens
 * carry the real Cognito issuer derived from the user pool ARN.
 *
 * @module
 */
import { createHmac, createPublicKey } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, base64url } from 'jose'
import {
  compileCognitoConfigs,
  JwksRegistry,
  JwtVerifier,
  JwtVerifierSet,
  MAX_TOKEN_BYTES,
  type JwksRegistryOptions,
  type JwtAuthorizerConfig,
  type JwtResult,
} from '../../src/authn/jwt/index.js'
import {
  cognitoAccessTokenClaims,
  cognitoIdTokenClaims,
  LoopbackIssuer,
} from '../helpers/jwt-loopback-issuer.js'

const POOL = 'us-east-1_AbCdEf123'
const ARN = `arn:aws:cognito-idp:us-east-1:111122223333:userpool/${POOL}`
const ISS = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`
const CLIENT = 'app-client-1'
const SCOPE = 'https://petstore.example.com/pets.read'

const issuer = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
const registries: JwksRegistry[] = []

function registry(opts: JwksRegistryOptions = {}): JwksRegistry {
  const r = new JwksRegistry({ retryIntervalMs: 0, ...opts })
  registries.push(r)
  return r
}

function config(clientIds: string[] = [CLIENT], jwksUri = issuer.jwksUri): JwtAuthorizerConfig {
  const configs = compileCognitoConfigs({
    id: 'shop/users',
    providerARNs: [ARN],
    clientIds,
    jwksUri,
  })
  if (configs instanceof Error) throw configs
  const [c] = configs
  if (c === undefined) throw new Error('no config')
  return c
}

function idToken(overrides: Record<string, unknown> = {}, kid?: string): Promise<string> {
  return issuer.sign(
    { iss: ISS, ...cognitoIdTokenClaims(CLIENT, overrides) },
    kid === undefined ? {} : { kid },
  )
}

function accessToken(
  scope = `${SCOPE} aws.cognito.signin.user.admin`,
  overrides = {},
): Promise<string> {
  return issuer.sign({ iss: ISS, ...cognitoAccessTokenClaims(CLIENT, scope, overrides) })
}

function expectDeny(r: JwtResult, code: string, status = 401): void {
  expect(r.ok).toBe(false)
  if (r.ok) return
  expect(r.code).toBe(code)
  expect(r.status).toBe(status)
}

beforeAll(async () => {
  await issuer.start()
  await issuer.addKey('RS256', 'rsa-1')
})
afterAll(async () => {
  await issuer.stop()
})
afterEach(() => {
  for (const r of registries.splice(0)) r.close()
  issuer.delayMs = 0
  issuer.jwksBody = undefined
  issuer.jwksStatus = 200
})

describe('Cognito ID and access tokens (AWS rules, and ours where AWS is silent)', () => {
  it('accepts an ID token on a route without scopes, with and without the Bearer prefix', async () => {
    const v = new JwtVerifier(config(), registry())
    const token = await idToken()
    for (const header of [token, `Bearer ${token}`, `bearer   ${token}`]) {
      const r = await v.verify(header, [])
      expect(r).toMatchObject({ ok: true, principalId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' })
      if (!r.ok) return
      // REST-style flattening: arrays joined by commas, numbers and booleans as strings.
      expect(r.claims['cognito:groups']).toBe('admins,pets')
      expect(r.claims['email_verified']).toBe('true')
      expect(r.claims['token_use']).toBe('id')
      expect(r.claims['iss']).toBe(ISS)
    }
  })

  it('accepts an access token on a scoped route when any route scope is in `scope`', async () => {
    const v = new JwtVerifier(config(), registry())
    const r = await v.verify(`Bearer ${await accessToken()}`, ['other/scope', SCOPE])
    expect(r).toMatchObject({ ok: true, scopes: [SCOPE, 'aws.cognito.signin.user.admin'] })
  })

  it('refuses an ID token on a scoped route and an access token on an unscoped one (401)', async () => {
    const v = new JwtVerifier(config(), registry())
    expectDeny(await v.verify(await idToken(), [SCOPE]), 'ERR_JWT_TOKEN_USE_MISMATCH')
    expectDeny(await v.verify(await accessToken(), []), 'ERR_JWT_TOKEN_USE_MISMATCH')
    expectDeny(
      await v.verify(await idToken({ token_use: undefined }), []),
      'ERR_JWT_TOKEN_USE_MISMATCH',
    )
  })

  it('refuses a missing route scope with 401 on Cognito (not 403)', async () => {
    const v = new JwtVerifier(config(), registry())
    expectDeny(
      await v.verify(await accessToken('pets/write'), [SCOPE]),
      'ERR_JWT_SCOPE_MISMATCH',
      401,
    )
    // Substrings and case variants are not scopes.
    expectDeny(await v.verify(await accessToken(`${SCOPE}x`), [SCOPE]), 'ERR_JWT_SCOPE_MISMATCH')
    expectDeny(
      await v.verify(await accessToken(SCOPE.toUpperCase()), [SCOPE]),
      'ERR_JWT_SCOPE_MISMATCH',
    )
  })

  it('checks aud (ID token) and client_id (access token) against clientIds when configured', async () => {
    const v = new JwtVerifier(config(), registry())
    expectDeny(
      await v.verify(await idToken({ aud: 'other-client' }), []),
      'ERR_JWT_AUDIENCE_MISMATCH',
    )
    expectDeny(
      await v.verify(await accessToken(SCOPE, { client_id: 'other-client' }), [SCOPE]),
      'ERR_JWT_CLIENT_ID_MISMATCH',
    )
    // No clientIds configured: the app client is not checked (AWS leaves it optional).
    const open = new JwtVerifier(config([]), registry())
    expect((await open.verify(await idToken({ aud: 'other-client' }), [])).ok).toBe(true)
  })

  it('refuses a token from another issuer without fetching any key', async () => {
    const before = issuer.jwksFetches
    const v = new JwtVerifier(config(), registry())
    const r = await v.verify(await idToken({ iss: `${ISS}x` }), [])
    expectDeny(r, 'ERR_JWT_ISSUER_MISMATCH')
    expect(issuer.jwksFetches).toBe(before)
  })

  it('enforces exp, nbf and iat with the configured clock skew', async () => {
    const v = new JwtVerifier(config(), registry())
    const now = Math.floor(Date.now() / 1000)
    expectDeny(await v.verify(await idToken({ exp: now - 61 }), []), 'ERR_JWT_EXPIRED')
    expect((await v.verify(await idToken({ exp: now - 30 }), [])).ok).toBe(true) // inside 60 s skew
    expectDeny(await v.verify(await idToken({ nbf: now + 120 }), []), 'ERR_JWT_NOT_YET_VALID')
    expect((await v.verify(await idToken({ nbf: now + 30 }), [])).ok).toBe(true)
    expectDeny(await v.verify(await idToken({ iat: now + 120 }), []), 'ERR_JWT_ISSUED_IN_FUTURE')
    expectDeny(await v.verify(await idToken({ exp: undefined }), []), 'ERR_JWT_CLAIM_INVALID')
    expectDeny(
      await v.verify(await idToken({ exp: String(now + 100) }), []),
      'ERR_JWT_CLAIM_INVALID',
    )
    expectDeny(await v.verify(await idToken({ sub: undefined }), []), 'ERR_JWT_CLAIM_INVALID')
  })
})

describe('keys: unknown kid, rotation, algorithm and key confusion', () => {
  it('refetches once on an unknown kid, then denies; a second unknown kid within cooldown does not refetch', async () => {
    const v = new JwtVerifier(config(), registry({ cooldownMs: 60_000 }))
    expect((await v.verify(await idToken(), [])).ok).toBe(true)
    const afterFirst = issuer.jwksFetches
    const ghost = await issuer.addKey('RS256', 'ghost-1')
    issuer.removeKey('ghost-1') // signed by a key the issuer does not publish
    const forged1 = await new SignJWT({ ...cognitoIdTokenClaims(CLIENT), iss: ISS })
      .setProtectedHeader({ alg: 'RS256', kid: 'ghost-1' })
      .sign(ghost.privateKey)
    expectDeny(await v.verify(forged1, []), 'ERR_JWT_KID_UNKNOWN')
    expect(issuer.jwksFetches).toBe(afterFirst + 1)
    const forged2 = await new SignJWT({ ...cognitoIdTokenClaims(CLIENT), iss: ISS })
      .setProtectedHeader({ alg: 'RS256', kid: 'ghost-2' })
      .sign(ghost.privateKey)
    expectDeny(await v.verify(forged2, []), 'ERR_JWT_KID_UNKNOWN')
    expect(issuer.jwksFetches).toBe(afterFirst + 1)
  })

  it('picks up a rotated key: a token with a new kid triggers one refetch and verifies', async () => {
    const v = new JwtVerifier(config(), registry())
    expect((await v.verify(await idToken(), [])).ok).toBe(true)
    const before = issuer.jwksFetches
    await issuer.addKey('RS256', 'rsa-2')
    try {
      const r = await v.verify(await idToken({}, 'rsa-2'), [])
      expect(r.ok).toBe(true)
      expect(issuer.jwksFetches).toBe(before + 1)
    } finally {
      issuer.removeKey('rsa-2')
    }
  })

  it('verifies ES256 and PS256 tokens when the JWK says so', async () => {
    await issuer.addKey('ES256', 'ec-1')
    await issuer.addKey('PS256', 'ps-1')
    try {
      const v = new JwtVerifier(config(), registry())
      expect((await v.verify(await idToken({}, 'ec-1'), [])).ok).toBe(true)
      expect((await v.verify(await idToken({}, 'ps-1'), [])).ok).toBe(true)
    } finally {
      issuer.removeKey('ec-1')
      issuer.removeKey('ps-1')
    }
  })

  it('never verifies alg none, whatever the kid', async () => {
    const v = new JwtVerifier(config(), registry())
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: 'rsa-1', typ: 'JWT' }))
    const payload = base64url.encode(JSON.stringify({ ...cognitoIdTokenClaims(CLIENT), iss: ISS }))
    expectDeny(await v.verify(`${header}.${payload}.`, []), 'ERR_JWT_MALFORMED')
    expectDeny(await v.verify(`${header}.${payload}.AAAA`, []), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  it('never verifies HS256 signed with the RSA public key (key confusion), even with an oct JWK published', async () => {
    const rsa = issuer.keys.find((k) => k.kid === 'rsa-1')
    if (rsa === undefined) throw new Error('no rsa key')
    const pem = createPublicKey({ key: rsa.publicJwk, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    // The attacker also gets a symmetric JWK with that kid published: still never used.
    issuer.extraJwks = [{ kty: 'oct', kid: 'rsa-1', k: base64url.encode(pem), alg: 'HS256' }]
    try {
      const v = new JwtVerifier(config(), registry())
      for (const secret of [pem, JSON.stringify(rsa.publicJwk), String(rsa.publicJwk.n)]) {
        const h = base64url.encode(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' }))
        const p = base64url.encode(JSON.stringify({ ...cognitoIdTokenClaims(CLIENT), iss: ISS }))
        const sig = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')
        expectDeny(await v.verify(`${h}.${p}.${sig}`, []), 'ERR_JWT_ALG_NOT_ALLOWED')
      }
    } finally {
      issuer.extraJwks = []
    }
  })

  it('refuses a token whose alg disagrees with the JWK (type or pinned alg)', async () => {
    const ec = await issuer.addKey('ES256', 'ec-2')
    try {
      const v = new JwtVerifier(config(), registry())
      // ES256 token naming the RSA key's kid.
      const t1 = await new SignJWT({ ...cognitoIdTokenClaims(CLIENT), iss: ISS })
        .setProtectedHeader({ alg: 'ES256', kid: 'rsa-1' })
        .sign(ec.privateKey)
      expectDeny(await v.verify(t1, []), 'ERR_JWT_KEY_MISMATCH')
      // PS256 token signed with the RS256-pinned RSA key: same key material, other algorithm.
      const rsa = issuer.keys.find((k) => k.kid === 'rsa-1')
      if (rsa === undefined) throw new Error('no rsa key')
      const { importJWK, exportJWK } = await import('jose')
      const psKey = await importJWK({ ...(await exportJWK(rsa.privateKey)), alg: 'PS256' }, 'PS256')
      const t2 = await new SignJWT({ ...cognitoIdTokenClaims(CLIENT), iss: ISS })
        .setProtectedHeader({ alg: 'PS256', kid: 'rsa-1' })
        .sign(psKey)
      expectDeny(await v.verify(t2, []), 'ERR_JWT_KEY_MISMATCH')
    } finally {
      issuer.removeKey('ec-2')
    }
  })
})

describe('malformed input', () => {
  it('refuses truncated, tampered, oversized, garbage and absent tokens with 401', async () => {
    const v = new JwtVerifier(config(), registry())
    const token = await idToken()
    const [h, p, s] = token.split('.') as [string, string, string]
    expectDeny(await v.verify(token.slice(0, -10), []), 'ERR_JWT_SIGNATURE_INVALID')
    expectDeny(await v.verify(`${h}.${p}`, []), 'ERR_JWT_MALFORMED')
    const tampered = base64url.encode(
      JSON.stringify({ ...cognitoIdTokenClaims(CLIENT), iss: ISS, sub: 'mallory' }),
    )
    expectDeny(await v.verify(`${h}.${tampered}.${s}`, []), 'ERR_JWT_SIGNATURE_INVALID')
    expectDeny(await v.verify(`${h}.${p}.${s}=`, []), 'ERR_JWT_MALFORMED') // padding is not base64url
    expectDeny(await v.verify(`${token}.${s}`, []), 'ERR_JWT_MALFORMED') // five parts = JWE shape
    expectDeny(await v.verify('x'.repeat(MAX_TOKEN_BYTES + 1), []), 'ERR_JWT_TOO_LARGE')
    expectDeny(await v.verify(`Bearer ${'a'.repeat(1_000_000)}`, []), 'ERR_JWT_TOO_LARGE')
    const big = await idToken({ pad: 'x'.repeat(MAX_TOKEN_BYTES) })
    expectDeny(await v.verify(big, []), 'ERR_JWT_TOO_LARGE')
    for (const garbage of ['garbage', 'a.b.c', '...', 'Bearer', 'Basic dXNlcjpwYXNz', '{}.{}.{}']) {
      const r = await v.verify(garbage, [])
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.status).toBe(401)
    }
    expectDeny(await v.verify(undefined, []), 'ERR_JWT_MISSING')
    expectDeny(await v.verify('   ', []), 'ERR_JWT_MISSING')
    const notJson = `${base64url.encode('{"alg":"RS256","kid":"rsa-1"}')}.${base64url.encode('[1,2]')}.${s}`
    expectDeny(await v.verify(notJson, []), 'ERR_JWT_MALFORMED')
  })
})

describe('issuer outages and the key and token caches', () => {
  it('answers 401 while the issuer is down at first use, then recovers by background retry', async () => {
    const down = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
    await down.start()
    await down.addKey('RS256', 'k-down')
    await down.stop() // the port now refuses connections
    const outcomes: string[] = []
    const reg = registry({
      retryIntervalMs: 100,
      onFetch: (_url, outcome) => outcomes.push(outcome),
    })
    const v = new JwtVerifier(config([CLIENT], down.jwksUri), reg)
    const token = await down.sign({ ...cognitoIdTokenClaims(CLIENT), iss: ISS })
    expectDeny(await v.verify(token, []), 'ERR_JWT_JWKS_UNAVAILABLE')
    expect(outcomes).toEqual(['error'])
    expect(reg.status()[0]?.state).toBe('failing')
    await down.start() // same port
    try {
      // No request needed: the background retry (100 ms, backoff) fetches the keys.
      await expect.poll(() => down.jwksFetches, { timeout: 5000, interval: 50 }).toBeGreaterThan(0)
      await expect.poll(() => reg.status()[0]?.state, { timeout: 5000, interval: 50 }).toBe('ok')
      const r = await v.verify(token, [])
      expect(r.ok).toBe(true)
      expect(outcomes.at(-1)).toBe('success')
    } finally {
      await down.stop()
    }
  })

  it('keeps verifying (new tokens too) after the issuer goes down once keys are known, even past the cache age', async () => {
    const iss2 = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
    await iss2.start()
    await iss2.addKey('RS256', 'k2')
    let clock = Date.now()
    const reg = registry({ cacheMaxAgeMs: 1000, retryIntervalMs: 0, now: () => clock })
    const v = new JwtVerifier(config([CLIENT], iss2.jwksUri), reg)
    expect(
      (await v.verify(await iss2.sign({ ...cognitoIdTokenClaims(CLIENT), iss: ISS }), [])).ok,
    ).toBe(true)
    await iss2.stop()
    clock += 5000 // keys now older than cacheMaxAgeMs: refresh attempted, fails, old keys serve
    const fresh = await iss2.sign({ ...cognitoIdTokenClaims(CLIENT, { jti: 'new' }), iss: ISS })
    const before = v.stats().signatureVerifications
    expect((await v.verify(fresh, [])).ok).toBe(true)
    expect(v.stats().signatureVerifications).toBe(before + 1) // really verified, not a cache hit
    await expect.poll(() => reg.status()[0]?.state, { timeout: 5000, interval: 20 }).toBe('stale')
    expect((await v.verify(fresh, [])).ok).toBe(true)
  })
})

describe('verified-token cache', () => {
  it('verifies a repeated token once; time and route-scope checks still run on every hit', async () => {
    let clock = Date.now()
    const v = new JwtVerifier(config(), registry(), { now: () => clock })
    const exp = Math.floor(clock / 1000) + 120
    const token = await accessToken(SCOPE, { exp })
    for (let i = 0; i < 100; i++) expect((await v.verify(token, [SCOPE])).ok).toBe(true)
    expect(v.stats()).toEqual({ signatureVerifications: 1, cacheHits: 99 })
    // Route scopes are per request, not cached with the token.
    expectDeny(await v.verify(token, ['pets/write']), 'ERR_JWT_SCOPE_MISMATCH')
    expectDeny(await v.verify(token, []), 'ERR_JWT_TOKEN_USE_MISMATCH')
    clock = (exp + 61) * 1000 // expiry (plus skew) passes while the token sits in the cache
    expectDeny(await v.verify(token, [SCOPE]), 'ERR_JWT_EXPIRED')
    expect(v.stats().signatureVerifications).toBe(1)
  })

  it('stops honouring a cached token once its key is no longer published', async () => {
    const iss3 = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
    await iss3.start()
    await iss3.addKey('RS256', 'old')
    await iss3.addKey('RS256', 'new')
    try {
      let clock = Date.now()
      const reg = registry({ cacheMaxAgeMs: 1000, retryIntervalMs: 0, now: () => clock })
      const v = new JwtVerifier(config([CLIENT], iss3.jwksUri), reg)
      const token = await iss3.sign({ ...cognitoIdTokenClaims(CLIENT), iss: ISS }, { kid: 'old' })
      expect((await v.verify(token, [])).ok).toBe(true)
      iss3.removeKey('old') // revoked at the issuer
      clock += 5000
      // This hit triggers the background refresh; wait for it to land.
      await v.verify(token, [])
      await expect.poll(() => iss3.jwksFetches, { timeout: 5000, interval: 20 }).toBe(2)
      await expect.poll(() => reg.status()[0]?.lastSuccessAtMs, { interval: 20 }).toBe(clock)
      expectDeny(await v.verify(token, []), 'ERR_JWT_KID_UNKNOWN')
    } finally {
      await iss3.stop()
    }
  })

  it('collapses concurrent first requests into one JWKS fetch', async () => {
    const iss4 = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
    await iss4.start()
    await iss4.addKey('RS256', 'k')
    iss4.delayMs = 200
    try {
      const v = new JwtVerifier(config([CLIENT], iss4.jwksUri), registry())
      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          iss4.sign({ ...cognitoIdTokenClaims(CLIENT, { jti: `t${i}` }), iss: ISS }),
        ),
      )
      const results = await Promise.all(tokens.map((t) => Promise.resolve(v.verify(t, []))))
      expect(results.every((r) => r.ok)).toBe(true)
      expect(iss4.jwksFetches).toBe(1)
    } finally {
      await iss4.stop()
    }
  })
})

describe('several user pools in one authorizer', () => {
  it('routes each token to its own pool by iss and refuses unknown pools', async () => {
    const poolB = 'eu-west-1_ZyXwV987'
    const other = new LoopbackIssuer({ pathPrefix: `/${poolB}` })
    await other.start()
    await other.addKey('RS256', 'b-1')
    try {
      const reg = registry()
      const a = config()
      const bConfigs = compileCognitoConfigs({
        id: 'shop/users',
        providerARNs: [`arn:aws:cognito-idp:eu-west-1:111122223333:userpool/${poolB}`],
        clientIds: [CLIENT],
        jwksUri: other.jwksUri,
      })
      if (bConfigs instanceof Error) throw bConfigs
      const set = new JwtVerifierSet([a, ...bConfigs], reg)
      const issB = `https://cognito-idp.eu-west-1.amazonaws.com/${poolB}`
      expect((await set.verify(`Bearer ${await idToken()}`, [])).ok).toBe(true)
      expect(
        (await set.verify(await other.sign({ ...cognitoIdTokenClaims(CLIENT), iss: issB }), [])).ok,
      ).toBe(true)
      // Pool B's token signed by pool A's key: routed to B, whose JWKS does not have that kid.
      const crossed = await issuer.sign({ ...cognitoIdTokenClaims(CLIENT), iss: issB })
      expectDeny(await set.verify(crossed, []), 'ERR_JWT_KID_UNKNOWN')
      expectDeny(
        await set.verify(
          await idToken({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }),
          [],
        ),
        'ERR_JWT_ISSUER_MISMATCH',
      )
    } finally {
      await other.stop()
    }
  })
})
