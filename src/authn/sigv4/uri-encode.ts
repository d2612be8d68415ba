/**
 * SigV4 `UriEncode` and the matching byte-level percent-decoding: the only escaping rules the
 * canonical URI and canonical query use.
 *
 * @module
 */

const HEX_UPPER = '0123456789ABCDEF'

/** `A-Z a-z 0-9 - _ . ~`: the RFC 3986 unreserved set, the only bytes SigV4 never escapes. */
const UNRESERVED: readonly boolean[] = (() => {
  const table = new Array<boolean>(256).fill(false)
  for (let b = 0; b < 256; b++) {
    const c = String.fromCharCode(b)
    table[b] = /^[A-Za-z0-9\-_.~]$/.test(c)
  }
  return table
})()

/**
 * Percent-encodes every byte of `input` (UTF-8 for strings) outside the unreserved set, with
 * upper-case hex; `/` is kept only when `keepSlash` (canonical URI), never in query names/values.
 */
export function uriEncode(input: string | Uint8Array, keepSlash: boolean): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  // Runs of bytes that stay as they are are copied with one slice each (they are ASCII, so
  // latin1 decoding is exact), not one string concatenation per byte.
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let out = ''
  let runStart = 0
  for (let i = 0; i < buffer.length; i++) {
    const b = buffer[i] as number
    if (UNRESERVED[b] === true || (keepSlash && b === 0x2f)) continue
    if (i > runStart) out += buffer.toString('latin1', runStart, i)
    out += ESCAPES[b] as string
    runStart = i + 1
  }
  if (runStart === 0) return buffer.toString('latin1')
  if (buffer.length > runStart) out += buffer.toString('latin1', runStart, buffer.length)
  return out
}

/** `%XX` (upper-case hex) for every byte value. */
const ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => '%' + HEX_UPPER.charAt(b >> 4) + HEX_UPPER.charAt(b & 0x0f),
)

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  if (code >= 0x41 && code <= 0x46) return code - 0x37
  if (code >= 0x61 && code <= 0x66) return code - 0x57
  return -1
}

/**
 * Decodes `%XX` escapes to raw bytes (no UTF-8 interpretation, so any byte sequence round-trips
 * through {@link uriEncode}). With `plusIsSpace`, `+` decodes to a space (form encoding, which is
 * how query strings are read). Returns undefined on an invalid or truncated escape: a verifier
 * must not guess what an ambiguous escape meant.
 */
export function percentDecode(input: string, plusIsSpace: boolean): Buffer | undefined {
  // Fast path: nothing to decode.
  if (!input.includes('%') && !(plusIsSpace && input.includes('+'))) {
    return Buffer.from(input, 'utf8')
  }
  const raw = Buffer.from(input, 'utf8')
  const out = Buffer.allocUnsafe(raw.length)
  let n = 0
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number
    if (b === 0x25) {
      const hi = i + 2 < raw.length ? hexValue(raw[i + 1] as number) : -1
      const lo = i + 2 < raw.length ? hexValue(raw[i + 2] as number) : -1
      if (hi < 0 || lo < 0) return undefined
      out[n++] = (hi << 4) | lo
      i += 2
    } else if (plusIsSpace && b === 0x2b) {
      out[n++] = 0x20
    } else {
      out[n++] = b
    }
  }
  return out.subarray(0, n)
}
