/**
 * Developer measurement (not part of the service): jose `jwtVerify` / `compactVerify` versus
 * `node:crypto.verify` with a cached KeyObject, and the whole JwtVerifier.verify with and without
 * its token cache. Candidates run interleaved in rounds and the median round is reported, so load
 * from other processes hits them alike. Run: `npx tsx bench/measure-verify-speed.ts`.
 * Figures are quoted in src/authn/jwt/verify-jws-signature.ts.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compactVerify, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { decodeCompactJws } from '../src/authn/jwt/decode-compact-jws.js'
import { importJwkKeySet, selectKey } from '../src/authn/jwt/jwk-key-set.js'
import { JwksRegistry } from '../src/authn/jwt/jwks-registry.js'
import { JwtVerifier } from '../src/authn/jwt/jwt-verifier.js'
import { verifyJwsSignature } from '../src/authn/jwt/verify-jws-signature.js'

const ROUNDS = Number(process.env['ROUNDS'] ?? 7)
const PER_ROUND = Number(process.env['PER_ROUND'] ?? 2000)

async function compare(candidates: Record<string, () => unknown>): Promise<void> {
  const samples: Record<string, number[]> = {}
  for (const [name, fn] of Object.entries(candidates)) {
    samples[name] = []
    for (let i = 0; i < 500; i++) await fn() // warm-up
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(candidates)) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < PER_ROUND; i++) await fn()
      samples[name]?.push(Number(process.hrtime.bigint() - start) / 1000 / PER_ROUND)
    }
  }
  for (const [name, list] of Object.entries(samples)) {
    const sorted = [...list].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? NaN
    console.log(`${name.padEnd(44)} ${median.toFixed(1).padStart(7)} µs/op (median of ${ROUNDS})`)
  }
}

for (const alg of ['RS256', 'ES256'] as const) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg, use: 'sig' }
  const token = await new SignJWT({ sub: 'u', scope: 'a b' })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer('https://issuer.example')
    .setAudience('aud')
    .setExpirationTime('1h')
    .sign(privateKey)
  const set = await importJwkKeySet({ keys: [jwk] })
  if (set instanceof Error) throw set
  const key = selectKey(set, 'k1', alg)
  if (key === undefined) throw new Error('no key')
  const decoded = decodeCompactJws(token)
  if (!decoded.ok) throw new Error('decode failed')

  const server = createServer((_req, res) => {
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve()
    }),
  )
  const registry = new JwksRegistry()
  const config = {
    id: 'bench/jwt',
    type: 'JWT',
    issuer: 'https://issuer.example',
    jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    audiences: ['aud'],
    identityHeader: 'authorization',
    clockSkewSeconds: 60,
  } as const
  const cached = new JwtVerifier(config, registry)
  const uncached = new JwtVerifier(config, registry, { tokenCacheMax: 0 })
  const header = `Bearer ${token}`
  const mustAllow = async (v: JwtVerifier): Promise<void> => {
    const r = await v.verify(header, ['a'])
    if (!r.ok) throw new Error(r.code)
  }

  console.log(`-- ${alg}`)
  await compare({
    'jose jwtVerify (CryptoKey)': () =>
      jwtVerify(token, publicKey, { issuer: 'https://issuer.example', audience: 'aud' }),
    'jose compactVerify (CryptoKey)': () => compactVerify(token, publicKey),
    'crypto.verify only (KeyObject)': () =>
      verifyJwsSignature(alg, key, decoded.jws.signingInput, decoded.jws.signature),
    'decode + crypto.verify (KeyObject)': () => {
      const d = decodeCompactJws(token)
      if (!d.ok || !verifyJwsSignature(alg, key, d.jws.signingInput, d.jws.signature)) {
        throw new Error('verify failed')
      }
    },
    'JwtVerifier.verify, token cache disabled': () => mustAllow(uncached),
    'JwtVerifier.verify, cached token': () => mustAllow(cached),
  })
  registry.close()
  server.close()
}
