/**
 * Claim checks and claim shaping for verified tokens: pure functions of (payload, config, now,
 * route scopes), applied on every request, cache hit or not, in AWS's documented order
 * (http-api-jwt-authorizer.md: iss, aud, exp, nbf, iat, scope; Cognito adds token_use).
 * The checks allocate nothing when a token passes and return shared frozen refusals when it
 * does not: they run on every request, including every verified-token cache hit.
 *
 * @module
 */
import type { JwtAuthorizerConfig } from './jwt-authorizer-config.js'
import type { JwtDeny, JwtErrorCode } from './jwt-result.js'

type Payload = Readonly<Record<string, unknown>>

function deny(code: JwtErrorCode, description: string, status: 401 | 403 = 401): JwtDeny {
  return Object.freeze({ ok: false, status, code, description })
}

const ISSUER_MISMATCH = deny('ERR_JWT_ISSUER_MISMATCH', 'the token does not have a valid issuer')
const AUDIENCE_MISMATCH = deny(
  'ERR_JWT_AUDIENCE_MISMATCH',
  'the token does not have a valid audience',
)
const CLIENT_ID_MISMATCH = deny(
  'ERR_JWT_CLIENT_ID_MISMATCH',
  'the token does not have a valid client id',
)
const NEEDS_ACCESS_TOKEN = deny('ERR_JWT_TOKEN_USE_MISMATCH', 'the route requires an access token')
const NEEDS_ID_TOKEN = deny('ERR_JWT_TOKEN_USE_MISMATCH', 'the route requires an ID token')
const INVALID_SUBJECT = deny('ERR_JWT_CLAIM_INVALID', 'the token does not have a valid subject')
const INVALID_EXPIRY = deny('ERR_JWT_CLAIM_INVALID', 'the token does not have a valid expiry')
const INVALID_NBF = deny('ERR_JWT_CLAIM_INVALID', 'the token has an invalid nbf')
const INVALID_IAT = deny('ERR_JWT_CLAIM_INVALID', 'the token has an invalid iat')
const EXPIRED = deny('ERR_JWT_EXPIRED', 'the token has expired')
const NOT_YET_VALID = deny('ERR_JWT_NOT_YET_VALID', 'the token is not valid yet')
const ISSUED_IN_FUTURE = deny('ERR_JWT_ISSUED_IN_FUTURE', 'the token was issued in the future')
const SCOPE_MISMATCH_401 = deny(
  'ERR_JWT_SCOPE_MISMATCH',
  'the token does not have the required scope',
)
const SCOPE_MISMATCH_403 = deny(
  'ERR_JWT_SCOPE_MISMATCH',
  'the token does not have the required scope',
  403,
)

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/**
 * Whether `aud` (RFC 7519 §4.1.3: a string or an array of strings) names one of `allowed`:
 * undefined when absent, null when present but malformed (an array with a non-string member).
 */
function audienceMatches(aud: unknown, allowed: readonly string[]): boolean | undefined | null {
  if (aud === undefined) return undefined
  if (typeof aud === 'string') return allowed.includes(aud)
  if (!Array.isArray(aud)) return null
  let match = false
  for (let i = 0; i < aud.length; i++) {
    const a: unknown = aud[i]
    if (typeof a !== 'string') return null
    if (!match && allowed.includes(a)) match = true
  }
  return match
}

/** Adds the non-empty space-separated words of `value` to `out`. */
function addWords(out: Set<string>, value: string): void {
  let start = 0
  while (start <= value.length) {
    let end = value.indexOf(' ', start)
    if (end === -1) end = value.length
    if (end > start) out.add(value.slice(start, end))
    start = end + 1
  }
}

/**
 * The scopes a token carries, without duplicates, in token order: `scope` (space-separated
 * string, RFC 8693 §4.2) and, for JWT authorizers, `scp` (array or string, as Okta/Azure issue
 * it). Malformed values count as none.
 */
export function tokenScopeSet(
  payload: Payload,
  type: JwtAuthorizerConfig['type'],
): ReadonlySet<string> {
  const out = new Set<string>()
  const scope = payload['scope']
  if (typeof scope === 'string') addWords(out, scope)
  if (type === 'JWT') {
    const scp = payload['scp']
    if (typeof scp === 'string') addWords(out, scp)
    else if (Array.isArray(scp)) {
      for (let i = 0; i < scp.length; i++) {
        const s: unknown = scp[i]
        if (typeof s === 'string' && s.length > 0) out.add(s)
      }
    }
  }
  return out
}

/** {@link tokenScopeSet} as a list (the JwtAllow `scopes` field). */
export function tokenScopes(payload: Payload, type: JwtAuthorizerConfig['type']): string[] {
  return Array.from(tokenScopeSet(payload, type))
}

/** Checks the issuer only: done before any key fetch, so foreign tokens cost no I/O. */
export function checkIssuer(payload: Payload, config: JwtAuthorizerConfig): JwtDeny | undefined {
  return payload['iss'] === config.issuer ? undefined : ISSUER_MISMATCH
}

function hasAnyScope(
  scopes: ReadonlySet<string> | readonly string[],
  routeScopes: readonly string[],
): boolean {
  const set = scopes instanceof Set
  for (let i = 0; i < routeScopes.length; i++) {
    const s = routeScopes[i] as string
    if (set ? scopes.has(s) : (scopes as readonly string[]).includes(s)) return true
  }
  return false
}

/**
 * Every claim rule except the signature and the issuer. Undefined = the token is acceptable for a
 * route with `routeScopes` at time `nowSeconds`. `scopes`: the token's scopes (tokenScopeSet).
 *
 * COGNITO_USER_POOLS (docs/aws-semantics.md#cognito-tokens): no route scopes → ID token
 * (`token_use` `id`, `aud` ∈ clientIds when configured); route scopes → access token (`token_use`
 * `access`, `client_id` ∈ clientIds when configured, any route scope in `scope`); all failures 401.
 * JWT: `aud` ∈ audiences, or `client_id` ∈ audiences only when `aud` is absent; any route
 * scope in `scope`/`scp`, else 403.
 */
export function checkClaims(
  payload: Payload,
  scopes: ReadonlySet<string> | readonly string[],
  config: JwtAuthorizerConfig,
  routeScopes: readonly string[],
  nowSeconds: number,
): JwtDeny | undefined {
  const wantAccess = routeScopes.length > 0
  if (config.type === 'COGNITO_USER_POOLS') {
    if (payload['token_use'] !== (wantAccess ? 'access' : 'id')) {
      return wantAccess ? NEEDS_ACCESS_TOKEN : NEEDS_ID_TOKEN
    }
    if (config.audiences.length > 0) {
      if (wantAccess) {
        const clientId = payload['client_id']
        if (typeof clientId !== 'string' || !config.audiences.includes(clientId)) {
          return CLIENT_ID_MISMATCH
        }
      } else if (audienceMatches(payload['aud'], config.audiences) !== true) {
        return AUDIENCE_MISMATCH
      }
    }
  } else {
    const aud = audienceMatches(payload['aud'], config.audiences)
    if (aud === undefined) {
      const clientId = payload['client_id']
      if (typeof clientId !== 'string' || !config.audiences.includes(clientId)) {
        return AUDIENCE_MISMATCH
      }
    } else if (aud !== true) return AUDIENCE_MISMATCH
  }
  const timeDeny = checkTimes(payload, config.clockSkewSeconds, nowSeconds)
  if (timeDeny !== undefined) return timeDeny
  const sub = payload['sub']
  if (typeof sub !== 'string' || sub.length === 0) return INVALID_SUBJECT
  if (wantAccess && !hasAnyScope(scopes, routeScopes)) {
    // REST Cognito: 401 (documented); HTTP-API JWT: 403 Forbidden (observed): see
    // docs/aws-semantics.md#scope-mismatch.
    return config.type === 'JWT' ? SCOPE_MISMATCH_403 : SCOPE_MISMATCH_401
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
  if (!isNumericDate(exp)) return INVALID_EXPIRY
  if (nowSeconds >= exp + skewSeconds) return EXPIRED
  const nbf = payload['nbf']
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return INVALID_NBF
    if (nowSeconds + skewSeconds < nbf) return NOT_YET_VALID
  }
  const iat = payload['iat']
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return INVALID_IAT
    if (nowSeconds + skewSeconds < iat) return ISSUED_IN_FUTURE
  }
  return undefined
}

/** No control characters (C0, DEL): CR/LF/NUL in a header value would be header injection. */
function headerSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return false
  }
  return true
}

/** An array whose members are all strings, numbers or booleans (possibly none). */
function scalarArray(v: readonly unknown[]): boolean {
  for (let i = 0; i < v.length; i++) {
    const t = typeof v[i]
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false
  }
  return true
}

/**
 * Claims as strings for `x-portcullis-context-claims-<claim>`. Strings pass as they are, numbers
 * and booleans via String(); arrays of scalars become `a,b` for Cognito (REST
 * `$context.authorizer.claims` style) and `[a b]` for JWT (HTTP API `jwt.claims` style); objects
 * become JSON; null is dropped. A value with control characters (CR, LF, NUL…) is dropped whole:
 * it could not be a header value, and truncating it would forge a different one.
 * `controlFree`: the caller knows no name or string can hold a control character (DecodedJws
 * payloadControlFree), so the per-character scans are skipped.
 */
export function flattenClaims(
  payload: Payload,
  type: JwtAuthorizerConfig['type'],
  controlFree = false,
): Record<string, string> {
  const out: Record<string, string> = {}
  const names = Object.keys(payload)
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (name.length === 0 || (!controlFree && !headerSafe(name))) continue
    const v = payload[name]
    let s: string
    if (typeof v === 'string') s = v
    // Numbers and booleans print without control characters.
    else if (typeof v === 'number' || typeof v === 'boolean') {
      out[name] = String(v)
      continue
    } else if (Array.isArray(v) && scalarArray(v)) {
      s = type === 'COGNITO_USER_POOLS' ? v.join(',') : `[${v.join(' ')}]`
    } else if (typeof v === 'object' && v !== null) s = JSON.stringify(v)
    else continue
    if (controlFree || headerSafe(s)) out[name] = s
  }
  return out
}
