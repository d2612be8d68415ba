/**
 * Builds the allow answer: upstream identity headers (`x-portcullis-principal`,
 * `x-portcullis-context-<key>`) and the removal of every client-sent `x-portcullis-*` header (and
 * `x_portcullis_*`, which CGI-style servers read as the same), so an upstream can trust that those
 * headers come from Portcullis alone. Values that are not
 * plain visible ASCII are sent encoded (upstream-header-value.ts), never altered or refused.
 *
 * @module
 */
import type { AllowOutcome, HeaderEntry } from './check-outcome.js'
import type { RequestContext } from '../request/request-context.js'
import { encodeUpstreamHeaderValue } from './upstream-header-value.js'

export const INJECTED_PREFIX = 'x-portcullis-'

const NOT_TOKEN = /[^a-z0-9!#$%&'*+.^_`|~-]/g

/** Header names per context key: keys repeat on every request (claims, authorizer context). */
const NAME_CACHE = new Map<string, string>()
const NAME_CACHE_MAX = 4096

/** `x-portcullis-context-<key>` with the key made an RFC 9110 token (anything else becomes `-`). */
function contextHeaderName(key: string): string {
  let name = NAME_CACHE.get(key)
  if (name === undefined) {
    name = `${INJECTED_PREFIX}context-${key.toLowerCase().replace(NOT_TOKEN, '-')}`
    if (NAME_CACHE.size >= NAME_CACHE_MAX) NAME_CACHE.clear()
    NAME_CACHE.set(key, name)
  }
  return name
}

export interface AllowIdentity {
  readonly principal: string | undefined
  /** Entries become `x-portcullis-context-<key>`; JWT claims arrive here as `claims-<claim>`. */
  readonly context: Readonly<Record<string, string>>
  /**
   * False when this context object will not be seen again (a token verified for one request, not
   * cached): its header list is then built plainly, with no cache entry anywhere (a weak-map
   * insert per request costs about a microsecond and weighs on garbage collection). Default true:
   * caches hand out the same context object for every hit, so its list is built once.
   */
  readonly reusable?: boolean
}

/** The upstream headers for one identity, kept with the principal they were built for. */
interface BuiltHeaders {
  readonly principal: string | undefined
  readonly headers: readonly HeaderEntry[]
}

/**
 * Upstream header lists per identity context object. Caches hand out the same context object for
 * every hit (authorizer results, verified-token claims), so the list, and the encoder's bytes
 * cached per list, are built once per identity instead of once per request.
 */
const HEADERS_BY_CONTEXT = new WeakMap<object, BuiltHeaders>()
const EMPTY: readonly string[] = Object.freeze([])
const NO_HEADERS: readonly HeaderEntry[] = Object.freeze([])

/** An identity without context (IAM callers, public routes). */
export const NO_CONTEXT: Readonly<Record<string, string>> = Object.freeze({})

/** Principal-only header lists (IAM callers build a fresh empty context): per principal, bounded. */
const PRINCIPAL_HEADERS = new Map<string, readonly HeaderEntry[]>()
const PRINCIPAL_HEADERS_MAX = 4096

function principalOnly(principal: string | undefined): readonly HeaderEntry[] {
  if (principal === undefined) return NO_HEADERS
  let headers = PRINCIPAL_HEADERS.get(principal)
  if (headers === undefined) {
    headers = Object.freeze([
      Object.freeze({
        name: `${INJECTED_PREFIX}principal`,
        value: encodeUpstreamHeaderValue(principal),
      }),
    ])
    if (PRINCIPAL_HEADERS.size >= PRINCIPAL_HEADERS_MAX) PRINCIPAL_HEADERS.clear()
    PRINCIPAL_HEADERS.set(principal, headers)
  }
  return headers
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false
  return true
}

function upstreamHeaders(identity: AllowIdentity): readonly HeaderEntry[] {
  if (isEmpty(identity.context)) return principalOnly(identity.principal)
  if (identity.reusable === false) return buildHeaders(identity)
  const cached = HEADERS_BY_CONTEXT.get(identity.context)
  if (cached !== undefined && cached.principal === identity.principal) return cached.headers
  const headers = Object.freeze(buildHeaders(identity).map((h) => Object.freeze(h)))
  HEADERS_BY_CONTEXT.set(identity.context, { principal: identity.principal, headers })
  return headers
}

/** The header list, unfrozen: the encoder and the validator cache only frozen lists. */
function buildHeaders(identity: AllowIdentity): HeaderEntry[] {
  const upstream: HeaderEntry[] = []
  if (identity.principal !== undefined) {
    upstream.push({
      name: `${INJECTED_PREFIX}principal`,
      value: encodeUpstreamHeaderValue(identity.principal),
    })
  }
  for (const [key, value] of Object.entries(identity.context)) {
    upstream.push({ name: contextHeaderName(key), value: encodeUpstreamHeaderValue(value) })
  }
  return upstream
}

/**
 * True for `x-portcullis-*` in any spelling that CGI, WSGI and PHP servers read as the same
 * variable (`HTTP_X_PORTCULLIS_…`): `-` and `_` are interchangeable after `x` and after
 * `portcullis`. Names reach here lower-cased.
 */
function injectedSpelling(name: string): boolean {
  if (name.length < INJECTED_PREFIX.length || name.charCodeAt(0) !== 0x78) return false
  const a = name.charCodeAt(1)
  const b = name.charCodeAt(12)
  return (
    (a === 0x2d || a === 0x5f) && (b === 0x2d || b === 0x5f) && name.startsWith('portcullis', 2)
  )
}

export function allowOutcome(
  req: RequestContext,
  identity: AllowIdentity,
  code: string,
  api: string | undefined,
): AllowOutcome {
  const upstream = upstreamHeaders(identity)
  // Envoy applies headers_to_remove after the headers it sets, so only client copies of names we
  // do not set are listed; names we set are overwritten (OVERWRITE_IF_EXISTS_OR_ADD) instead.
  // Underscore spellings are never names we set: they are always removed.
  let headersToRemove: string[] | undefined
  for (const name of req.headers.keys()) {
    if (injectedSpelling(name) && !upstream.some((h) => h.name === name)) {
      ;(headersToRemove ??= []).push(name)
    }
  }
  const metadata: Record<string, string> =
    identity.principal === undefined
      ? { decision_id: req.requestId }
      : { decision_id: req.requestId, principal: identity.principal }
  return {
    allowed: true,
    upstreamHeaders: upstream,
    headersToRemove: headersToRemove ?? EMPTY,
    code,
    api,
    metadata,
  }
}
