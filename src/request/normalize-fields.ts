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
 * Host name from an authority: lower-cased, userinfo and port stripped. IPv6 literals keep their
 * brackets (`[::1]:8443` → `[::1]`, as WHATWG URL `hostname` does) so the port split never cuts an
 * address. Returns `''` for anything unusable; an empty host never matches an API's `hosts[]`.
 */
export function hostFromAuthority(authority: string): string {
  let a = authority.trim()
  const at = a.lastIndexOf('@')
  if (at !== -1) a = a.slice(at + 1)
  if (a.startsWith('[')) {
    const end = a.indexOf(']')
    if (end === -1) return ''
    const rest = a.slice(end + 1)
    if (rest !== '' && !/^:\d{0,5}$/.test(rest)) return ''
    return a.slice(0, end + 1).toLowerCase()
  }
  const colon = a.indexOf(':')
  if (colon !== -1) {
    if (!/^\d{0,5}$/.test(a.slice(colon + 1))) return ''
    a = a.slice(0, colon)
  }
  return a.toLowerCase()
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
