/**
 * Translates a decoded Envoy `envoy.service.auth.v3.CheckRequest` into the RequestContext, once,
 * at the gRPC boundary. Never throws: a request that cannot be translated is an error value the
 * server answers with a deny.
 *
 * @module
 */
import type { RequestContext } from './request-context.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestErrorCode,
  type RequestLimits,
  type RequestParseResult,
} from './request-parse-result.js'
import { hostFromAuthority, normalizeIp, pickRequestId, splitTarget } from './normalize-fields.js'

/**
 * The CheckRequest as `@grpc/proto-loader` decodes it with `keepCase`, `longs: String`,
 * `enums: String`, `defaults: false`, `oneofs: true` (see `src/request/load-protos.ts`). Only the
 * fields we read are typed; every field is optional because proto3 omits defaults on the wire.
 * Field comments cite envoy/service/auth/v3/attribute_context.proto.
 */
/**
 * A proto `map<string, string>`: an object from the generic decoder, a Map (same entries, in
 * first-insertion order) from decodeCheckRequest.
 */
export type StringMapWire = Readonly<Record<string, string>> | ReadonlyMap<string, string>

export interface CheckRequestWire {
  readonly attributes?: AttributeContextWire | null
}

export interface AttributeContextWire {
  readonly source?: PeerWire | null
  readonly destination?: PeerWire | null
  readonly request?: { readonly http?: HttpRequestWire | null } | null
  /** Per-route `ExtAuthzPerRoute.check_settings.context_extensions`. */
  readonly context_extensions?: StringMapWire | null
}

export interface PeerWire {
  readonly address?: {
    readonly socket_address?: { readonly address?: string } | null
  } | null
  /** mTLS identity (URI SAN, e.g. SPIFFE) when the connection was mutually authenticated. */
  readonly principal?: string
}

export interface HttpRequestWire {
  /** Envoy's stream/request id. */
  readonly id?: string
  readonly method?: string
  /** Lower-case names, same-name values joined with `,`; includes pseudo-headers. */
  readonly headers?: StringMapWire | null
  /** Sent instead of `headers` when the filter sets `encode_raw_headers`. */
  readonly header_map?: {
    readonly headers?: readonly {
      readonly key?: string
      readonly value?: string
      readonly raw_value?: Uint8Array
    }[]
  } | null
  /** Path including the query string. */
  readonly path?: string
  readonly host?: string
  readonly scheme?: string
  readonly protocol?: string
  /** UTF-8 body (`with_request_body`). */
  readonly body?: string
  /** Body bytes (`with_request_body.pack_as_bytes`). */
  readonly raw_body?: Uint8Array
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true })
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/

/** An object key JavaScript orders before the others (an array index, < 2³² − 1). */
function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0)
  return c >= 0x30 && c <= 0x39 && ARRAY_INDEX.test(key) && Number(key) < 4294967295
}

/**
 * The map's entries in the order the generic decoder's object lists them: a Map keeps insertion
 * order, an object lists array-index keys first, ascending. Only such (unusual) keys force the
 * conversion; `__proto__` stays an ordinary own key, as protobufjs makes it.
 */
function orderedKeys(map: StringMapWire): {
  keys: Iterable<string>
  get: (k: string) => string | undefined
} {
  if (!(map instanceof Map)) {
    const o = map as Readonly<Record<string, string>>
    return { keys: Object.keys(o), get: (k) => o[k] }
  }
  const m = map as ReadonlyMap<string, string>
  let indexed = false
  for (const k of m.keys()) if (isArrayIndex(k)) indexed = true
  if (!indexed) return { keys: m.keys(), get: (k) => m.get(k) }
  const o: Record<string, string> = {}
  for (const [k, v] of m) {
    if (k === '__proto__') Object.defineProperty(o, k, PROP)
    o[k] = v
  }
  return { keys: Object.keys(o), get: (k) => o[k] }
}

const PROP: PropertyDescriptor = { enumerable: true, configurable: true, writable: true }
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/
const NON_ASCII = /[^\x00-\x7f]/

/**
 * The lower-case form of a header name, or undefined for a name beyond ASCII: lower-casing could
 * fold it into another header's name (KELVIN SIGN `\u212A` becomes `k`). Envoy sends names already
 * lower-case, so the character scan only runs for names that change.
 */
function headerName(key: string): string | undefined {
  const name = key.toLowerCase()
  return name !== key && NON_ASCII.test(key) ? undefined : name
}
const EMPTY_MAP: ReadonlyMap<string, string> = new Map()

function fail(code: RequestErrorCode, detail: string, requestId: string): RequestParseResult {
  return { ok: false, code, detail, requestId }
}

/**
 * Collects request headers from either representation. Returns an error code on a limit or
 * undecodable bytes. Pseudo-headers are kept apart: they only serve as fallbacks for method, path,
 * authority and scheme.
 */
function collectHeaders(
  http: HttpRequestWire,
  limits: RequestLimits,
  headers: Map<string, string>,
  pseudo: Map<string, string>,
): RequestErrorCode | undefined {
  let bytes = 0
  const raw = http.header_map?.headers
  if (raw !== undefined && raw.length > 0) {
    if (raw.length > limits.maxHeaderCount * 4) return 'ERR_REQUEST_TOO_LARGE'
    for (const h of raw) {
      const name = headerName(h.key ?? '')
      if (name === undefined) return 'ERR_REQUEST_MALFORMED'
      if (name === '') continue
      let value: string
      if (h.raw_value !== undefined && h.raw_value.length > 0) {
        try {
          value = utf8Strict.decode(h.raw_value)
        } catch {
          // Header bytes that are not UTF-8 cannot be compared or signed consistently: deny.
          return 'ERR_REQUEST_MALFORMED'
        }
      } else {
        value = h.value ?? ''
      }
      bytes += name.length + value.length
      if (bytes > limits.maxHeaderBytes) return 'ERR_REQUEST_TOO_LARGE'
      const target = name.charCodeAt(0) === 0x3a ? pseudo : headers
      const prev = target.get(name)
      // Same joining rule Envoy applies to the `headers` map (and SigV4 canonical headers expect).
      target.set(name, prev === undefined ? value : `${prev},${value}`)
    }
    if (headers.size > limits.maxHeaderCount) return 'ERR_REQUEST_TOO_LARGE'
    return undefined
  }
  const map = http.headers
  if (map === undefined || map === null) return undefined
  const size = map instanceof Map ? map.size : Object.keys(map).length
  if (size > limits.maxHeaderCount + 16) return 'ERR_REQUEST_TOO_LARGE'
  const { keys, get } = orderedKeys(map)
  for (const n of keys) {
    const value = get(n) ?? ''
    bytes += n.length + value.length
    if (bytes > limits.maxHeaderBytes) return 'ERR_REQUEST_TOO_LARGE'
    const name = headerName(n)
    if (name === undefined) return 'ERR_REQUEST_MALFORMED'
    const target = name.charCodeAt(0) === 0x3a ? pseudo : headers
    const prev = target.get(name)
    target.set(name, prev === undefined ? value : `${prev},${value}`)
  }
  if (headers.size > limits.maxHeaderCount) return 'ERR_REQUEST_TOO_LARGE'
  return undefined
}

function nonEmpty(...values: (string | undefined)[]): string {
  for (const v of values) if (v !== undefined && v !== '') return v
  return ''
}

/**
 * CheckRequest → RequestContext.
 *
 * - method: `http.method`, else `:method`, as sent (methods are case-sensitive: `get` matches no
 *   route); must be an HTTP token.
 * - path / rawQuery: `http.path` (which includes the query), else `:path`, split at the first `?`.
 * - authority: `http.host`, else `:authority`, else `host`; `host` is that lower-cased without port.
 *   An authority with userinfo or non-ASCII characters is refused (400, see hostFromAuthority).
 * - headers: `header_map` when present (raw values strictly UTF-8), else `headers`; names
 *   lower-cased, duplicates joined with `,`, pseudo-headers excluded. A `host` header equal to the
 *   authority is added when absent, because Envoy carries Host as `:authority` and SigV4 signs `host`.
 * - body: `raw_body` bytes, else the UTF-8 `body`; `bodyPartial` from `x-envoy-auth-partial-body`.
 * - sourceIp / sourcePrincipal: `source.address.socket_address.address` (canonical IP) and
 *   `source.principal`.
 * - requestId: `x-request-id`, else `http.id`, else a random UUID.
 */
export function fromCheckRequest(
  req: CheckRequestWire | null | undefined,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  nowMs: number = Date.now(),
): RequestParseResult {
  const attrs = req?.attributes
  const http = attrs?.request?.http
  if (attrs === undefined || attrs === null || http === undefined || http === null) {
    return fail(
      'ERR_REQUEST_MALFORMED',
      'CheckRequest without attributes.request.http',
      pickRequestId(),
    )
  }
  const headers = new Map<string, string>()
  const pseudo = new Map<string, string>()
  const headerError = collectHeaders(http, limits, headers, pseudo)
  const requestId = pickRequestId(headers.get('x-request-id'), http.id)
  if (headerError !== undefined) return fail(headerError, 'request headers rejected', requestId)

  const method = nonEmpty(http.method, pseudo.get(':method'))
  if (!METHOD_TOKEN.test(method))
    return fail('ERR_REQUEST_MALFORMED', 'missing or invalid method', requestId)

  const target = splitTarget(nonEmpty(http.path, pseudo.get(':path')))
  if (target === null) return fail('ERR_REQUEST_INVALID_PATH', 'unusable request path', requestId)

  const authority = nonEmpty(http.host, pseudo.get(':authority'), headers.get('host'))
  const host = hostFromAuthority(authority)
  if (host === undefined) {
    return fail('ERR_REQUEST_INVALID_PATH', 'authority is not a plain host[:port]', requestId)
  }
  if (!headers.has('host') && authority !== '') headers.set('host', authority)

  let body: Buffer | undefined
  if (http.raw_body !== undefined && http.raw_body.length > 0) {
    body = Buffer.isBuffer(http.raw_body)
      ? http.raw_body
      : Buffer.from(http.raw_body.buffer, http.raw_body.byteOffset, http.raw_body.byteLength)
  } else if (http.body !== undefined && http.body !== '') {
    body = Buffer.from(http.body, 'utf8')
  }
  if (body !== undefined && body.length > limits.maxBodyBytes) {
    return fail('ERR_REQUEST_TOO_LARGE', 'request body over maxBodyBytes', requestId)
  }

  let contextExtensions = EMPTY_MAP
  const ext = attrs.context_extensions
  if (ext !== undefined && ext !== null) {
    const size = ext instanceof Map ? ext.size : Object.keys(ext).length
    if (size > limits.maxContextExtensions) {
      return fail('ERR_REQUEST_TOO_LARGE', 'too many context_extensions', requestId)
    }
    if (size > 0) {
      const m = new Map<string, string>()
      const { keys, get } = orderedKeys(ext)
      for (const k of keys) m.set(k, get(k) ?? '')
      contextExtensions = m
    }
  }

  const principal = attrs.source?.principal
  const request: RequestContext = {
    requestId,
    method,
    path: target.path,
    rawQuery: target.rawQuery,
    authority,
    host,
    scheme: nonEmpty(http.scheme, pseudo.get(':scheme')).toLowerCase(),
    protocol: http.protocol ?? '',
    headers,
    body,
    bodyPartial: headers.get('x-envoy-auth-partial-body') === 'true',
    sourceIp: normalizeIp(attrs.source?.address?.socket_address?.address),
    sourcePrincipal: principal === undefined || principal === '' ? undefined : principal,
    contextExtensions,
    timeMs: nowMs,
  }
  return { ok: true, request }
}
