/**
 * The outcome of verifying one request's token: a value, never an exception.
 *
 * @module
 */

/** Every reason a token is refused. Stable: used as metric `reason` and in logs. */
export type JwtErrorCode =
  | 'ERR_JWT_MISSING'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_ALG_NOT_ALLOWED'
  | 'ERR_JWT_KID_MISSING'
  | 'ERR_JWT_KID_UNKNOWN'
  | 'ERR_JWT_KEY_MISMATCH'
  | 'ERR_JWT_SIGNATURE_INVALID'
  | 'ERR_JWT_JWKS_UNAVAILABLE'
  | 'ERR_JWT_ISSUER_MISMATCH'
  | 'ERR_JWT_AUDIENCE_MISMATCH'
  | 'ERR_JWT_CLIENT_ID_MISMATCH'
  | 'ERR_JWT_TOKEN_USE_MISMATCH'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_NOT_YET_VALID'
  | 'ERR_JWT_ISSUED_IN_FUTURE'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWT_SCOPE_MISMATCH'
  | 'ERR_JWT_INTERNAL'

export interface JwtAllow {
  readonly ok: true
  /** The `sub` claim (sent upstream as `x-portcullis-principal`, docs/wire.md). */
  readonly principalId: string
  /**
   * Claims flattened to strings for `x-portcullis-context-claims-<claim>` (see flattenClaims);
   * names are the claim names as issued (e.g. `cognito:groups`), values contain no control chars.
   */
  readonly claims: Readonly<Record<string, string>>
  /** Scopes the token carries (`scope` / `scp`), in token order. */
  readonly scopes: readonly string[]
  /**
   * True when this answer is kept in the verified-token cache and handed out again for later
   * requests with the same token; false for a token verified for this request only.
   */
  readonly cached: boolean
  /**
   * A mutable slot for what a consumer derives from this answer (the JWT flow keeps the upstream
   * identity here). The verifier returns the same JwtAllow for every cache hit of a token, so
   * derived data is built once per token, without a WeakMap: WeakMap inserts cost about a
   * microsecond each on the fresh-token path and weigh on every garbage collection.
   */
  readonly memo: JwtAllowMemo
}

export interface JwtAllowMemo {
  /** Owned by the JWT flow (decision layer): its AllowIdentity for this token. */
  upstreamIdentity?: unknown
}

export interface JwtDeny {
  readonly ok: false
  /** 403 only for a JWT-authorizer scope mismatch (docs/aws-semantics.md); everything else 401. */
  readonly status: 401 | 403
  readonly code: JwtErrorCode
  /**
   * AWS-style `error_description` text (http-api-jwt-authorizer.md), safe to log and to return in
   * `www-authenticate`: it never contains token content.
   */
  readonly description: string
}

export type JwtResult = JwtAllow | JwtDeny

export function jwtDeny(code: JwtErrorCode, description: string): JwtDeny {
  return { ok: false, status: 401, code, description }
}
