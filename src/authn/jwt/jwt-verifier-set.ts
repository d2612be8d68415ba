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

export class JwtVerifierSet {
  readonly #byIssuer = new Map<string, JwtVerifier>()
  readonly #list: readonly JwtVerifier[]
  readonly #first: JwtVerifier
  readonly #single: boolean

  /** `configs`: one per issuer (compileCognitoConfigs); throws TypeError if empty or duplicated. */
  constructor(
    configs: readonly JwtAuthorizerConfig[],
    registry: JwksRegistry,
    opts: JwtVerifierOptions = {},
  ) {
    const [head] = configs
    if (head === undefined) throw new TypeError('JwtVerifierSet: at least one config')
    for (const c of configs) {
      if (this.#byIssuer.has(c.issuer))
        throw new TypeError(`JwtVerifierSet: duplicate issuer ${c.issuer}`)
      this.#byIssuer.set(c.issuer, new JwtVerifier(c, registry, opts))
    }
    this.#list = [...this.#byIssuer.values()]
    this.#first = this.#byIssuer.get(head.issuer) ?? new JwtVerifier(head, registry, opts)
    this.#single = configs.length === 1
  }

  get verifiers(): readonly JwtVerifier[] {
    return this.#list
  }

  /** Same contract as JwtVerifier.verify: synchronous unless keys must be fetched. */
  verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): JwtResult | Promise<JwtResult> {
    if (this.#single) return this.#first.verify(headerValue, routeScopes)
    try {
      const token = extractBearerToken(headerValue)
      if (typeof token !== 'string') return token
      // A token can be cached only by the verifier of its issuer: one hash, a lookup per pool.
      const cacheKey = this.#first.caches ? tokenCacheKey(token) : ''
      for (const v of this.#list) {
        const hit = v.fromCache(cacheKey, routeScopes)
        if (hit !== undefined) return hit
      }
      const decoded = decodeCompactJws(token)
      // A malformed token: let any verifier give the canonical refusal.
      if (!decoded.ok) return decoded
      const iss = decoded.jws.payload['iss']
      const verifier = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined
      if (verifier === undefined) return ISSUER_MISMATCH
      return verifier.verifyToken(token, cacheKey, routeScopes, decoded)
    } catch {
      return INTERNAL
    }
  }
}
