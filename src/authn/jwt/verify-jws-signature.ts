/**
 * Checks a JWS signature with a cached Node KeyObject: the hot-path crypto.
 *
 * Why node:crypto and not jose's `jwtVerify` (bench/measure-verify-speed.ts, Node 20.20, 2 shared
 * cores, candidates interleaved, median of rounds). RS256/2048, quiet machine (load 1.1): jose
 * `jwtVerify` ≈ 83–95 µs, `compactVerify` ≈ 76–87 µs, `crypto.verify` with a cached KeyObject
 * ≈ 38 µs (+ ≈ 4 µs for our decode); under heavy load (9–10) the ratio held (108 / 119 / 58 µs).
 * jose goes through WebCrypto (async, a promise hop and key-usage checks per call) around the same
 * OpenSSL RSA operation. ES256 is a wash: both sides spend their time in OpenSSL ECDSA and
 * came out within noise of each other, so one code path serves all algorithms. OpenSSL's own
 * `openssl speed rsa2048` verify is ≈ 24–29 µs on the same machine, and raw RSA through
 * `publicDecrypt` plus an encoded-message compare measured the same as `crypto.verify`: the
 * per-call overhead left is small. A repeated token never gets here: JwtVerifier's token cache
 * answers it synchronously in ≈ 1.5–3 µs (SHA-256 of the token ≈ 1 µs of it).
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
import { constants, verify, type VerifyKeyObjectInput } from 'node:crypto'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { JWS_ALGORITHMS } from './jws-algorithms.js'
import type { JwkKey } from './jwk-key-set.js'
import { keyAllowsAlgorithm } from './jwk-key-set.js'

// Option objects for crypto.verify, built once per (key, algorithm family) instead of per call.
interface VerifyOptions {
  readonly pkcs1: VerifyKeyObjectInput
  readonly pss: VerifyKeyObjectInput
  readonly ec: VerifyKeyObjectInput
}
const OPTIONS = new WeakMap<JwkKey, VerifyOptions>()

function optionsFor(key: JwkKey): VerifyOptions {
  let options = OPTIONS.get(key)
  if (options === undefined) {
    options = {
      pkcs1: Object.freeze({ key: key.key, padding: constants.RSA_PKCS1_PADDING }),
      // PSS salt length = hash length (RFC 7518 §3.5).
      pss: Object.freeze({
        key: key.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }),
      // JWS ES* signatures are raw R||S of fixed length (RFC 7518 §3.4), never DER.
      ec: Object.freeze({ key: key.key, dsaEncoding: 'ieee-p1363' }),
    }
    OPTIONS.set(key, options)
  }
  return options
}

/** What crypto.verify needs for one check, or undefined when the signature cannot verify. */
interface VerifyCall {
  readonly hash: string
  readonly options: VerifyKeyObjectInput
}

function verifyCall(alg: JwsAlgorithm, key: JwkKey, signature: Buffer): VerifyCall | undefined {
  if (!keyAllowsAlgorithm(key, alg)) return undefined
  const spec = JWS_ALGORITHMS[alg]
  if (spec.kty === 'EC') {
    if (signature.length !== spec.signatureBytes) return undefined
    return { hash: spec.hash, options: optionsFor(key).ec }
  }
  if (signature.length !== key.modulusBytes || key.modulusBytes === 0) return undefined
  if (spec.padding === constants.RSA_PKCS1_PADDING) {
    return { hash: spec.hash, options: optionsFor(key).pkcs1 }
  }
  if (spec.padding === constants.RSA_PKCS1_PSS_PADDING) {
    return { hash: spec.hash, options: optionsFor(key).pss }
  }
  return undefined
}

/** True only when `key` may be used with `alg` and the signature over `signingInput` verifies. */
export function verifyJwsSignature(
  alg: JwsAlgorithm,
  key: JwkKey,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  try {
    const call = verifyCall(alg, key, signature)
    return call !== undefined && verify(call.hash, signingInput, call.options, signature)
  } catch {
    return false
  }
}

/**
 * verifyJwsSignature on libuv's thread pool (crypto.verify's callback form runs the OpenSSL
 * operation off the event loop): the same checks, the same answer, delivered to `done` later.
 * Never throws; every error is a `false`.
 */
export function verifyJwsSignatureOffThread(
  alg: JwsAlgorithm,
  key: JwkKey,
  signingInput: Buffer,
  signature: Buffer,
  done: (valid: boolean) => void,
): void {
  let call: VerifyCall | undefined
  try {
    call = verifyCall(alg, key, signature)
    if (call !== undefined) {
      verify(call.hash, signingInput, call.options, signature, (err, valid) => {
        done(err === null && valid)
      })
      return
    }
  } catch {
    // fall through: a refusal, delivered asynchronously like every other answer
  }
  queueMicrotask(() => {
    done(false)
  })
}
