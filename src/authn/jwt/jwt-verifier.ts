/**
 * Verifies the identity header of one request against one COGNITO_USER_POOLS or JWT authorizer:
 * token extraction, signature (with keys from the shared JwksRegistry), claims and route scopes,
 * with a bounded cache of verified tokens so a repeated token costs a hash and a map lookup.
 *
 * @module
 */
import { sha256 } from '../../lib/sha256.js'
import { LRUCache } from 'lru-cache'
import { decodeCompactJws, MAX_TOKEN_BYTES } from './decode-compact-jws.js'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { validateJwtAuthorizerConfig, type JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { checkClaims, checkIssuer, flattenClaims, tokenScopes } from './jwt-claims.js'
import { jwtDeny, type JwtResult } from './jwt-result.js'
import { keySourceFor, type JwksRegistry, type KeySource } from './jwks-registry.js'
import type { RemoteDocumentStatus } from './remote-document.js'
import { verifyJwsSignature } from './verify-jws-signature.js'

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
  readonly claims: Readonly<Record<string, string>>
  readonly scopes: readonly string[]
}

export interface JwtVerifierStats {
  /** Signature verifications performed (cache misses that reached the crypto). */
  readonly signatureVerifications: number
  /** Requests answered from the verified-token cache. */
  readonly cacheHits: number
}

// `Bearer` scheme is case-insensitive (RFC 7235 §2.1); AWS accepts the bare token too (§0.7).
const BEARER = /^bearer +/i

export class JwtVerifier {
  readonly config: JwtAuthorizerConfig
  readonly #registry: JwksRegistry
  readonly #source: KeySource
  readonly #now: () => number
  readonly #cache: LRUCache<string, VerifiedToken> | undefined
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
    const max = opts.tokenCacheMax ?? DEFAULT_TOKEN_CACHE_MAX
    const maxSize = opts.tokenCacheMaxBytes ?? DEFAULT_TOKEN_CACHE_MAX_BYTES
    this.#cache =
      max > 0 && maxSize > 0 ? new LRUCache<string, VerifiedToken>({ max, maxSize }) : undefined
  }

  /**
   * Verifies `headerValue` (the raw identity header) for a route requiring `routeScopes` (empty =
   * none). Never throws; every failure is a 401 except a JWT-authorizer scope mismatch (403).
   */
  async verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): Promise<JwtResult> {
    try {
      return await this.#verify(headerValue, routeScopes)
    } catch {
      return jwtDeny('ERR_JWT_INTERNAL', 'the token could not be verified')
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

  async #verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): Promise<JwtResult> {
    if (headerValue === undefined) return jwtDeny('ERR_JWT_MISSING', 'the token is missing')
    // Check the size before any trimming or regex work on attacker-sized input.
    if (headerValue.length > MAX_TOKEN_BYTES + 64) {
      return jwtDeny('ERR_JWT_TOO_LARGE', 'the token is too large')
    }
    const token = headerValue.trim().replace(BEARER, '')
    if (token.length === 0) return jwtDeny('ERR_JWT_MISSING', 'the token is missing')
    if (token.length > MAX_TOKEN_BYTES)
      return jwtDeny('ERR_JWT_TOO_LARGE', 'the token is too large')

    const nowMs = this.#now()
    const cacheKey = this.#cache === undefined ? '' : sha256(token, 'base64url')
    let verified = this.#cache?.get(cacheKey)
    if (verified !== undefined) {
      const key = this.#registry.peekKey(verified.jwksUrl, verified.kid, verified.alg)
      if (key?.thumbprint === verified.thumbprint) {
        this.#cacheHits++
      } else {
        // The key left the JWKS (rotation/revocation) or aged out: verify from scratch.
        this.#cache?.delete(cacheKey)
        verified = undefined
      }
    }
    if (verified === undefined) {
      const result = await this.#verifySignature(token)
      if (!result.ok) return result.deny
      verified = result.verified
      const exp = verified.payload['exp']
      const ttlMs =
        typeof exp === 'number' ? (exp + this.config.clockSkewSeconds) * 1000 - nowMs : 0
      if (this.#cache !== undefined && ttlMs > 0) {
        this.#cache.set(cacheKey, verified, { ttl: ttlMs, size: token.length * 3 + 1024 })
      }
    }
    const denied = checkClaims(
      verified.payload,
      verified.scopes,
      this.config,
      routeScopes,
      nowMs / 1000,
    )
    if (denied !== undefined) return denied
    return {
      ok: true,
      principalId: verified.payload['sub'] as string, // checkClaims guarantees a non-empty string
      claims: verified.claims,
      scopes: verified.scopes,
    }
  }

  async #verifySignature(
    token: string,
  ): Promise<{ ok: true; verified: VerifiedToken } | { ok: false; deny: JwtResult }> {
    const decoded = decodeCompactJws(token)
    if (!decoded.ok) return { ok: false, deny: jwtDeny(decoded.code, decoded.description) }
    const { jws } = decoded
    // Issuer first: a token from another issuer must not make us fetch anything.
    const issuerDeny = checkIssuer(jws.payload, this.config)
    if (issuerDeny !== undefined) return { ok: false, deny: issuerDeny }
    if (jws.kid === undefined) {
      return { ok: false, deny: jwtDeny('ERR_JWT_KID_MISSING', 'the token has no key id') }
    }
    const lookup = await this.#registry.getKey(this.#source, jws.kid, jws.alg)
    if (!lookup.ok) {
      const description =
        lookup.code === 'ERR_JWT_JWKS_UNAVAILABLE'
          ? 'the signing keys of the issuer are not available'
          : lookup.code === 'ERR_JWT_KID_UNKNOWN'
            ? 'the token key id is not known to the issuer'
            : 'the token signing algorithm does not match the key'
      return { ok: false, deny: jwtDeny(lookup.code, description) }
    }
    this.#signatureVerifications++
    if (!verifyJwsSignature(jws.alg, lookup.key, jws.signingInput, jws.signature)) {
      return {
        ok: false,
        deny: jwtDeny('ERR_JWT_SIGNATURE_INVALID', 'the token signature is invalid'),
      }
    }
    return {
      ok: true,
      verified: {
        payload: jws.payload,
        alg: jws.alg,
        kid: jws.kid,
        jwksUrl: lookup.jwksUrl,
        thumbprint: lookup.key.thumbprint,
        claims: Object.freeze(flattenClaims(jws.payload, this.config.type)),
        scopes: Object.freeze(tokenScopes(jws.payload, this.config.type)),
      },
    }
  }
}
