/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting it: strict base64url, JSON
 * objects only, bounded size, and the protected-header rules every later step relies on.
 *
 * @module
 */
import { isAscii } from 'node:buffer'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { isJwsAlgorithm } from './jws-algorithms.js'
import type { JwtDeny, JwtErrorCode } from './jwt-result.js'

/**
 * 16 KiB: far above real tokens (Cognito ID tokens with many groups are ~2–4 KiB) and below
 * Envoy's default 60 KiB header limit; longer values are refused before any parsing.
 */
export const MAX_TOKEN_BYTES = 16 * 1024

export interface DecodedJws {
  readonly alg: JwsAlgorithm
  readonly kid: string | undefined
  /** The signing input `BASE64URL(header) '.' BASE64URL(payload)` as ASCII bytes. */
  readonly signingInput: Buffer
  readonly signature: Buffer
  readonly payload: Readonly<Record<string, unknown>>
  /**
   * True when no claim name or string value of the payload can contain a control character (the
   * JSON text has no escape and no DEL), so claim flattening may skip its per-character scan.
   */
  readonly payloadControlFree: boolean
}

/** A refusal is a ready JwtDeny (always 401): callers return it as it is. */
export type DecodeResult = { readonly ok: true; readonly jws: DecodedJws } | JwtDeny

function fail(code: JwtErrorCode, description: string): JwtDeny {
  return Object.freeze({ ok: false, status: 401, code, description })
}

// Refusals are constants: a flood of garbage tokens allocates nothing but the JSON it parses.
const TOO_LARGE = fail('ERR_JWT_TOO_LARGE', 'the token is too large')
const MALFORMED = fail('ERR_JWT_MALFORMED', 'the token is malformed')
const HEADER_MALFORMED = fail('ERR_JWT_MALFORMED', 'the token header is malformed')
const PAYLOAD_MALFORMED = fail('ERR_JWT_MALFORMED', 'the token payload is malformed')
const EXTENSIONS = fail('ERR_JWT_MALFORMED', 'the token uses unsupported header extensions')
const ALG_NOT_ALLOWED = fail(
  'ERR_JWT_ALG_NOT_ALLOWED',
  'the token signing algorithm is not supported',
)

/**
 * Exactly three non-empty segments of base64url characters (no padding, no whitespace): one
 * linear pass (the class excludes '.', so there is nothing to backtrack over).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** base64url character → its 6-bit value (only consulted for characters COMPACT_JWS admitted). */
const B64URL_VALUE = new Uint8Array(128)
for (let i = 0; i < 64; i++) {
  B64URL_VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i
}

/**
 * Whether `s[start, end)` is canonical base64url: a length that encodes whole bytes (never ≡ 1
 * mod 4) and zero unused bits in the last character. Node's decoder ignores those bits, so
 * without this check one signature would have several accepted spellings (malleability).
 */
function canonicalLength(s: string, start: number, end: number): boolean {
  const rem = (end - start) & 3
  if (rem === 0) return true
  if (rem === 1) return false
  const last = B64URL_VALUE[s.charCodeAt(end - 1)] ?? 0xff
  return (last & (rem === 2 ? 0x0f : 0x03)) === 0
}

// `fatal` makes invalid UTF-8 an error instead of U+FFFD; used only for non-ASCII segments.
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** base64url segment → its text, or undefined when the bytes are not valid UTF-8. */
function segmentText(segment: string): string | undefined {
  const bytes = Buffer.from(segment, 'base64url')
  // ASCII (nearly every token) converts byte for byte; anything else goes through the strict
  // UTF-8 decoder, exactly as before the fast path existed.
  if (isAscii(bytes)) return bytes.toString('latin1')
  try {
    return UTF8.decode(bytes)
  } catch {
    return undefined
  }
}

/** JSON text → object, or undefined (not JSON, or not an object). */
function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

interface ProtectedHeader {
  readonly alg: JwsAlgorithm
  readonly kid: string | undefined
}

/**
 * Protected headers already checked, by their base64url text: an issuer signs every token with
 * a handful of identical headers (one per key), so the header's decode, parse and checks run once
 * per key instead of once per token. Only accepted headers are kept; bounded by clearing.
 */
const HEADERS = new Map<string, ProtectedHeader>()
const HEADERS_MAX = 256

function checkHeader(segment: string): ProtectedHeader | JwtDeny {
  const known = HEADERS.get(segment)
  if (known !== undefined) return known
  const header = parseObject(segmentText(segment))
  if (header === undefined) return HEADER_MALFORMED
  const alg = header['alg']
  if (typeof alg !== 'string' || !isJwsAlgorithm(alg)) return ALG_NOT_ALLOWED
  if ('crit' in header || 'b64' in header) return EXTENSIONS
  const kid = header['kid']
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) return HEADER_MALFORMED
  const checked: ProtectedHeader = Object.freeze({ alg, kid })
  if (HEADERS.size >= HEADERS_MAX) HEADERS.clear()
  HEADERS.set(segment, checked)
  return checked
}

/**
 * Decodes `token` (already stripped of any `Bearer ` prefix). Refuses: more or fewer than three
 * segments (JWE has five), empty segments, `alg` outside the allow-list (so `none` and `HS*`
 * never reach a key), any `crit` header (we implement no extensions, RFC 7515 §4.1.11), `b64`.
 * Header-supplied keys (`jwk`, `jku`, `x5u`, `x5c`) are ignored: keys only ever come from the
 * configured issuer's JWKS.
 */
export function decodeCompactJws(token: string): DecodeResult {
  if (token.length > MAX_TOKEN_BYTES) return TOO_LARGE
  if (!COMPACT_JWS.test(token)) return MALFORMED
  const dot1 = token.indexOf('.')
  const dot2 = token.indexOf('.', dot1 + 1)
  if (
    !canonicalLength(token, 0, dot1) ||
    !canonicalLength(token, dot1 + 1, dot2) ||
    !canonicalLength(token, dot2 + 1, token.length)
  ) {
    return MALFORMED
  }
  const header = checkHeader(token.slice(0, dot1))
  if ('ok' in header) return header
  const text = segmentText(token.slice(dot1 + 1, dot2))
  const payload = parseObject(text)
  if (payload === undefined || text === undefined) return PAYLOAD_MALFORMED
  // COMPACT_JWS admitted ASCII only, so latin1 writes the signing input byte for byte. The
  // buffer is pooled memory: if fewer bytes were written, the rest is another request's data.
  const signingInput = Buffer.allocUnsafe(dot2)
  if (signingInput.write(token, 0, dot2, 'latin1') !== dot2) return MALFORMED
  return {
    ok: true,
    jws: {
      alg: header.alg,
      kid: header.kid,
      signingInput,
      signature: Buffer.from(token.slice(dot2 + 1), 'base64url'),
      payload,
      // JSON strings cannot hold raw C0 controls: only escapes (a backslash) or a raw DEL can
      // put a control character into a claim name or value.
      payloadControlFree: text.indexOf('\\') === -1 && text.indexOf('\x7f') === -1,
    },
  }
}
