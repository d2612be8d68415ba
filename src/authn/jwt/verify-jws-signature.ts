/**
 * Checks a JWS signature with a cached Node KeyObject: the hot-path crypto.
 *
 * Why node:crypto and not jose's `jwtVerify`: measured on this machine (Node 20.20, 2 cores,
 * RS256 2048-bit, same token and key, 20 000 iterations after warm-up; see the report of
 * `feat(jwt)`): jose `jwtVerify` with a CryptoKey ≈ 96 µs/op, jose `compactVerify` ≈ 80 µs/op,
 * `crypto.verify` with a KeyObject ≈ 27 µs/op. jose goes through WebCrypto (async, per-call key
 * usage checks and promise hops); the RSA operation itself is the same OpenSSL call. Strictness is
 * kept equal by doing jose's checks ourselves before this point (decode-compact-jws.ts: alg
 * allow-list, crit, strict base64url; jwk-key-set.ts: kty/alg/crv/use agreement, 2048-bit floor)
 * and proven by a differential test against jose (verify-jws-signature.test.ts).
 *
 * Signatures are public-key verifications, not MAC comparisons, so there is no secret to leak
 * through timing and `timingSafeEqual` does not apply here.
 *
 * @module
 */
import { verify } from 'node:crypto'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { JWS_ALGORITHMS } from './jws-algorithms.js'
import type { JwkKey } from './jwk-key-set.js'
import { keyAllowsAlgorithm } from './jwk-key-set.js'

/** True only when `key` may be used with `alg` and the signature over `signingInput` verifies. */
export function verifyJwsSignature(
  alg: JwsAlgorithm,
  key: JwkKey,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  if (!keyAllowsAlgorithm(key, alg)) return false
  const spec = JWS_ALGORITHMS[alg]
  try {
    if (spec.kty === 'EC') {
      // JWS ES* signatures are raw R||S of fixed length (RFC 7518 §3.4), never DER.
      if (signature.length !== spec.signatureBytes) return false
      return verify(spec.hash, signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
    }
    const modulusBytes = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
    if (signature.length !== modulusBytes) return false
    if (spec.padding === undefined) return false
    return verify(
      spec.hash,
      signingInput,
      // PSS salt length = hash length (RFC 7518 §3.5); RSA_PSS_SALTLEN_DIGEST is -1.
      { key: key.key, padding: spec.padding, saltLength: -1 },
      signature,
    )
  } catch {
    return false
  }
}
