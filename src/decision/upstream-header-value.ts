/**
 * How an identity value (principal, authorizer context value, JWT claim) becomes an upstream header
 * value, losslessly, whatever characters it holds (docs/upstream-headers.md).
 *
 * A value of visible ASCII and inner spaces is sent as it is. Any other value is sent as an
 * RFC 8187 ext-value: the prefix `UTF-8''`, then its UTF-8 bytes with every byte outside RFC 8187's
 * attr-char percent-encoded (`%XX`, upper-case hex). "Other" means: a character outside
 * U+0020-U+007E (non-ASCII, controls, tab), a leading or trailing space (HTTP strips those), or a
 * value that itself begins with `utf-8'` in any letter case. The last rule keeps the two forms
 * apart: a plain value never begins with the prefix, so an identity chosen by a user (a claim set
 * to `UTF-8''%41dmin`) arrives encoded again and decodes to exactly what the user chose. A plain
 * value may contain `%`: only the prefix says that a value is encoded.
 *
 * Why not send non-ASCII as it is: header values are bytes; gRPC carries our strings as UTF-8
 * while node's HTTP server writes them as Latin-1 and refuses anything above U+00FF, so the same
 * name would reach the upstream as different bytes, or not at all.
 *
 * @module
 */

/** What begins every encoded value. */
export const ENCODED_PREFIX = "UTF-8''"

/** RFC 8187 attr-char, by byte: the bytes an encoded value keeps as they are. */
const ATTR_CHAR = new Uint8Array(128)
for (const c of '!#$&+-.^_`|~') ATTR_CHAR[c.charCodeAt(0)] = 1
for (let c = 0x30; c <= 0x39; c++) ATTR_CHAR[c] = 1
for (let c = 0x41; c <= 0x5a; c++) ATTR_CHAR[c] = 1
for (let c = 0x61; c <= 0x7a; c++) ATTR_CHAR[c] = 1

const HEX = '0123456789ABCDEF'

/** True when `value` can be sent as it is (see the module comment). */
export function isPlainHeaderValue(value: string): boolean {
  const n = value.length
  if (n === 0) return true
  if (value.charCodeAt(0) === 0x20 || value.charCodeAt(n - 1) === 0x20) return false
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return false
  }
  return !(n >= 6 && value.slice(0, 6).toLowerCase() === "utf-8'")
}

/**
 * The header value for an identity value: itself when plain, else `UTF-8''` and its percent-encoded
 * UTF-8. Unpaired UTF-16 surrogates (possible in JSON strings) are sent as U+FFFD, the only loss.
 */
export function encodeUpstreamHeaderValue(value: string): string {
  if (isPlainHeaderValue(value)) return value
  let out = ENCODED_PREFIX
  for (const b of Buffer.from(value, 'utf8')) {
    if (b < 0x80 && ATTR_CHAR[b] === 1) out += String.fromCharCode(b)
    else out += `%${HEX[b >> 4] ?? ''}${HEX[b & 15] ?? ''}`
  }
  return out
}

/**
 * The identity value an upstream header value stands for (the upstream's side of the encoding,
 * here for tests and for JavaScript upstreams). Throws URIError on an encoded value that is not
 * percent-encoded UTF-8: Portcullis never sends one.
 */
export function decodeUpstreamHeaderValue(header: string): string {
  if (!header.startsWith(ENCODED_PREFIX)) return header
  const bytes = header.slice(ENCODED_PREFIX.length)
  // decodeURIComponent decodes %XX as UTF-8 and rejects invalid sequences; attr-chars pass as is.
  return decodeURIComponent(bytes)
}
