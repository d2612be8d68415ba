/**
 * SignatureOffload sends at most `maxInFlight` signature checks to libuv's thread pool and checks
 * the rest inline, with the same answer either way. Through JwtVerifier, against a real loopback
 * issuer (JWKS over HTTP, jose-signed tokens): an offloaded check turns a key-held token's answer
 * into a Promise with the same result, a tampered token is still refused, and the in-flight count
 * returns to zero.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LoopbackIssuer, jwtConfigFor } from '../../../test/helpers/jwt-loopback-issuer.js'
import { decodeCompactJws, type DecodedJws } from './decode-compact-jws.js'
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import type { JwtResult } from './jwt-result.js'
import { JwksRegistry } from './jwks-registry.js'
import { JwtVerifier } from './jwt-verifier.js'
import { importJwkKeySet, selectKey, type JwkKey } from './jwk-key-set.js'
import {
  DEFAULT_OFFLOAD_IN_FLIGHT,
  defaultOffloadMaxInFlight,
  MAX_OFFLOAD_IN_FLIGHT,
  SignatureOffload,
} from './signature-offload.js'

const issuer = new LoopbackIssuer({ pathPrefix: '/offload' })
const registries: JwksRegistry[] = []
let key: JwkKey
let jws: DecodedJws

const config = (): JwtAuthorizerConfig => jwtConfigFor(issuer)

const sign = (jti: string) =>
  issuer.sign({
    sub: 'alice',
    aud: 'petstore',
    scope: 'pets/read',
    exp: Math.floor(Date.now() / 1000) + 600,
    jti,
  })

function registry(): JwksRegistry {
  const r = new JwksRegistry({ retryIntervalMs: 0 })
  registries.push(r)
  return r
}

beforeAll(async () => {
  await issuer.start()
  const k = await issuer.addKey('RS256', 'r1')
  const set = await importJwkKeySet({ keys: [k.publicJwk] })
  if (set instanceof Error) throw set
  const selected = selectKey(set, 'r1', 'RS256')
  if (selected === undefined) throw new Error('no key')
  key = selected
  const d = decodeCompactJws(await sign('direct'))
  if (!d.ok) throw new Error('decode')
  jws = d.jws
})
afterAll(async () => {
  await issuer.stop()
})
afterEach(() => {
  for (const r of registries.splice(0)) r.close()
})

describe('SignatureOffload', () => {
  it('sends at most maxInFlight checks to the pool, checks the rest inline, same answers', async () => {
    const offload = new SignatureOffload(2)
    const bad = Buffer.from(jws.signature)
    bad[0] = (bad[0] ?? 0) ^ 1
    const answers = [
      offload.check(jws.alg, key, jws.signingInput, jws.signature),
      offload.check(jws.alg, key, jws.signingInput, bad),
      offload.check(jws.alg, key, jws.signingInput, jws.signature), // pool full: inline
      offload.check(jws.alg, key, jws.signingInput, bad), // inline
    ]
    expect(answers[0]).toBeInstanceOf(Promise)
    expect(answers[1]).toBeInstanceOf(Promise)
    expect(answers[2]).toBe(true)
    expect(answers[3]).toBe(false)
    expect(offload.stats()).toEqual({ offloaded: 2, inline: 2, inFlight: 2 })
    expect(await Promise.all(answers.map(async (a) => Promise.resolve(a)))).toEqual([
      true,
      false,
      true,
      false,
    ])
    expect(offload.stats().inFlight).toBe(0)
    // Room again once the pool answered.
    expect(offload.check(jws.alg, key, jws.signingInput, jws.signature)).toBeInstanceOf(Promise)
  })

  it('with maxInFlight 0 checks everything inline', () => {
    const offload = new SignatureOffload(0)
    expect(offload.check(jws.alg, key, jws.signingInput, jws.signature)).toBe(true)
    expect(offload.check('RS384', key, jws.signingInput, jws.signature)).toBe(false)
    expect(offload.stats()).toEqual({ offloaded: 0, inline: 2, inFlight: 0 })
  })

  it('refuses an out-of-range bound', () => {
    expect(() => new SignatureOffload(-1)).toThrow(TypeError)
    expect(() => new SignatureOffload(1.5)).toThrow(TypeError)
    expect(() => new SignatureOffload(MAX_OFFLOAD_IN_FLIGHT + 1)).toThrow(TypeError)
  })

  it('defaults to no offload on one core, and to a bound above a burst of requests otherwise', () => {
    expect(defaultOffloadMaxInFlight(1)).toBe(0)
    expect(defaultOffloadMaxInFlight(2)).toBe(DEFAULT_OFFLOAD_IN_FLIGHT)
    expect(DEFAULT_OFFLOAD_IN_FLIGHT).toBeGreaterThanOrEqual(128)
  })
})

describe('JwtVerifier with signature offload', () => {
  it('answers a key-held token through the pool with the same result as inline', async () => {
    const reg = registry()
    const inline = new JwtVerifier(config(), reg, { tokenCacheMax: 0 })
    const pooled = new JwtVerifier(config(), reg, {
      tokenCacheMax: 0,
      signatures: new SignatureOffload(8),
    })
    const header = `Bearer ${await sign('pooled')}`
    expect((await inline.verify(header, ['pets/read'])).ok).toBe(true) // fetches the keys
    const inlineAnswer = inline.verify(header, ['pets/read'])
    expect(inlineAnswer).not.toBeInstanceOf(Promise)
    const pooledAnswer = pooled.verify(header, ['pets/read'])
    expect(pooledAnswer).toBeInstanceOf(Promise)
    const strip = (r: JwtResult) => ({ ...r, memo: undefined })
    expect(strip(await pooledAnswer)).toEqual(strip(inlineAnswer as JwtResult))

    // A tampered signature: refused through the pool too.
    const tampered = `${header.slice(0, -4)}AAAA`
    expect(await pooled.verify(tampered, ['pets/read'])).toMatchObject({
      ok: false,
      status: 401,
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
    // Claims are still checked after an offloaded signature: a missing scope is a 403.
    expect(await pooled.verify(header, ['pets/write'])).toMatchObject({
      ok: false,
      status: 403,
      code: 'ERR_JWT_SCOPE_MISMATCH',
    })
    expect(pooled.stats().signatureVerifications).toBe(3)
  })

  it('keeps the token cache: the second request of a token is answered without the pool', async () => {
    const offload = new SignatureOffload(8)
    const v = new JwtVerifier(config(), registry(), { signatures: offload })
    const header = `Bearer ${await sign('cached')}`
    expect((await v.verify(header, ['pets/read'])).ok).toBe(true)
    const hit = v.verify(header, ['pets/read'])
    expect(hit).not.toBeInstanceOf(Promise)
    expect((hit as JwtResult).ok).toBe(true)
    expect(offload.stats()).toMatchObject({ offloaded: 1, inFlight: 0 })
  })

  it('concurrent first requests with one new token share one pool check and one answer', async () => {
    const offload = new SignatureOffload(64)
    const v = new JwtVerifier(config(), registry(), { signatures: offload })
    expect((await v.verify(`Bearer ${await sign('warm-keys')}`, ['pets/read'])).ok).toBe(true)
    const before = offload.stats().offloaded
    const header = `Bearer ${await sign('parallel')}`
    // 20 requests arrive before the first check answers; one route lacks the scope (403).
    const answers = Array.from({ length: 20 }, (_, i) =>
      v.verify(header, i === 7 ? ['pets/write'] : ['pets/read']),
    )
    const results = await Promise.all(answers.map(async (a) => Promise.resolve(a)))
    expect(offload.stats().offloaded - before).toBe(1)
    expect(v.stats().signatureVerifications).toBe(2) // the warm-up token and this one
    expect(results[7]).toMatchObject({ ok: false, status: 403, code: 'ERR_JWT_SCOPE_MISMATCH' })
    const allowed = results.filter((r) => r.ok)
    expect(allowed).toHaveLength(19)
    // One frozen answer for the token, as for cache hits.
    for (const r of allowed) expect(r).toBe(allowed[0])
    // A tampered copy never joins the valid token's check: its own check refuses it.
    const tampered = `${header.slice(0, -4)}AAAA`
    const [good, bad] = await Promise.all([
      Promise.resolve(v.verify(`Bearer ${await sign('parallel-2')}`, ['pets/read'])),
      Promise.resolve(v.verify(tampered, ['pets/read'])),
    ])
    expect(good.ok).toBe(true)
    expect(bad).toMatchObject({ ok: false, code: 'ERR_JWT_SIGNATURE_INVALID' })
  })
})
