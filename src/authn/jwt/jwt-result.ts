/**
 * The outcome of verifying one request's token: a value, never an exception.
 *
 * @module
 */
import type { JWT_CODES } from '../../api/decision-codes.js'

/** Every reason a token is refused; listed with their meanings in `src/api/decision-codes.ts`. */
export type JwtErrorCode = keyof typeof JWT_CODES

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
   * derived data is built once per token, without a WeakMap: a WeakMap insert per fresh token is
   * work on the check path and weighs on every garbage collection.
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
