/**
 * Turns a fetched JWKS document (RFC 7517 §5) into verification keys: Node KeyObjects built once,
 * tagged with what the JWK says they may be used for, so the hot path only looks up and verifies.
 *
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import {
  isJwsAlgorithm,
  JWS_ALGORITHMS,
  MIN_RSA_MODULUS_BITS,
  type JwsAlgorithm,
} from './jws-algorithms.js'

/** One usable public key. */
export interface JwkKey {
  readonly kid: string | undefined
  readonly kty: 'RSA' | 'EC'
  /** The JWK's own `alg` when it pins one; the token's `alg` must then be exactly this. */
  readonly alg: JwsAlgorithm | undefined
  readonly crv: string | undefined
  readonly key: KeyObject
  /** RFC 7638 thumbprint: identifies the key material across refetches. */
  readonly thumbprint: string
  /** RSA: modulus length in bytes (RS and PS signatures are exactly this long); EC: 0. */
  readonly modulusBytes: number
  /** EC: Node's curve name (`prime256v1`…); RSA: undefined. Read once, not per verification. */
  readonly namedCurve: string | undefined
}

export interface JwkKeySet {
  readonly keys: readonly JwkKey[]
  /** Keys with a `kid`, in document order (several keys may share one kid, e.g. RSA and EC). */
  readonly byKid: ReadonlyMap<string, readonly JwkKey[]>
  /** Number of JWKs skipped as unusable (symmetric, private, wrong `use`, malformed, weak). */
  readonly skipped: number
}

/** A JWKS with more keys than this is cut off: real issuers publish a handful. */
export const MAX_JWKS_KEYS = 100

async function importOne(jwk: Record<string, unknown>): Promise<JwkKey | undefined> {
  const kty = jwk['kty']
  if (kty !== 'RSA' && kty !== 'EC') return undefined // oct/OKP/unknown: never verify with them
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) return undefined // private or secret material
  const use = jwk['use']
  if (use !== undefined && use !== 'sig') return undefined
  const keyOps = jwk['key_ops']
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify')))
    return undefined
  const kid = jwk['kid']
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) return undefined
  const alg = jwk['alg']
  if (alg !== undefined && (typeof alg !== 'string' || !isJwsAlgorithm(alg))) return undefined
  if (alg !== undefined && JWS_ALGORITHMS[alg].kty !== kty) return undefined
  const crv = jwk['crv']
  if (kty === 'EC') {
    if (crv !== 'P-256' && crv !== 'P-384' && crv !== 'P-521') return undefined
    if (alg !== undefined && JWS_ALGORITHMS[alg].crv !== crv) return undefined
  }
  const pub: Record<string, unknown> =
    kty === 'RSA' ? { kty, n: jwk['n'], e: jwk['e'] } : { kty, crv, x: jwk['x'], y: jwk['y'] }
  let key: KeyObject
  let thumbprint: string
  try {
    // Node validates the members (base64url, point on curve) and builds the KeyObject once.
    key = createPublicKey({ key: pub, format: 'jwk' })
    thumbprint = await calculateJwkThumbprint(pub, 'sha256')
  } catch {
    return undefined
  }
  const details = key.asymmetricKeyDetails
  if (kty === 'RSA') {
    const bits = details?.modulusLength
    if (key.asymmetricKeyType !== 'rsa' || bits === undefined || bits < MIN_RSA_MODULUS_BITS) {
      return undefined
    }
  } else if (key.asymmetricKeyType !== 'ec') {
    return undefined
  }
  return Object.freeze({
    kid,
    kty,
    alg,
    crv: typeof crv === 'string' ? crv : undefined,
    key,
    thumbprint,
    modulusBytes: kty === 'RSA' ? Math.ceil((details?.modulusLength ?? 0) / 8) : 0,
    namedCurve: kty === 'EC' ? details?.namedCurve : undefined,
  })
}

/**
 * Imports `doc` (parsed JSON of unknown shape). Returns an Error when it is not a JWKS at all or
 * holds no usable key; individual unusable JWKs are skipped, as jose and Envoy do, so one exotic
 * key (e.g. an OKP encryption key) does not take the issuer's signing keys down with it.
 */
export async function importJwkKeySet(doc: unknown): Promise<JwkKeySet | Error> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return new Error('JWKS is not a JSON object')
  }
  const list = (doc as Record<string, unknown>)['keys']
  if (!Array.isArray(list)) return new Error('JWKS has no "keys" array')
  const keys: JwkKey[] = []
  let skipped = 0
  for (const item of list.slice(0, MAX_JWKS_KEYS)) {
    const imported =
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? await importOne(item as Record<string, unknown>)
        : undefined
    if (imported === undefined) skipped++
    else keys.push(imported)
  }
  if (keys.length === 0) return new Error('JWKS holds no usable signature key')
  const byKid = new Map<string, JwkKey[]>()
  for (const k of keys) {
    if (k.kid === undefined) continue
    const list = byKid.get(k.kid)
    if (list === undefined) byKid.set(k.kid, [k])
    else list.push(k)
  }
  return { keys, byKid, skipped }
}

/**
 * Whether `key` may verify a token signed with `alg`: same key type, the JWK's pinned `alg` (if
 * any) equal to the token's, and for EC the curve the algorithm requires (RFC 7518 §3.4).
 */
export function keyAllowsAlgorithm(key: JwkKey, alg: JwsAlgorithm): boolean {
  const spec = JWS_ALGORITHMS[alg]
  if (key.kty !== spec.kty) return false
  if (key.alg !== undefined && key.alg !== alg) return false
  if (spec.kty === 'EC') return key.crv === spec.crv && key.namedCurve === spec.namedCurve
  return true
}

/**
 * The first key with this kid that may verify `alg`; `'unknown'` when no key has this kid,
 * `'mismatch'` when some do but none may verify `alg`.
 */
export function findKey(
  set: JwkKeySet,
  kid: string,
  alg: JwsAlgorithm,
): JwkKey | 'unknown' | 'mismatch' {
  const candidates = set.byKid.get(kid)
  if (candidates === undefined) return 'unknown'
  for (let i = 0; i < candidates.length; i++) {
    const k = candidates[i] as JwkKey
    if (keyAllowsAlgorithm(k, alg)) return k
  }
  return 'mismatch'
}

/** The first key with this kid that may verify `alg`, else undefined. */
export function selectKey(set: JwkKeySet, kid: string, alg: JwsAlgorithm): JwkKey | undefined {
  const found = findKey(set, kid, alg)
  return typeof found === 'string' ? undefined : found
}
