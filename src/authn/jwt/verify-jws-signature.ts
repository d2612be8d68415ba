/**
 * Checks a JWS signature with a cached Node KeyObject: the hot-path crypto.
 *
 * Why node:crypto and not jose's `jwtVerify` (measure-verify-speed.ts, Node 20.20, 2 shared cores,
 * candidates interleaved, median of rounds). RS256/2048, quiet machine (load 1.1): jose
 * `jwtVerify` ≈ 83–95 µs, `compactVerify` ≈ 76–87 µs, `crypto.verify` with a cached KeyObject
 * ≈ 38 µs (+ ≈ 8 µs for our decode); under heavy load (9–10) the ratio held (108 / 119 / 58 µs).
 * jose goes through WebCrypto (async, a promise hop and key-usage checks per call) around the same
 * OpenSSL RSA operation. ES256 is a wash: both sides spend their time in OpenSSL ECDSA and
 * came out within noise of each other, so one code path serves all algorithms. A repeated token
 * never gets here: JwtVerifier's token cache answers it in ≈ 5–10 µs.
 *
 * Strictness is kept equal by doing jose's checks ourselves before this point
 * (decode-compact-jws.ts: alg allow-list, crit, strict base64url; jwk-key-set.ts: kty/alg/crv/use
 * agreement, 2048-bit RSA floor) and proven by a differential test against jose's compactVerify
 * (verify-jws-signature.test.ts: never looser, stricter only on non-canonical base64url).
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
