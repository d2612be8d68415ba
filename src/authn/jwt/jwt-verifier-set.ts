/**
 * One authorizer with several issuers (a COGNITO_USER_POOLS authorizer listing several user pool
 * ARNs): routes each token to the verifier whose issuer equals the token's unverified `iss`; that
 * verifier then checks everything, `iss` included, with that issuer's own keys.
 *
 * @module
 */
import { decodeCompactJws } from './decode-compact-jws.js'
import { extractBearerToken } from './extract-bearer-token.js'
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { jwtDeny, type JwtResult } from './jwt-result.js'
import type { JwksRegistry } from './jwks-registry.js'
import { JwtVerifier, tokenCacheKey, type JwtVerifierOptions } from './jwt-verifier.js'

const ISSUER_MISMATCH = Object.freeze(
  jwtDeny('ERR_JWT_ISSUER_MISMATCH', 'the token does not have a valid issuer'),
)
const INTERNAL = Object.freeze(jwtDeny('ERR_JWT_INTERNAL', 'the token could not be verified'))

/** One running total (a metrics handle: plain numbers, exported at scrape time). */
export interface CountCell {
  value: number
}

/**
 * What one token authorizer counts per request. A request is either a token-cache hit, or it is
 * worked out (decode, keys, signature, claims) and counted by its answer.
 */
export interface JwtRequestCounters {
  readonly cacheHit: CountCell
  readonly allow: CountCell
  /** 401: no, malformed, expired, wrongly signed token, keys unavailable, … */
  readonly unauthorized: CountCell
  /** 403: a valid token without the route's scope (JWT authorizers). */
  readonly forbidden: CountCell
}

function cell(): CountCell {
  return { value: 0 }
}

/** Counters nobody reads (a set built without metrics). */
export function uncountedRequests(): JwtRequestCounters {
  return { cacheHit: cell(), allow: cell(), unauthorized: cell(), forbidden: cell() }
}

function countAnswer(counters: JwtRequestCounters, r: JwtResult): JwtResult {
  if (r.ok) counters.allow.value++
  else if (r.status === 403) counters.forbidden.value++
  else counters.unauthorized.value++
  return r
}

export class JwtVerifierSet {
  readonly #byIssuer = new Map<string, JwtVerifier>()
  readonly #list: readonly JwtVerifier[]
  readonly #first: JwtVerifier
  readonly #counters: JwtRequestCounters

  /** `configs`: one per issuer (compileCognitoConfigs); throws TypeError if empty or duplicated. */
  constructor(
    configs: readonly JwtAuthorizerConfig[],
    registry: JwksRegistry,
    opts: JwtVerifierOptions = {},
    counters: JwtRequestCounters = uncountedRequests(),
  ) {
    this.#counters = counters
    const [head] = configs
    if (head === undefined) throw new TypeError('JwtVerifierSet: at least one config')
    for (const c of configs) {
      if (this.#byIssuer.has(c.issuer))
        throw new TypeError(`JwtVerifierSet: duplicate issuer ${c.issuer}`)
      this.#byIssuer.set(c.issuer, new JwtVerifier(c, registry, opts))
    }
    this.#list = [...this.#byIssuer.values()]
    this.#first = this.#byIssuer.get(head.issuer) ?? new JwtVerifier(head, registry, opts)
  }

  get verifiers(): readonly JwtVerifier[] {
    return this.#list
  }

  /**
   * The answer `audiences` (a candidate audience / client-id list) would give for a token whose
   * live answer is `live`. A refusal for any other reason stands: the candidate changes this rule
   * only, and a token refused by another rule is refused under it too. Otherwise the claims are
   * checked again on the token as verified and cached. Undefined when the token is not cached
   * (token cache off, or the token gone since): telling would take verifying it again.
   */
  candidate(
    headerValue: string | undefined,
    routeScopes: readonly string[],
    live: JwtResult,
    audiences: readonly string[],
  ): JwtResult | undefined {
    if (
      !live.ok &&
      live.code !== 'ERR_JWT_AUDIENCE_MISMATCH' &&
      live.code !== 'ERR_JWT_CLIENT_ID_MISMATCH'
    ) {
      return live
    }
    try {
      const token = extractBearerToken(headerValue)
      if (typeof token !== 'string' || !this.#first.caches) return undefined
      const cacheKey = tokenCacheKey(token)
      for (const v of this.#list) {
        const r = v.candidateFromCache(cacheKey, routeScopes, audiences)
        if (r !== undefined) return r
      }
      return undefined
    } catch {
      return undefined
    }
  }

  /**
   * Same contract as JwtVerifier.verify: synchronous unless keys must be fetched or the signature
   * is checked in the thread pool. Counts every request in the set's counters.
   */
  verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): JwtResult | Promise<JwtResult> {
    const counters = this.#counters
    let answer: JwtResult | Promise<JwtResult>
    try {
      const token = extractBearerToken(headerValue)
      if (typeof token !== 'string') return countAnswer(counters, token)
      // A token can be cached only by the verifier of its issuer: one hash, a lookup per pool.
      const cacheKey = this.#first.caches ? tokenCacheKey(token) : ''
      for (const v of this.#list) {
        const hit = v.fromCache(cacheKey, routeScopes)
        if (hit !== undefined) {
          counters.cacheHit.value++
          return hit
        }
      }
      const decoded = decodeCompactJws(token)
      // A malformed token: let any verifier give the canonical refusal.
      if (!decoded.ok) return countAnswer(counters, decoded)
      const iss = decoded.jws.payload['iss']
      const verifier = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined
      if (verifier === undefined) return countAnswer(counters, ISSUER_MISMATCH)
      answer = verifier.verifyToken(token, cacheKey, routeScopes, decoded)
    } catch {
      return countAnswer(counters, INTERNAL)
    }
    if (!(answer instanceof Promise)) return countAnswer(counters, answer)
    return answer.then((r) => countAnswer(counters, r))
  }
}
