/**
 * One authorizer with several issuers (a COGNITO_USER_POOLS authorizer listing several user pool
 * ARNs): routes each token to the verifier whose issuer equals the token's unverified `iss`; that
 * verifier then checks everything, `iss` included, with that issuer's own keys.
 *
 * @module
 */
import { decodeCompactJws, MAX_TOKEN_BYTES } from './decode-compact-jws.js'
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import { jwtDeny, type JwtResult } from './jwt-result.js'
import type { JwksRegistry } from './jwks-registry.js'
import { JwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js'

export class JwtVerifierSet {
  readonly #byIssuer = new Map<string, JwtVerifier>()
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
    this.#first = this.#byIssuer.get(head.issuer) ?? new JwtVerifier(head, registry, opts)
    this.#single = configs.length === 1
  }

  get verifiers(): readonly JwtVerifier[] {
    return [...this.#byIssuer.values()]
  }

  /** Same contract as JwtVerifier.verify. */
  async verify(
    headerValue: string | undefined,
    routeScopes: readonly string[],
  ): Promise<JwtResult> {
    if (this.#single) return this.#first.verify(headerValue, routeScopes)
    if (headerValue === undefined || headerValue.length > MAX_TOKEN_BYTES + 64) {
      // Let any verifier produce the canonical missing / too-large answer.
      return this.#first.verify(headerValue, routeScopes)
    }
    const decoded = decodeCompactJws(headerValue.trim().replace(/^bearer +/i, ''))
    if (!decoded.ok) return this.#first.verify(headerValue, routeScopes)
    const iss = decoded.jws.payload['iss']
    const verifier = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined
    if (verifier === undefined)
      return jwtDeny('ERR_JWT_ISSUER_MISMATCH', 'the token does not have a valid issuer')
    return verifier.verify(headerValue, routeScopes)
  }
}
