/**
 * Proves the fast path (node:crypto with a cached KeyObject) is exactly as strict as jose:
 * for valid tokens and for thousands of single-byte tamperings, both accept or both reject.
 */
import { generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { compactVerify, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeCompactJws } from './decode-compact-jws.js'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { importJwkKeySet, selectKey, type JwkKey } from './jwk-key-set.js'
import { verifyJwsSignature, verifyJwsSignatureOffThread } from './verify-jws-signature.js'

interface Fixture {
  alg: JwsAlgorithm
  publicKey: CryptoKey
  key: JwkKey
  token: string
}

const ALGS: JwsAlgorithm[] = ['RS256', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384', 'ES512']
const fixtures: Fixture[] = []

async function fastVerify(token: string, key: JwkKey): Promise<boolean> {
  const d = decodeCompactJws(token)
  return Promise.resolve(
    d.ok && verifyJwsSignature(d.jws.alg, key, d.jws.signingInput, d.jws.signature),
  )
}

/** The thread-pool form (signature-offload.ts) of the same check. */
async function offThreadVerify(token: string, key: JwkKey): Promise<boolean> {
  const d = decodeCompactJws(token)
  if (!d.ok) return false
  return new Promise((resolve) => {
    verifyJwsSignatureOffThread(d.jws.alg, key, d.jws.signingInput, d.jws.signature, resolve)
  })
}

async function joseVerify(
  token: string,
  publicKey: CryptoKey,
  alg: JwsAlgorithm,
): Promise<boolean> {
  try {
    await compactVerify(token, publicKey, { algorithms: [alg] })
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  for (const alg of ALGS) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const set = await importJwkKeySet({
      keys: [{ ...(await exportJWK(publicKey)), kid: alg, alg }],
    })
    if (set instanceof Error) throw set
    const key = selectKey(set, alg, alg)
    if (key === undefined) throw new Error(`no key for ${alg}`)
    const token = await new SignJWT({ sub: 'alice', scope: 'a b' })
      .setProtectedHeader({ alg, kid: alg })
      .sign(privateKey)
    fixtures.push({ alg, publicKey, key, token })
  }
})

describe('verifyJwsSignature vs jose compactVerify (differential)', () => {
  it('accepts every valid token jose accepts', async () => {
    for (const f of fixtures) {
      expect(await joseVerify(f.token, f.publicKey, f.alg)).toBe(true)
      expect(await fastVerify(f.token, f.key)).toBe(true)
      expect(await offThreadVerify(f.token, f.key)).toBe(true)
    }
  })

  it('agrees with jose on 2000 random single-character tamperings across all algorithms', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ALGS.length - 1 }),
        fc.nat(),
        fc.nat({ max: alphabet.length - 1 }),
        async (fi, pos, ci) => {
          const f = fixtures[fi]
          if (f === undefined) return
          const i = pos % f.token.length
          const tampered = f.token.slice(0, i) + alphabet.charAt(ci) + f.token.slice(i + 1)
          const ours = await fastVerify(tampered, f.key)
          const theirs = await joseVerify(tampered, f.publicKey, f.alg)
          // Never looser than jose; stricter only where our decoder refuses the encoding itself
          // (e.g. non-canonical base64url tail bits, which jose's decoder tolerates).
          if (ours) expect(theirs).toBe(true)
          if (theirs && !ours) expect(decodeCompactJws(tampered).ok).toBe(false)
          // The thread-pool form answers exactly as the inline one.
          expect(await offThreadVerify(tampered, f.key)).toBe(ours)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('refuses a valid signature presented with another algorithm or another key', async () => {
    const rs = fixtures.find((f) => f.alg === 'RS256')
    const ps = fixtures.find((f) => f.alg === 'PS256')
    const es = fixtures.find((f) => f.alg === 'ES256')
    if (rs === undefined || ps === undefined || es === undefined) throw new Error('fixtures')
    const d = decodeCompactJws(rs.token)
    if (!d.ok) throw new Error('decode')
    // The JWK pins RS256: the same signature under RS384/PS256, or with the EC key, never verifies.
    expect(verifyJwsSignature('RS384', rs.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    expect(verifyJwsSignature('PS256', rs.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    expect(verifyJwsSignature('RS256', ps.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    expect(verifyJwsSignature('ES256', es.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    const e = decodeCompactJws(es.token)
    if (!e.ok) throw new Error('decode')
    // ES256 signature in DER form (what a naive implementation would accept) is refused.
    const der = Buffer.concat([
      Buffer.from([0x30, 0x44, 0x02, 0x20]),
      e.jws.signature.subarray(0, 32),
      Buffer.from([0x02, 0x20]),
      e.jws.signature.subarray(32),
    ])
    expect(verifyJwsSignature('ES256', es.key, e.jws.signingInput, der)).toBe(false)
    // The thread-pool form refuses the same, asynchronously, and never throws.
    const offThread = (alg: JwsAlgorithm, key: JwkKey, input: Buffer, sig: Buffer) =>
      new Promise<boolean>((resolve) => {
        verifyJwsSignatureOffThread(alg, key, input, sig, resolve)
      })
    expect(await offThread('RS384', rs.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    expect(await offThread('RS256', ps.key, d.jws.signingInput, d.jws.signature)).toBe(false)
    expect(await offThread('ES256', es.key, e.jws.signingInput, der)).toBe(false)
    expect(await offThread('RS256', rs.key, d.jws.signingInput, Buffer.alloc(0))).toBe(false)
  })
})

describe('importJwkKeySet', () => {
  it('skips keys that must never verify and keeps the usable ones', async () => {
    const good = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)
    const priv = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    // jose refuses to even generate a weak key; Node still can, as an attacker's issuer might.
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    })
    const ec = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)
    const set = await importJwkKeySet({
      keys: [
        { ...good, kid: 'good' },
        { kty: 'oct', kid: 'sym', k: 'c2VjcmV0' },
        { ...priv, kid: 'private' },
        { ...weak, kid: 'weak' },
        { ...good, kid: 'enc', use: 'enc' },
        { ...good, kid: 'ops', key_ops: ['encrypt'] },
        { ...good, kid: 'hs', alg: 'HS256' },
        { ...good, kid: 'es-on-rsa', alg: 'ES256' },
        { ...ec, kid: 'ec-wrong-curve-alg', alg: 'ES384' },
        { ...ec, kid: 'ec', alg: 'ES256' },
        { kty: 'RSA', kid: 'broken', n: '!!', e: 'AQAB' },
        'not-an-object',
      ],
    })
    if (set instanceof Error) throw set
    expect([...set.byKid.keys()].sort()).toEqual(['ec', 'good'])
    expect(set.skipped).toBe(10)
  })

  it('reports documents that are not a usable JWKS', async () => {
    expect(await importJwkKeySet([])).toBeInstanceOf(Error)
    expect(await importJwkKeySet({ keys: {} })).toBeInstanceOf(Error)
    expect(await importJwkKeySet({ keys: [{ kty: 'oct', k: 'AA' }] })).toBeInstanceOf(Error)
  })
})
