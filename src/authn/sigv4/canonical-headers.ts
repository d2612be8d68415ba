/**
 * The SigV4 canonical headers block: one `name:value\n` line per signed header, values trimmed
 * and inner whitespace runs folded to one space.
 *
 * @module
 */
import type { RequestContext } from '../../request/request-context.js'

/** What header canonicalisation reads from a request. */
export type HeaderSource = Pick<RequestContext, 'headers' | 'authority'>

/** Trim, and fold every whitespace run (including obs-fold line breaks) into one space. */
export function canonicalHeaderValue(value: string): string {
  return isCanonicalValue(value) ? value : value.trim().replace(/\s+/g, ' ')
}

/**
 * True when trimming and folding would change nothing: printable ASCII only, no leading or
 * trailing space, no two spaces in a row. Anything else (tabs, line breaks, non-ASCII, which may
 * be Unicode whitespace) takes the general path.
 */
function isCanonicalValue(value: string): boolean {
  const last = value.length - 1
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x20) {
      if (i === 0 || i === last || value.charCodeAt(i - 1) === 0x20) return false
    } else if (c < 0x20 || c > 0x7e) {
      return false
    }
  }
  return true
}

/**
 * @param signedHeaders the `SignedHeaders` list as the client sent it (lower-case, sorted by a
 * compliant signer; used in the given order, as the signer used it). A signed header missing
 * from the request contributes an empty value, so the signature simply fails to match.
 * @param lowerCaseNames the same names lower-cased, when the caller has them (the verifier does),
 * to look the values up without lower-casing each name again.
 *
 * `host` (and HTTP/2 `:authority`) come from `RequestContext.authority`, because Envoy turns
 * `Host` into the `:authority` pseudo-header and the headers map carries no pseudo-headers.
 * Repeated headers are already joined with `,` in the order received (RequestContext contract),
 * which is what SigV4 wants.
 */
export function canonicalHeaders(
  req: HeaderSource,
  signedHeaders: readonly string[],
  lowerCaseNames: readonly string[] = signedHeaders.map((name) => name.toLowerCase()),
): string {
  let block = ''
  for (let i = 0; i < signedHeaders.length; i++) {
    const lower = lowerCaseNames[i] as string
    const value =
      lower === 'host' || lower === ':authority' ? req.authority : req.headers.get(lower)
    block += (signedHeaders[i] as string) + ':' + canonicalHeaderValue(value ?? '') + '\n'
  }
  return block
}
