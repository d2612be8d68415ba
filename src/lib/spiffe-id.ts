/**
 * SPIFFE ids parsed by the SPIFFE-ID standard, and nothing looser: scheme `spiffe` (lower case),
 * then a trust domain of `[a-z0-9._-]` (at most 255 bytes; so no userinfo, no port, no upper
 * case, no percent-encoding), then an optional path of `/`-separated segments of
 * `[a-zA-Z0-9._-]` that are neither empty nor `.` / `..` (so no trailing slash, no query, no
 * fragment, no escapes). At most 2048 bytes in all. Anything else is not a SPIFFE id.
 *
 * A hand-written scan rather than `URL` or a regular expression: one pass, no allocation beyond
 * the two slices returned, and no URL parser's normalisation (lower-casing, dot-segment removal,
 * userinfo splitting) that would turn a malformed id into a well-formed one.
 *
 * @module
 */

export interface SpiffeId {
  /** The trust domain name, e.g. `cluster.local`. */
  readonly trustDomain: string
  /** The path, `''` or starting with `/`, e.g. `/ns/web/sa/frontend`. */
  readonly path: string
}

export const SPIFFE_ID_MAX_LENGTH = 2048
export const TRUST_DOMAIN_MAX_LENGTH = 255

const PREFIX = 'spiffe://'

/** `[a-z0-9._-]`: the trust domain alphabet. */
function isTrustDomainChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x5f
  )
}

/** `[a-zA-Z0-9._-]`: the path segment alphabet. */
function isPathChar(c: number): boolean {
  return isTrustDomainChar(c) || (c >= 0x41 && c <= 0x5a)
}

/** True for a valid trust domain name (as `--trust-domains` lists them). */
export function isTrustDomainName(name: string): boolean {
  if (name.length === 0 || name.length > TRUST_DOMAIN_MAX_LENGTH) return false
  for (let i = 0; i < name.length; i++) if (!isTrustDomainChar(name.charCodeAt(i))) return false
  return true
}

/** The id's trust domain and path, or undefined when `text` is not a valid SPIFFE id. */
export function parseSpiffeId(text: string): SpiffeId | undefined {
  if (text.length > SPIFFE_ID_MAX_LENGTH || !text.startsWith(PREFIX)) return undefined
  let i = PREFIX.length
  while (i < text.length && text.charCodeAt(i) !== 0x2f /* / */) {
    if (!isTrustDomainChar(text.charCodeAt(i))) return undefined
    i++
  }
  const tdEnd = i
  if (tdEnd === PREFIX.length || tdEnd - PREFIX.length > TRUST_DOMAIN_MAX_LENGTH) return undefined
  // Path: each segment is `/` then one or more path characters, and not `.` or `..`.
  while (i < text.length) {
    const start = ++i // past the `/`
    while (i < text.length && text.charCodeAt(i) !== 0x2f) {
      if (!isPathChar(text.charCodeAt(i))) return undefined
      i++
    }
    const len = i - start
    if (len === 0) return undefined
    if (
      text.charCodeAt(start) === 0x2e &&
      (len === 1 || (len === 2 && text.charCodeAt(start + 1) === 0x2e))
    ) {
      return undefined
    }
  }
  return { trustDomain: text.slice(PREFIX.length, tdEnd), path: text.slice(tdEnd) }
}
