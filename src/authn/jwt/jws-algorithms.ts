/**
 * The JWS algorithms Portcullis verifies, and what each demands of the key and the signature.
 * Asymmetric only: `none` and the HMAC family are absent, so a token can never make us treat a
 * public key as a shared secret (the classic RS256 → HS256 key-confusion attack).
 *
 * @module
 */
import { constants } from 'node:crypto'

export type JwsAlgorithm =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512'

export interface AlgorithmSpec {
  /** Node digest name passed to `crypto.verify`. */
  readonly hash: 'sha256' | 'sha384' | 'sha512'
  /** JWK `kty` the key must have. */
  readonly kty: 'RSA' | 'EC'
  /** RSA padding; undefined for EC. */
  readonly padding: number | undefined
  /** EC: JWK `crv`, Node curve name and the exact IEEE P1363 signature length (RFC 7518 §3.4). */
  readonly crv: 'P-256' | 'P-384' | 'P-521' | undefined
  readonly namedCurve: 'prime256v1' | 'secp384r1' | 'secp521r1' | undefined
  readonly signatureBytes: number | undefined
}

const rsa = (hash: AlgorithmSpec['hash'], padding: number): AlgorithmSpec => ({
  hash,
  kty: 'RSA',
  padding,
  crv: undefined,
  namedCurve: undefined,
  signatureBytes: undefined,
})

const ec = (
  hash: AlgorithmSpec['hash'],
  crv: NonNullable<AlgorithmSpec['crv']>,
  namedCurve: NonNullable<AlgorithmSpec['namedCurve']>,
  signatureBytes: number,
): AlgorithmSpec => ({ hash, kty: 'EC', padding: undefined, crv, namedCurve, signatureBytes })

export const JWS_ALGORITHMS: Readonly<Record<JwsAlgorithm, AlgorithmSpec>> = {
  RS256: rsa('sha256', constants.RSA_PKCS1_PADDING),
  RS384: rsa('sha384', constants.RSA_PKCS1_PADDING),
  RS512: rsa('sha512', constants.RSA_PKCS1_PADDING),
  PS256: rsa('sha256', constants.RSA_PKCS1_PSS_PADDING),
  PS384: rsa('sha384', constants.RSA_PKCS1_PSS_PADDING),
  PS512: rsa('sha512', constants.RSA_PKCS1_PSS_PADDING),
  ES256: ec('sha256', 'P-256', 'prime256v1', 64),
  ES384: ec('sha384', 'P-384', 'secp384r1', 96),
  ES512: ec('sha512', 'P-521', 'secp521r1', 132),
}

export function isJwsAlgorithm(alg: string): alg is JwsAlgorithm {
  return Object.hasOwn(JWS_ALGORITHMS, alg)
}

/** RSA moduli below 2048 bits are refused (RFC 7518 §3.3; jose enforces the same floor). */
export const MIN_RSA_MODULUS_BITS = 2048
