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
 * A proto `map<string, string>`: a Map in wire order from decodeCheckRequest (which refuses a
 * repeated key), or a plain object from a generic decoder.
 */
export type StringMapWire = Readonly<Record<string, string>> | ReadonlyMap<string, string>

/**
 * `http.headers` as decodeCheckRequest reads it: a Map in wire order made for this one request,
 * with what fromCheckRequest needs to know to keep it. When every name is lower-case ASCII (what
 * Envoy sends) and no limit is passed, the Map becomes the RequestContext's headers once its
 * pseudo-headers are moved out, with no second copy; otherwise it is read like any other map.
 */
export class DecodedHeaders {
  constructor(
    readonly all: Map<string, string>,
    /** How many names start with `:`. */
    readonly pseudoCount: number,
    /** Every name is ASCII without A–Z: lower-casing would change none. */
    readonly lowerCase: boolean,
    /** Sum of names' and values' lengths, as collectHeaders counts them against maxHeaderBytes. */
    readonly chars: number,
  ) {}

  get size(): number {
    return this.all.size
  }
}

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
  readonly headers?: StringMapWire | DecodedHeaders | null
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
/** A map's entries: a Map's in its (wire) order, an object's in its own key order. */
function entriesOf(
  map: StringMapWire | DecodedHeaders,
): Iterable<readonly [string, string | undefined]> {
  if (map instanceof DecodedHeaders) return map.all
  return map instanceof Map
    ? (map as ReadonlyMap<string, string>)
    : Object.entries(map as Readonly<Record<string, string>>)
}

/** How many entries a map has. */
function sizeOf(map: StringMapWire | DecodedHeaders): number {
  return map instanceof Map || map instanceof DecodedHeaders ? map.size : Object.keys(map).length
}

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
  if (sizeOf(map) > limits.maxHeaderCount + 16) return 'ERR_REQUEST_TOO_LARGE'
  for (const [n, v] of entriesOf(map)) {
    const value = v ?? ''
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
  let headers: Map<string, string>
  let pseudo: Map<string, string>
  let headerError: RequestErrorCode | undefined
  const decoded = http.headers
  if (
    decoded instanceof DecodedHeaders &&
    decoded.lowerCase &&
    (http.header_map?.headers?.length ?? 0) === 0 &&
    decoded.size <= limits.maxHeaderCount + 16 &&
    decoded.chars <= limits.maxHeaderBytes &&
    decoded.size - decoded.pseudoCount <= limits.maxHeaderCount
  ) {
    // Nothing collectHeaders would change or refuse: the decoder's Map is kept, less its
    // pseudo-headers (names are unique there, so none needs joining).
    headers = decoded.all
    pseudo = new Map<string, string>()
    let left = decoded.pseudoCount
    if (left > 0) {
      for (const [name, value] of headers) {
        if (name.charCodeAt(0) !== 0x3a) continue
        pseudo.set(name, value)
        headers.delete(name)
        if (--left === 0) break
      }
    }
  } else {
    headers = new Map<string, string>()
    pseudo = new Map<string, string>()
    headerError = collectHeaders(http, limits, headers, pseudo)
  }
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
    const size = sizeOf(ext)
    if (size > limits.maxContextExtensions) {
      return fail('ERR_REQUEST_TOO_LARGE', 'too many context_extensions', requestId)
    }
    if (size > 0) {
      const m = new Map<string, string>()
      for (const [k, v] of entriesOf(ext)) m.set(k, v ?? '')
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
