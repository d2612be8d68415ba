/**
 * JwtVerifier / JwtVerifierSet answer synchronously when no I/O is needed, against a real
 * loopback issuer (JWKS over HTTP, tokens signed by jose): a cached token and a new token whose
 * keys are held come back as plain values (no Promise), the allow object of a cached token is the
 * same object on every hit, and a refreshed JWKS that still publishes the key keeps the cache.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  LoopbackIssuer,
  cognitoAccessTokenClaims,
  cognitoIdTokenClaims,
  jwtConfigFor,
} from '../../../test/helpers/jwt-loopback-issuer.js'
import type { JwtResult } from './jwt-result.js'
import { JwksRegistry, type JwksRegistryOptions } from './jwks-registry.js'
import { JwtVerifier } from './jwt-verifier.js'
import { JwtVerifierSet } from './jwt-verifier-set.js'

const a = new LoopbackIssuer({ pathPrefix: '/a' })
const b = new LoopbackIssuer({ pathPrefix: '/b' })
const registries: JwksRegistry[] = []

function registry(opts: JwksRegistryOptions = {}): JwksRegistry {
  const r = new JwksRegistry({ retryIntervalMs: 0, ...opts })
  registries.push(r)
  return r
}

const config = jwtConfigFor

const token = (issuer: LoopbackIssuer, jti: string, extra: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return issuer.sign({
    sub: 'alice',
    aud: 'petstore',
    scope: 'pets/read',
    exp: now + 600,
    jti,
    ...extra,
  })
}

/** The value, failing the test if it came as a Promise. */
function plain(r: JwtResult | Promise<JwtResult>): JwtResult {
  expect(r).not.toBeInstanceOf(Promise)
  return r as JwtResult
}

beforeAll(async () => {
  await a.start()
  await a.addKey('RS256', 'a1')
  await b.start()
  await b.addKey('ES256', 'b1')
})
afterAll(async () => {
  await a.stop()
  await b.stop()
})
afterEach(() => {
  for (const r of registries.splice(0)) r.close()
})

describe('JwtVerifier: synchronous answers', () => {
  it('fetches keys once (Promise), then answers new and cached tokens as plain values', async () => {
    const v = new JwtVerifier(config(a), registry())
    const first = v.verify(`Bearer ${await token(a, 'one')}`, ['pets/read'])
    expect(first).toBeInstanceOf(Promise)
    expect((await first).ok).toBe(true)

    const header = `Bearer ${await token(a, 'two')}`
    const fresh = plain(v.verify(header, ['pets/read']))
    const hit1 = plain(v.verify(header, ['pets/read']))
    const hit2 = plain(v.verify(header, ['pets/read']))
    expect(fresh.ok && hit1.ok && hit2.ok).toBe(true)
    // One frozen answer per verified token: its claims object keeps its identity across hits.
    expect(hit2).toBe(hit1)
    expect(Object.isFrozen(hit1)).toBe(true)
    // Kept for later requests: consumers may cache what they derive from it.
    expect(hit1.ok && hit1.cached).toBe(true)
    expect(v.stats()).toEqual({ signatureVerifications: 2, cacheHits: 2 })
    // Per-request checks still run on hits, synchronously.
    expect(plain(v.verify(header, ['pets/write']))).toMatchObject({
      ok: false,
      status: 403,
      code: 'ERR_JWT_SCOPE_MISMATCH',
    })
    // Refusals needing no keys are plain values too.
    expect(plain(v.verify(undefined, []))).toMatchObject({ code: 'ERR_JWT_MISSING' })
    expect(plain(v.verify('Bearer a.b', []))).toMatchObject({ code: 'ERR_JWT_MALFORMED' })
  })

  it('with the token cache off, every request verifies the signature, synchronously', async () => {
    const v = new JwtVerifier(config(a), registry(), { tokenCacheMax: 0 })
    const header = `Bearer ${await token(a, 'nc')}`
    expect((await v.verify(header, ['pets/read'])).ok).toBe(true)
    for (let i = 0; i < 3; i++) expect(plain(v.verify(header, ['pets/read'])).ok).toBe(true)
    expect(v.stats()).toEqual({ signatureVerifications: 4, cacheHits: 0 })
    // A one-request answer says so: consumers must not cache what they derive from it.
    expect(plain(v.verify(header, ['pets/read']))).toMatchObject({ ok: true, cached: false })
    // A tampered signature is refused without any I/O.
    const bad = `${header.slice(0, -4)}AAAA`
    expect(plain(v.verify(bad, ['pets/read']))).toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
  })

  it('keeps serving a cached token from the cache after a refresh that still publishes its key', async () => {
    let clock = Date.now()
    const reg = registry({ cacheMaxAgeMs: 1000, now: () => clock })
    const v = new JwtVerifier(config(a), reg)
    const header = `Bearer ${await token(a, 'rot')}`
    expect((await v.verify(header, ['pets/read'])).ok).toBe(true)
    const fetches = a.jwksFetches
    clock += 5000 // keys older than cacheMaxAgeMs: the next use refreshes in the background
    plain(v.verify(header, ['pets/read']))
    await expect.poll(() => a.jwksFetches, { timeout: 5000, interval: 20 }).toBe(fetches + 1)
    await expect.poll(() => reg.status()[0]?.lastSuccessAtMs, { interval: 20 }).toBe(clock)
    // A new key set object, same key: still a cache hit, no second signature verification.
    expect(plain(v.verify(header, ['pets/read'])).ok).toBe(true)
    expect(v.stats().signatureVerifications).toBe(1)
  })
})

describe('JwtVerifierSet with several issuers', () => {
  it('routes by iss and answers cached and key-held tokens synchronously', async () => {
    const set = new JwtVerifierSet([config(a), config(b)], registry())
    const ta = `Bearer ${await token(a, 'sa')}`
    const tb = `Bearer ${await token(b, 'sb')}`
    expect((await set.verify(ta, ['pets/read'])).ok).toBe(true)
    expect((await set.verify(tb, ['pets/read'])).ok).toBe(true)
    expect(plain(set.verify(ta, ['pets/read'])).ok).toBe(true)
    expect(plain(set.verify(tb, ['pets/read'])).ok).toBe(true)
    expect(plain(set.verify(`Bearer ${await token(b, 'sb2')}`, ['pets/read'])).ok).toBe(true)
    const [va, vb] = set.verifiers
    expect(va?.stats()).toEqual({ signatureVerifications: 1, cacheHits: 1 })
    expect(vb?.stats()).toEqual({ signatureVerifications: 2, cacheHits: 1 })
    // Issuer B's claims signed by A's key: routed to B, whose JWKS lacks kid a1 (refetch → 401).
    const crossed = await a.sign({
      iss: b.issuer,
      sub: 'x',
      aud: 'petstore',
      exp: Math.floor(Date.now() / 1000) + 60,
    })
    expect(await set.verify(crossed, [])).toMatchObject({ ok: false, code: 'ERR_JWT_KID_UNKNOWN' })
    expect(
      plain(set.verify(await token(a, 'x', { iss: 'https://elsewhere.example' }), [])),
    ).toMatchObject({ ok: false, code: 'ERR_JWT_ISSUER_MISMATCH' })
  })
})

describe('JwtVerifierSet.candidate: an audience rule under trial, on the verified token', () => {
  it('decides a verified token with the candidate audiences, without verifying or counting again', async () => {
    const set = new JwtVerifierSet([config(a)], registry())
    const current = `Bearer ${await token(a, 'c1')}`
    const next = `Bearer ${await token(a, 'c2', { aud: 'petstore-v2' })}`
    const liveCurrent = await set.verify(current, [])
    const liveNext = await set.verify(next, [])
    expect(liveCurrent.ok).toBe(true)
    expect(liveNext).toMatchObject({ ok: false, code: 'ERR_JWT_AUDIENCE_MISMATCH' })
    const before = set.verifiers[0]?.stats()
    expect(set.candidate(current, [], liveCurrent, ['petstore-v2'])).toMatchObject({
      ok: false,
      code: 'ERR_JWT_AUDIENCE_MISMATCH',
    })
    expect(set.candidate(next, [], liveNext, ['petstore-v2'])).toMatchObject({
      ok: true,
      principalId: 'alice',
    })
    expect(set.verifiers[0]?.stats()).toEqual(before)
  })

  it("keeps a refusal the candidate cannot change (the token's other rules), without looking", async () => {
    const set = new JwtVerifierSet([config(a)], registry())
    const expired = `Bearer ${await token(a, 'c3', { exp: 1 })}`
    const live = await set.verify(expired, [])
    expect(live).toMatchObject({ ok: false, code: 'ERR_JWT_EXPIRED' })
    expect(set.candidate(expired, [], live, ['petstore-v2'])).toBe(live)
  })

  it('trials Cognito clientIds on ID tokens (aud) and access tokens (client_id)', async () => {
    const cognito = { ...config(a), type: 'COGNITO_USER_POOLS' as const, audiences: ['app-1'] }
    const set = new JwtVerifierSet([cognito], registry())
    const id = `Bearer ${await a.sign(cognitoIdTokenClaims('app-2', { jti: 'cid' }))}`
    const access = `Bearer ${await a.sign(cognitoAccessTokenClaims('app-2', 'pets/read', { jti: 'cac' }))}`
    const liveId = await set.verify(id, [])
    const liveAccess = await set.verify(access, ['pets/read'])
    expect(liveId).toMatchObject({ ok: false, code: 'ERR_JWT_AUDIENCE_MISMATCH' })
    expect(liveAccess).toMatchObject({ ok: false, code: 'ERR_JWT_CLIENT_ID_MISMATCH' })
    expect(set.candidate(id, [], liveId, ['app-2'])?.ok).toBe(true)
    expect(set.candidate(access, ['pets/read'], liveAccess, ['app-2'])?.ok).toBe(true)
    // An empty list accepts any client, as `clientIds` does.
    expect(set.candidate(id, [], liveId, [])?.ok).toBe(true)
    // The ID token on a route with scopes stays refused (token_use): the candidate changes only
    // the client rule.
    const wrongUse = await set.verify(id, ['pets/read'])
    expect(set.candidate(id, ['pets/read'], wrongUse, ['app-2'])).toBe(wrongUse)
  })

  it('cannot tell (undefined) when the token is not in the token cache', async () => {
    const set = new JwtVerifierSet([config(a)], registry(), { tokenCacheMax: 0 })
    const next = `Bearer ${await token(a, 'c4', { aud: 'petstore-v2' })}`
    const live = await set.verify(next, [])
    expect(live).toMatchObject({ ok: false, code: 'ERR_JWT_AUDIENCE_MISMATCH' })
    expect(set.candidate(next, [], live, ['petstore-v2'])).toBeUndefined()
  })
})
