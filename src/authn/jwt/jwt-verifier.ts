/**
 * Verifies the identity header of one request against one COGNITO_USER_POOLS or JWT authorizer:
 * token extraction, signature (with keys from the shared JwksRegistry), claims and route scopes,
 * with a bounded cache of verified tokens so a repeated token costs a hash and a map lookup.
 *
 * The answer is synchronous whenever no I/O is needed — a cached token, or a new token whose
 * issuer keys are already held — and a Promise only while keys are being fetched: the hot path
 * never pays for a promise or a microtask.
 *
 * @module
 */
import { sha256 } from '../../lib/sha256.js'
import { LRUCache } from 'lru-cache'
import { decodeCompactJws, type DecodedJws, type DecodeResult } from './decode-compact-jws.js'
import { extractBearerToken } from './extract-bearer-token.js'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { findKey, type JwkKey, type JwkKeySet } from './jwk-key-set.js'
import { validateJwtAuthorizerConfig, type JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { checkClaims, checkIssuer, flattenClaims, tokenScopeSet } from './jwt-claims.js'
import { jwtDeny, type JwtAllow, type JwtResult } from './jwt-result.js'
import { keySourceFor, type JwksRegistry, type KeyLookup, type KeySource } from './jwks-registry.js'
import type { RemoteDocumentStatus } from './remote-document.js'
import { INLINE_SIGNATURES, type SignatureOffload } from './signature-offload.js'

export interface JwtVerifierOptions {
  /** Verified tokens kept (LRU). Default 10 000; 0 disables the cache. */
  readonly tokenCacheMax?: number
  /**
   * Approximate memory ceiling of the token cache: each entry counts 3 × its token length + 1 KiB
   * (payload object, flattened claims, overhead). Default 32 MiB, which holds the 10 000 entries
   * for tokens up to ~10 KiB; with 16 KiB tokens fewer entries fit instead of memory growing.
   */
  readonly tokenCacheMaxBytes?: number
  /** Clock in epoch ms (tests). Default Date.now. */
  readonly now?: () => number
  /**
   * Where signatures are checked (signature-offload.ts), shared by every verifier of the process
   * so its in-flight bound is process-wide. Default: always on the event loop.
   */
  readonly signatures?: SignatureOffload
}

export const DEFAULT_TOKEN_CACHE_MAX = 10_000
export const DEFAULT_TOKEN_CACHE_MAX_BYTES = 32 * 1024 * 1024

/** A token whose signature verified, with everything per-request checks need precomputed. */
interface VerifiedToken {
  readonly payload: Readonly<Record<string, unknown>>
  readonly alg: JwsAlgorithm
  readonly kid: string
  readonly jwksUrl: string
  /** Thumbprint of the verifying key: a cache hit is honoured only while that key is published. */
  readonly thumbprint: string
  /** The key set last seen publishing that key: while the registry holds this very set, it is. */
  keySet: JwkKeySet
  readonly scopes: ReadonlySet<string>
  /** The answer when the claims pass: one frozen object, the same on every hit of the token. */
  readonly allow: JwtAllow
}

export interface JwtVerifierStats {
  /** Signature verifications performed (cache misses that reached the crypto). */
  readonly signatureVerifications: number
  /** Requests answered from the verified-token cache. */
  readonly cacheHits: number
}

const INTERNAL = Object.freeze(jwtDeny('ERR_JWT_INTERNAL', 'the token could not be verified'))
const KID_MISSING = Object.freeze(jwtDeny('ERR_JWT_KID_MISSING', 'the token has no key id'))
const SIGNATURE_INVALID = Object.freeze(
  jwtDeny('ERR_JWT_SIGNATURE_INVALID', 'the token signature is invalid'),
)
const LOOKUP_DENY = {
  ERR_JWT_JWKS_UNAVAILABLE: Object.freeze(
    jwtDeny('ERR_JWT_JWKS_UNAVAILABLE', 'the signing keys of the issuer are not available'),
  ),
  ERR_JWT_KID_UNKNOWN: Object.freeze(
    jwtDeny('ERR_JWT_KID_UNKNOWN', 'the token key id is not known to the issuer'),
  ),
  ERR_JWT_KEY_MISMATCH: Object.freeze(
    jwtDeny('ERR_JWT_KEY_MISMATCH', 'the token signing algorithm does not match the key'),
  ),
} as const

/** The verified-token cache key: a SHA-256 of the token, never the token itself. */
export function tokenCacheKey(token: string): string {
  return sha256(token, 'base64url')
}

export class JwtVerifier {
  readonly config: JwtAuthorizerConfig
  readonly #registry: JwksRegistry
  readonly #source: KeySource
  readonly #now: () => number
  readonly #cache: LRUCache<string, VerifiedToken> | undefined
  readonly #signatures: SignatureOffload
  /**
   * Signature checks in the thread pool, by token cache key: concurrent requests bearing the
   * same new token (a client's parallel first calls) share one check instead of each missing
   * the cache and checking again. Entries live only while their check runs.
   */
  readonly #pending = new Map<string, { key: JwkKey; valid: Promise<boolean> }>()
  #signatureVerifications = 0
  #cacheHits = 0

  constructor(config: JwtAuthorizerConfig, registry: JwksRegistry, opts: JwtVerifierOptions = {}) {
    const problems = validateJwtAuthorizerConfig(config)
    if (problems.length > 0) {
      throw new TypeError(`JwtVerifier: invalid config ${config.id}: ${problems.join('; ')}`)
    }
    this.config = config
    this.#registry = registry
    this.#source = keySourceFor(config)
    this.#now = opts.now ?? Date.now
    this.#signatures = opts.signatures ?? INLINE_SIGNATURES
    const max = opts.tokenCacheMax ?? DEFAULT_TOKEN_CACHE_MAX
    const maxSize = opts.tokenCacheMaxBytes ?? DEFAULT_TOKEN_CACHE_MAX_BYTES
    this.#cache =
      max > 0 && maxSize > 0 ? new LRUCache<string, VerifiedToken>({ max, maxSize }) : undefined
  }

  /** Whether verified tokens are cached (a cache key is worth computing). */
  get caches(): boolean {
    return this.#cache !== undefined
  }

  /**
   * Verifies `headerValue` (the raw identity header) for a route requiring `routeScopes` (empty =
   * none). Never throws, never rejects; every failure is a 401 except a JWT-authorizer scope
   * mismatch (403). Synchronous unless the issuer's keys must be fetched first or the signature
   * is checked in the thread pool (signature-offload.ts).
   */
  verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): JwtResult | Promise<JwtResult> {
    try {
      const token = extractBearerToken(headerValue)
      if (typeof token !== 'string') return token
      const cacheKey = this.#cache === undefined ? '' : tokenCacheKey(token)
      return (
        this.fromCache(cacheKey, routeScopes) ??
        this.verifyToken(token, cacheKey, routeScopes, decodeCompactJws(token))
      )
    } catch {
      return INTERNAL
    }
  }

  /**
   * The answer for a token already verified (by its tokenCacheKey), or undefined when it is not
   * cached or the key that verified it is no longer published. Synchronous, allocation-free on a
   * hit; for JwtVerifierSet, which shares one key across its verifiers.
   */
  fromCache(cacheKey: string, routeScopes: readonly string[]): JwtResult | undefined {
    const cache = this.#cache
    if (cache === undefined) return undefined
    const verified = cache.get(cacheKey)
    if (verified === undefined) return undefined
    const set = this.#registry.keySetNow(verified.jwksUrl)
    if (set !== verified.keySet) {
      // The keys were refetched (or dropped): honour the entry only if its key is still there.
      const key = set === undefined ? undefined : findKey(set, verified.kid, verified.alg)
      if (set === undefined || typeof key !== 'object' || key.thumbprint !== verified.thumbprint) {
        cache.delete(cacheKey)
        return undefined
      }
      verified.keySet = set
    }
    this.#cacheHits++
    return (
      checkClaims(
        verified.payload,
        verified.scopes,
        this.config,
        routeScopes,
        this.#now() / 1000,
      ) ?? verified.allow
    )
  }

  /**
   * The answer for a token already verified (by its tokenCacheKey) with `audiences` in place of
   * the configured audience rule: for a candidate decision, so nothing is counted and the cache
   * entry is not touched. Undefined when the token is not cached.
   */
  candidateFromCache(
    cacheKey: string,
    routeScopes: readonly string[],
    audiences: readonly string[],
  ): JwtResult | undefined {
    const verified = this.#cache?.peek(cacheKey)
    if (verified === undefined) return undefined
    const config = { ...this.config, audiences }
    return (
      checkClaims(verified.payload, verified.scopes, config, routeScopes, this.#now() / 1000) ??
      verified.allow
    )
  }

  /**
   * Verifies a token not answered from the cache: `decoded` is decodeCompactJws(token) (the set
   * decodes once to route by issuer). Caches it under `cacheKey` when the signature verifies.
   * Never throws; synchronous when the issuer's keys are held.
   */
  verifyToken(
    token: string,
    cacheKey: string,
    routeScopes: readonly string[],
    decoded: DecodeResult,
  ): JwtResult | Promise<JwtResult> {
    try {
      if (!decoded.ok) return decoded
      const { jws } = decoded
      // Issuer first: a token from another issuer must not make us fetch anything.
      const issuerDeny = checkIssuer(jws.payload, this.config)
      if (issuerDeny !== undefined) return issuerDeny
      if (jws.kid === undefined) return KID_MISSING
      const held = this.#registry.keyNow(this.#source, jws.kid, jws.alg)
      if (held !== undefined) return this.#finish(token, cacheKey, routeScopes, jws, held)
      return this.#fetchAndFinish(token, cacheKey, routeScopes, jws, jws.kid)
    } catch {
      return INTERNAL
    }
  }

  /** Starts fetching this authorizer's keys now (optional; verification fetches lazily anyway). */
  warm(): void {
    this.#registry.warm(this.#source)
  }

  /** State of this authorizer's discovery document and JWKS, for CRD status and readiness. */
  keyStatus(): RemoteDocumentStatus[] {
    return this.#registry.statusOf(this.#source)
  }

  stats(): JwtVerifierStats {
    return { signatureVerifications: this.#signatureVerifications, cacheHits: this.#cacheHits }
  }

  async #fetchAndFinish(
    token: string,
    cacheKey: string,
    routeScopes: readonly string[],
    jws: DecodedJws,
    kid: string,
  ): Promise<JwtResult> {
    try {
      const lookup = await this.#registry.getKey(this.#source, kid, jws.alg)
      return await this.#finish(token, cacheKey, routeScopes, jws, lookup)
    } catch {
      return INTERNAL
    }
  }

  /** Signature, cache insertion and claims, once the key lookup has answered. */
  #finish(
    token: string,
    cacheKey: string,
    routeScopes: readonly string[],
    jws: DecodedJws,
    lookup: KeyLookup,
  ): JwtResult | Promise<JwtResult> {
    if (!lookup.ok) return LOOKUP_DENY[lookup.code]
    const valid = this.#checkSignature(cacheKey, jws, lookup)
    if (valid === true) return this.#signed(token, cacheKey, routeScopes, jws, lookup)
    if (valid === false) return SIGNATURE_INVALID
    return valid.then(
      (ok) => (ok ? this.#signed(token, cacheKey, routeScopes, jws, lookup) : SIGNATURE_INVALID),
      () => INTERNAL,
    )
  }

  /** The signature's validity: joins a pool check already running for the same token and key. */
  #checkSignature(
    cacheKey: string,
    jws: DecodedJws,
    lookup: KeyLookup & { ok: true },
  ): boolean | Promise<boolean> {
    // cacheKey is '' when the token cache is off: nothing identifies the token cheaply then.
    const running = cacheKey === '' ? undefined : this.#pending.get(cacheKey)
    if (running !== undefined && running.key === lookup.key) return running.valid
    this.#signatureVerifications++
    const valid = this.#signatures.check(jws.alg, lookup.key, jws.signingInput, jws.signature)
    if (typeof valid === 'boolean' || cacheKey === '') return valid
    // Bounded by the pool's in-flight bound: only pooled checks are entered.
    const entry = { key: lookup.key, valid }
    this.#pending.set(cacheKey, entry)
    return valid.finally(() => {
      if (this.#pending.get(cacheKey) === entry) this.#pending.delete(cacheKey)
    })
  }

  /** Claims and cache insertion for a token whose signature verified. */
  #signed(
    token: string,
    cacheKey: string,
    routeScopes: readonly string[],
    jws: DecodedJws,
    lookup: KeyLookup & { ok: true },
  ): JwtResult {
    try {
      const payload = jws.payload
      const scopes = tokenScopeSet(payload, this.config.type)
      const nowMs = this.#now()
      const denied = checkClaims(payload, scopes, this.config, routeScopes, nowMs / 1000)
      const exp = payload['exp']
      const ttlMs =
        typeof exp === 'number' ? (exp + this.config.clockSkewSeconds) * 1000 - nowMs : 0
      if (this.#cache !== undefined && ttlMs > 0) {
        // Cached even when this route refuses the claims: other routes (scopes) may accept them.
        // A request that joined another's check finds that one's entry: one answer per token.
        const known = this.#cache.peek(cacheKey)
        if (known !== undefined && known.thumbprint === lookup.key.thumbprint) {
          return denied ?? known.allow
        }
        const verified = this.#verified(jws, lookup, scopes)
        this.#cache.set(cacheKey, verified, { ttl: ttlMs, size: token.length * 3 + 1024 })
        return denied ?? verified.allow
      }
      // Not cached: the allow answer is built only when it is the answer.
      return denied ?? this.#allow(jws, scopes, false)
    } catch {
      return INTERNAL
    }
  }

  #allow(jws: DecodedJws, scopes: ReadonlySet<string>, cached: boolean): JwtAllow {
    const payload = jws.payload
    const sub = payload['sub']
    return Object.freeze({
      ok: true,
      // checkClaims refuses the token on every request unless sub is a non-empty string.
      principalId: typeof sub === 'string' ? sub : '',
      claims: Object.freeze(flattenClaims(payload, this.config.type, jws.payloadControlFree)),
      scopes: Object.freeze(Array.from(scopes)),
      cached,
      memo: {},
    })
  }

  #verified(
    jws: DecodedJws,
    lookup: KeyLookup & { ok: true },
    scopes: ReadonlySet<string>,
  ): VerifiedToken {
    return {
      payload: jws.payload,
      alg: jws.alg,
      kid: jws.kid ?? '',
      jwksUrl: lookup.jwksUrl,
      thumbprint: lookup.key.thumbprint,
      keySet: lookup.keySet,
      scopes,
      allow: this.#allow(jws, scopes, true),
    }
  }
}
