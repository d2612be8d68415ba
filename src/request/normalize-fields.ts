/**
 * Field normalisation shared by the gRPC and HTTP request translators: request-target split and
 * validation, authority → host, client IP normalisation, request id bounds.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { canonicalIp } from '../lib/ip-address.js'

/** The request target split at the first `?`, or null when it is not a usable origin-form path. */
export interface SplitTarget {
  readonly path: string
  readonly rawQuery: string
}

/**
 * Splits `path?query` and rejects targets no conforming proxy forwards: anything not starting with
 * `/` (absolute-form, asterisk-form, empty), and any byte outside visible ASCII (controls, space,
 * DEL, non-ASCII). A fragment is cut off: it is never part of what a server receives. Dot segments
 * and percent-escapes are left for the decider, which answers AWS's 400 `Invalid request path`.
 */
export function splitTarget(target: string): SplitTarget | null {
  if (target.length === 0 || target.charCodeAt(0) !== 0x2f) return null
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return null
  }
  const hash = target.indexOf('#')
  const t = hash === -1 ? target : target.slice(0, hash)
  const q = t.indexOf('?')
  return q === -1 ? { path: t, rawQuery: '' } : { path: t.slice(0, q), rawQuery: t.slice(q + 1) }
}

/**
 * `host[:port]` as RFC 3986 allows it in an HTTP authority, ASCII only: an IP-literal in brackets,
 * or a reg-name / IPv4 address (unreserved, sub-delims, percent-escapes), then an optional port.
 * No userinfo: RFC 9110 §4.2.4 has recipients treat it as an error.
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?$/

/**
 * Host name from an authority: lower-cased, port stripped; IPv6 literals keep their brackets
 * (`[::1]:8443` → `[::1]`, as WHATWG URL `hostname` does). `''` when there is no authority (it
 * matches no API's `hosts[]`). Undefined when the authority is not a plain `host[:port]`: userinfo
 * (`evil@host`) or any character outside ASCII. Such an authority is refused, never repaired:
 * stripping userinfo, or lower-casing non-ASCII (`\u212Aiosk.example.com` becomes
 * `kiosk.example.com`), would match an API's host that the proxy and the upstream never saw.
 */
export function hostFromAuthority(authority: string): string | undefined {
  if (authority === '') return ''
  if (!AUTHORITY.test(authority)) return undefined
  const end = authority.charCodeAt(0) === 0x5b ? authority.indexOf(']') + 1 : authority.indexOf(':')
  // Only ASCII is left, whose lower-casing maps A-Z and nothing else.
  return (end <= 0 ? authority : authority.slice(0, end)).toLowerCase()
}

/**
 * A textual IP in canonical form (IPv4 dotted quad, IPv6 RFC 5952, IPv4-mapped IPv6 unwrapped to
 * IPv4, zone id dropped), or undefined when `raw` is not an IP literal. The rule (which IPv6
 * addresses are IPv4 peers) lives in one place, shared with every other address parser.
 */
export function normalizeIp(raw: string | undefined): string | undefined {
  return canonicalIp(raw)
}

const MAX_REQUEST_ID_LENGTH = 128

/**
 * The request id to use: the first non-empty candidate, truncated to 128 characters and limited to
 * visible ASCII (it is client-influenced and goes into logs and Envoy metadata); else a UUID.
 */
export function pickRequestId(...candidates: (string | undefined)[]): string {
  for (const c of candidates) {
    if (c === undefined || c === '') continue
    const cut = c.length > MAX_REQUEST_ID_LENGTH ? c.slice(0, MAX_REQUEST_ID_LENGTH) : c
    if (/^[\x21-\x7e]+$/.test(cut)) return cut
  }
  return randomUUID()
}
