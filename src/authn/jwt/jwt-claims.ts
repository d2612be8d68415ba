/**
 * Claim checks and claim shaping for verified tokens: pure functions of (payload, config, now,
 * route scopes), applied on every request, cache hit or not, in AWS's documented order
 * (http-api-jwt-authorizer.md: iss, aud, exp, nbf, iat, scope; Cognito adds token_use).
 *
 * @module
 */
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import type { JwtDeny, JwtErrorCode } from './jwt-result.js'

type Payload = Readonly<Record<string, unknown>>

function deny(code: JwtErrorCode, description: string, status: 401 | 403 = 401): JwtDeny {
  return { ok: false, status, code, description }
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** `aud` as a list: a string or an array of strings (RFC 7519 §4.1.3); undefined when absent. */
function audiences(payload: Payload): readonly string[] | undefined | null {
  const aud = payload['aud']
  if (aud === undefined) return undefined
  if (typeof aud === 'string') return [aud]
  if (!Array.isArray(aud)) return null // present but malformed
  const list: string[] = []
  for (const a of aud as unknown[]) {
    if (typeof a !== 'string') return null
    list.push(a)
  }
  return list
}

/**
 * The scopes a token carries: `scope` (space-separated string, RFC 8693 §4.2) and, for JWT
 * authorizers, `scp` (array or string, as Okta/Azure issue it). Malformed values count as none.
 */
export function tokenScopes(payload: Payload, type: JwtAuthorizerConfig['type']): string[] {
  const out: string[] = []
  const add = (v: unknown): void => {
    if (typeof v === 'string') out.push(...v.split(' ').filter((s) => s.length > 0))
    else if (Array.isArray(v))
      for (const s of v) if (typeof s === 'string' && s.length > 0) out.push(s)
  }
  const scope = payload['scope']
  if (typeof scope === 'string') add(scope)
  if (type === 'JWT') add(payload['scp'])
  return [...new Set(out)]
}

/** Checks the issuer only: done before any key fetch, so foreign tokens cost no I/O. */
export function checkIssuer(payload: Payload, config: JwtAuthorizerConfig): JwtDeny | undefined {
  return payload['iss'] === config.issuer
    ? undefined
    : deny('ERR_JWT_ISSUER_MISMATCH', 'the token does not have a valid issuer')
}

/**
 * Every claim rule except the signature and the issuer. Undefined = the token is acceptable for a
 * route with `routeScopes` at time `nowSeconds`.
 *
 * COGNITO_USER_POOLS (aws-access-semantics.md §6.1, §0.7): no route scopes → ID token
 * (`token_use` `id`, `aud` ∈ clientIds when configured); route scopes → access token (`token_use`
 * `access`, `client_id` ∈ clientIds when configured, any route scope in `scope`); all failures 401.
 * JWT (§6.2): `aud` ∈ audiences, or `client_id` ∈ audiences only when `aud` is absent; any route
 * scope in `scope`/`scp`, else 403.
 */
export function checkClaims(
  payload: Payload,
  scopes: readonly string[],
  config: JwtAuthorizerConfig,
  routeScopes: readonly string[],
  nowSeconds: number,
): JwtDeny | undefined {
  const wantAccess = routeScopes.length > 0
  if (config.type === 'COGNITO_USER_POOLS') {
    const tokenUse = payload['token_use']
    if (tokenUse !== (wantAccess ? 'access' : 'id')) {
      return deny(
        'ERR_JWT_TOKEN_USE_MISMATCH',
        wantAccess ? 'the route requires an access token' : 'the route requires an ID token',
      )
    }
    if (config.audiences.length > 0) {
      if (wantAccess) {
        const clientId = payload['client_id']
        if (typeof clientId !== 'string' || !config.audiences.includes(clientId)) {
          return deny('ERR_JWT_CLIENT_ID_MISMATCH', 'the token does not have a valid client id')
        }
      } else {
        const aud = audiences(payload)
        if (!aud?.some((a) => config.audiences.includes(a))) {
          return deny('ERR_JWT_AUDIENCE_MISMATCH', 'the token does not have a valid audience')
        }
      }
    }
  } else {
    const aud = audiences(payload)
    if (aud === null)
      return deny('ERR_JWT_AUDIENCE_MISMATCH', 'the token does not have a valid audience')
    if (aud !== undefined) {
      if (!aud.some((a) => config.audiences.includes(a))) {
        return deny('ERR_JWT_AUDIENCE_MISMATCH', 'the token does not have a valid audience')
      }
    } else {
      const clientId = payload['client_id']
      if (typeof clientId !== 'string' || !config.audiences.includes(clientId)) {
        return deny('ERR_JWT_AUDIENCE_MISMATCH', 'the token does not have a valid audience')
      }
    }
  }
  const timeDeny = checkTimes(payload, config.clockSkewSeconds, nowSeconds)
  if (timeDeny !== undefined) return timeDeny
  const sub = payload['sub']
  if (typeof sub !== 'string' || sub.length === 0) {
    return deny('ERR_JWT_CLAIM_INVALID', 'the token does not have a valid subject')
  }
  if (wantAccess && !routeScopes.some((s) => scopes.includes(s))) {
    // REST Cognito: 401 (documented); HTTP-API JWT: 403 Forbidden (observed), §0.7.
    return deny(
      'ERR_JWT_SCOPE_MISMATCH',
      'the token does not have the required scope',
      config.type === 'JWT' ? 403 : 401,
    )
  }
  return undefined
}

/**
 * `exp` is required (fail closed: a token that never expires cannot be bounded in the token cache
 * either, and Cognito always sets it); `nbf` and `iat` are checked when present. All with skew.
 */
export function checkTimes(
  payload: Payload,
  skewSeconds: number,
  nowSeconds: number,
): JwtDeny | undefined {
  const exp = payload['exp']
  if (!isNumericDate(exp))
    return deny('ERR_JWT_CLAIM_INVALID', 'the token does not have a valid expiry')
  if (nowSeconds >= exp + skewSeconds) return deny('ERR_JWT_EXPIRED', 'the token has expired')
  const nbf = payload['nbf']
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return deny('ERR_JWT_CLAIM_INVALID', 'the token has an invalid nbf')
    if (nowSeconds + skewSeconds < nbf)
      return deny('ERR_JWT_NOT_YET_VALID', 'the token is not valid yet')
  }
  const iat = payload['iat']
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return deny('ERR_JWT_CLAIM_INVALID', 'the token has an invalid iat')
    if (nowSeconds + skewSeconds < iat) {
      return deny('ERR_JWT_ISSUED_IN_FUTURE', 'the token was issued in the future')
    }
  }
  return undefined
}

const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Claims as strings for `x-portcullis-context-claims-<claim>`. Strings pass as they are, numbers
 * and booleans via String(); arrays of scalars become `a,b` for Cognito (REST
 * `$context.authorizer.claims` style) and `[a b]` for JWT (HTTP API `jwt.claims` style); objects
 * become JSON; null is dropped. A value with control characters (CR, LF, NUL…) is dropped whole:
 * it could not be a header value, and truncating it would forge a different one.
 */
export function flattenClaims(
  payload: Payload,
  type: JwtAuthorizerConfig['type'],
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, v] of Object.entries(payload)) {
    let s: string | undefined
    if (typeof v === 'string') s = v
    else if (typeof v === 'number' || typeof v === 'boolean') s = String(v)
    else if (
      Array.isArray(v) &&
      v.every((e) => ['string', 'number', 'boolean'].includes(typeof e))
    ) {
      s = type === 'COGNITO_USER_POOLS' ? v.join(',') : `[${v.join(' ')}]`
    } else if (typeof v === 'object' && v !== null) s = JSON.stringify(v)
    if (s !== undefined && !CONTROL.test(s) && !CONTROL.test(name) && name.length > 0) out[name] = s
  }
  return out
}
