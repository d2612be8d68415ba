/**
 * Developer measurement (not part of the service): jose `jwtVerify` / `compactVerify` versus
 * `node:crypto.verify` with a cached KeyObject, on one RS256 and one ES256 token. Run with
 * `npx tsx src/authn/jwt/measure-verify-speed.ts`; figures are quoted in verify-jws-signature.ts.
 *
 * @module
 */
import { compactVerify, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { decodeCompactJws } from './decode-compact-jws.js'
import { importJwkKeySet, selectKey } from './jwk-key-set.js'
import { verifyJwsSignature } from './verify-jws-signature.js'

const ITERATIONS = Number(process.env['ITERATIONS'] ?? 20_000)

async function measure(label: string, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 2000; i++) await fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < ITERATIONS; i++) await fn()
  const us = Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS
  console.log(`${label.padEnd(44)} ${us.toFixed(1)} µs/op`)
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
  await measure(`${alg} jose jwtVerify (CryptoKey)`, () =>
    jwtVerify(token, publicKey, { issuer: 'https://issuer.example', audience: 'aud' }),
  )
  await measure(`${alg} jose compactVerify (CryptoKey)`, () => compactVerify(token, publicKey))
  const decoded = decodeCompactJws(token)
  if (!decoded.ok) throw new Error('decode failed')
  await measure(`${alg} crypto.verify only (KeyObject)`, () =>
    verifyJwsSignature(alg, key, decoded.jws.signingInput, decoded.jws.signature),
  )
  await measure(`${alg} decode only`, () => decodeCompactJws(token))
  await measure(`${alg} decode + crypto.verify (KeyObject)`, () => {
    const d = decodeCompactJws(token)
    if (!d.ok || !verifyJwsSignature(alg, key, d.jws.signingInput, d.jws.signature)) {
      throw new Error('verify failed')
    }
  })
}
