/**
 * Translates an HTTP auth subrequest into the RequestContext, once, at the HTTP boundary. One
 * endpoint speaks three proxy contracts; which one is recognised per request:
 *
 * - **nginx `auth_request`**: `X-Original-URI` (and `X-Original-Method`) carry the original request.
 *   The subrequest carries no body and must clear `Content-Length`, so whether the original request
 *   had a body comes from `X-Original-Content-Length` / `X-Original-Transfer-Encoding` (SigV4 needs
 *   it: a signed request with a body the endpoint cannot see is refused, never assumed empty).
 * - **Traefik `forwardAuth`**: `X-Forwarded-Uri` / `-Method` / `-Host` / `-Proto` carry it.
 *
 * What the proxy says about the connection (client address: `X-Forwarded-For` / `X-Real-IP`;
 * TLS: `X-Forwarded-Proto`) is believed only from `trustedProxies`: policies test it
 * (`aws:SourceIp`, `aws:SecureTransport`). What it says about the request (method, URI, host) is
 * the contract itself and is read from any peer: it names the request being asked about, and the
 * proxies above set it themselves.
 * - **Envoy HTTP ext_authz service**: the subrequest's own method and path ARE the original ones,
 *   behind the optional `path_prefix` configured on both sides (`pathPrefix`).
 *
 * With a `pathPrefix`, requests under it are always Envoy's (so a client header such as
 * `X-Original-URI` forwarded by a permissive `allowed_headers` cannot redirect the check to another
 * path); without one, the nginx/Traefik headers win. Never throws.
 *
 * @module
 */
import type { RequestContext } from './request-context.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type RequestParseResult,
} from './request-parse-result.js'
import { hostFromAuthority, normalizeIp, pickRequestId, splitTarget } from './normalize-fields.js'
import { TRUST_NONE, type TrustedProxies } from './trusted-proxies.js'

/** The subrequest as node's http server parsed it. */
export interface HttpAuthSubrequest {
  /** The subrequest's method (node `req.method`). */
  readonly method: string
  /** The subrequest's request-target (node `req.url`). */
  readonly url: string
  /** Every header value, lower-case names (node `req.headersDistinct`). */
  readonly headers: Readonly<Record<string, readonly string[] | undefined>>
  /** node `req.httpVersion`, e.g. `1.1`. */
  readonly httpVersion: string
  /** TCP peer address (node `req.socket.remoteAddress`). */
  readonly peerAddress: string | undefined
  /** Body bytes when the proxy sent any (Envoy `with_request_body`); bounded by the server. */
  readonly body: Buffer | undefined
}

export type ProxyFlavor = 'envoy' | 'nginx' | 'traefik'

export interface HttpTranslateOptions {
  /** Envoy `http_service.path_prefix`, e.g. `/envoy`. No trailing slash. */
  readonly pathPrefix?: string | undefined
  /** Peers whose `X-Forwarded-For` / `X-Real-IP` / `X-Forwarded-Proto` we believe. Default: none. */
  readonly trustedProxies?: TrustedProxies
  readonly limits?: RequestLimits
}

export type HttpParseResult = RequestParseResult & { readonly flavor: ProxyFlavor | undefined }

/** Connection-level headers: they describe the hop to us, not the client's request. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
])
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/

function first(headers: HttpAuthSubrequest['headers'], name: string): string | undefined {
  const v = headers[name]
  return v === undefined || v.length === 0 ? undefined : v[0]
}

/**
 * The original request's scheme (`aws:SecureTransport`): `X-Forwarded-Proto` when a trusted proxy
 * sent it, like the client address; else `http`, the subrequest's own scheme. An untrusted peer's
 * `https` is never believed: it would satisfy SecureTransport conditions for a plain-text request.
 */
function scheme(headers: HttpAuthSubrequest['headers'], peerTrusted: boolean): string {
  if (!peerTrusted) return 'http'
  const proto = first(headers, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
  return proto === 'https' || proto === 'http' ? proto : 'http'
}

/**
 * Client IP. The TCP peer, unless it is a trusted proxy: then `X-Forwarded-For` is walked from the
 * right, skipping trusted hops, and the first untrusted address is the client (all trusted → the
 * left-most); `X-Real-IP` when there is no `X-Forwarded-For`. `null` means a trusted hop sent an
 * address that is not an IP: we refuse to guess.
 */
function clientIp(
  req: HttpAuthSubrequest,
  peer: string | undefined,
  trusted: TrustedProxies,
  peerTrusted: boolean,
): string | undefined | null {
  if (peer === undefined || !peerTrusted) return peer
  const xff = req.headers['x-forwarded-for']
  if (xff !== undefined && xff.length > 0) {
    const hops = xff.join(',').split(',')
    let candidate: string = peer
    for (let i = hops.length - 1; i >= 0; i--) {
      const ip = normalizeIp(hops[i])
      if (ip === undefined) return null
      candidate = ip
      if (!trusted(ip)) return ip
    }
    return candidate
  }
  const real = first(req.headers, 'x-real-ip')
  if (real === undefined) return peer
  return normalizeIp(real) ?? null
}

interface Original {
  readonly flavor: ProxyFlavor
  readonly method: string
  readonly target: string
  /** Authority from a forwarding header, when it replaces the subrequest's Host. */
  readonly forwardedHost: string | undefined
}

function original(req: HttpAuthSubrequest, pathPrefix: string | undefined): Original | undefined {
  const h = req.headers
  if (pathPrefix !== undefined && req.url.startsWith(`${pathPrefix}/`)) {
    return {
      flavor: 'envoy',
      method: req.method,
      target: req.url.slice(pathPrefix.length),
      forwardedHost: undefined,
    }
  }
  const nginxUri = first(h, 'x-original-uri')
  if (nginxUri !== undefined) {
    return {
      flavor: 'nginx',
      method: first(h, 'x-original-method') ?? req.method,
      target: nginxUri,
      forwardedHost: first(h, 'x-forwarded-host'),
    }
  }
  const traefikUri = first(h, 'x-forwarded-uri')
  if (traefikUri !== undefined) {
    return {
      flavor: 'traefik',
      method: first(h, 'x-forwarded-method') ?? req.method,
      target: traefikUri,
      forwardedHost: first(h, 'x-forwarded-host'),
    }
  }
  if (pathPrefix !== undefined) return undefined
  return { flavor: 'envoy', method: req.method, target: req.url, forwardedHost: undefined }
}

/**
 * Headers that say which request is being asked about, or from where: each must come at most once.
 * With two copies the first would decide here while another reader (the upstream, a log) may take
 * the last, so a request could be authorized as one thing and served as another.
 */
const SINGLE_VALUED = [
  'host',
  'x-original-uri',
  'x-original-method',
  'x-original-content-length',
  'x-original-transfer-encoding',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
] as const

function repeatedSingleValued(headers: HttpAuthSubrequest['headers']): string | undefined {
  for (const name of SINGLE_VALUED) {
    const v = headers[name]
    if (v !== undefined && v.length > 1) return name
  }
  return undefined
}

export function fromHttpRequest(
  req: HttpAuthSubrequest,
  options: HttpTranslateOptions = {},
  nowMs: number = Date.now(),
): HttpParseResult {
  const limits = options.limits ?? DEFAULT_REQUEST_LIMITS
  const requestId = pickRequestId(first(req.headers, 'x-request-id'))
  const repeated = repeatedSingleValued(req.headers)
  if (repeated !== undefined) {
    return {
      ok: false,
      code: 'ERR_REQUEST_MALFORMED',
      detail: `${repeated} sent more than once`,
      requestId,
      flavor: undefined,
    }
  }
  const orig = original(req, options.pathPrefix)
  if (orig === undefined) {
    return {
      ok: false,
      code: 'ERR_REQUEST_MALFORMED',
      detail: 'not under pathPrefix and no X-Original-URI / X-Forwarded-Uri',
      requestId,
      flavor: undefined,
    }
  }
  const { flavor } = orig
  const fail = (
    code: 'ERR_REQUEST_MALFORMED' | 'ERR_REQUEST_TOO_LARGE' | 'ERR_REQUEST_INVALID_PATH',
    detail: string,
  ): HttpParseResult => ({
    ok: false,
    code,
    detail,
    requestId,
    flavor,
  })

  const names = Object.keys(req.headers)
  if (names.length > limits.maxHeaderCount) return fail('ERR_REQUEST_TOO_LARGE', 'too many headers')
  const headers = new Map<string, string>()
  let bytes = 0
  for (const name of names) {
    if (HOP_BY_HOP.has(name)) continue
    const values = req.headers[name]
    if (values === undefined) continue
    const value = values.join(',')
    bytes += name.length + value.length
    if (bytes > limits.maxHeaderBytes)
      return fail('ERR_REQUEST_TOO_LARGE', 'headers over maxHeaderBytes')
    headers.set(name, value)
  }

  // As sent: methods are case-sensitive (RFC 9110 §9.1), so `get` matches no route.
  const method = orig.method
  if (!METHOD_TOKEN.test(method)) return fail('ERR_REQUEST_MALFORMED', 'invalid original method')
  const target = splitTarget(orig.target)
  if (target === null) return fail('ERR_REQUEST_INVALID_PATH', 'unusable original URI')

  if (flavor === 'nginx') {
    // The subrequest's own framing headers describe the (bodiless) subrequest; what the original
    // request carried, nginx tells us in these. Absent → the original had no framing headers.
    headers.delete('content-length')
    const length = first(req.headers, 'x-original-content-length')?.trim()
    if (length !== undefined && length !== '') {
      if (!/^\d{1,15}$/.test(length))
        return fail('ERR_REQUEST_MALFORMED', 'invalid X-Original-Content-Length')
      headers.set('content-length', length)
    }
    const te = first(req.headers, 'x-original-transfer-encoding')?.trim()
    if (te !== undefined && te !== '') headers.set('transfer-encoding', te)
  }

  const authority = orig.forwardedHost ?? first(req.headers, 'host') ?? ''
  const host = hostFromAuthority(authority)
  if (host === undefined) {
    return fail('ERR_REQUEST_INVALID_PATH', 'authority is not a plain host[:port]')
  }
  // The proxy's subrequest Host is usually the auth service; signatures cover the original one.
  if (authority !== '') headers.set('host', authority)

  const trusted = options.trustedProxies ?? TRUST_NONE
  const peer = normalizeIp(req.peerAddress)
  const peerTrusted = peer !== undefined && trusted(peer)
  const sourceIp = clientIp(req, peer, trusted, peerTrusted)
  if (sourceIp === null)
    return fail('ERR_REQUEST_MALFORMED', 'forwarded client address is not an IP')

  const body = req.body !== undefined && req.body.length > 0 ? req.body : undefined
  if (body !== undefined && body.length > limits.maxBodyBytes) {
    return fail('ERR_REQUEST_TOO_LARGE', 'body over maxBodyBytes')
  }

  const request: RequestContext = {
    requestId,
    method,
    path: target.path,
    rawQuery: target.rawQuery,
    authority,
    host,
    scheme: scheme(req.headers, peerTrusted),
    protocol: `HTTP/${req.httpVersion}`,
    headers,
    body,
    bodyPartial: headers.get('x-envoy-auth-partial-body') === 'true',
    sourceIp,
    // No mTLS identity crosses an HTTP auth subrequest.
    sourcePrincipal: undefined,
    contextExtensions: new Map(),
    timeMs: nowMs,
  }
  return { ok: true, request, flavor }
}
