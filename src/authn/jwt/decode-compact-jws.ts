/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting it: strict base64url, JSON
 * objects only, bounded size, and the protected-header rules every later step relies on.
 *
 * @module
 */
import type { JwsAlgorithm } from './jws-algorithms.js'
import { isJwsAlgorithm } from './jws-algorithms.js'
import type { JwtErrorCode } from './jwt-result.js'

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
}

export type DecodeResult =
  | { readonly ok: true; readonly jws: DecodedJws }
  | { readonly ok: false; readonly code: JwtErrorCode; readonly description: string }

const BASE64URL = /^[A-Za-z0-9_-]*$/
// One decoder for the process: `fatal` makes invalid UTF-8 an error instead of U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true })

function fail(code: JwtErrorCode, description: string): DecodeResult {
  return { ok: false, code, description }
}

/** Decodes base64url strictly: no padding, no foreign characters, no non-canonical tail bits. */
function decodeSegment(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  // Node ignores non-zero trailing bits; re-encoding catches the malleable variants.
  if (bytes.toString('base64url') !== segment) return undefined
  return bytes
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(UTF8.decode(bytes))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/**
 * Decodes `token` (already stripped of any `Bearer ` prefix). Refuses: more or fewer than three
 * segments (JWE has five), empty signature, `alg` outside the allow-list (so `none` and `HS*` never
 * reach a key), any `crit` header (we implement no extensions, RFC 7515 §4.1.11), `b64`.
 * Header-supplied keys (`jwk`, `jku`, `x5u`, `x5c`) are ignored: keys only ever come from the
 * configured issuer's JWKS.
 */
export function decodeCompactJws(token: string): DecodeResult {
  if (token.length > MAX_TOKEN_BYTES) return fail('ERR_JWT_TOO_LARGE', 'the token is too large')
  const parts = token.split('.')
  if (parts.length !== 3) return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  const [h, p, s] = parts as [string, string, string]
  if (h.length === 0 || p.length === 0 || s.length === 0) {
    return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  }
  const headerBytes = decodeSegment(h)
  const payloadBytes = decodeSegment(p)
  const signature = decodeSegment(s)
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) {
    return fail('ERR_JWT_MALFORMED', 'the token is malformed')
  }
  const header = parseObject(headerBytes)
  if (header === undefined) return fail('ERR_JWT_MALFORMED', 'the token header is malformed')
  const alg = header['alg']
  if (typeof alg !== 'string' || !isJwsAlgorithm(alg)) {
    return fail('ERR_JWT_ALG_NOT_ALLOWED', 'the token signing algorithm is not supported')
  }
  if ('crit' in header || 'b64' in header) {
    return fail('ERR_JWT_MALFORMED', 'the token uses unsupported header extensions')
  }
  const kid = header['kid']
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    return fail('ERR_JWT_MALFORMED', 'the token header is malformed')
  }
  const payload = parseObject(payloadBytes)
  if (payload === undefined) return fail('ERR_JWT_MALFORMED', 'the token payload is malformed')
  return {
    ok: true,
    jws: {
      alg,
      kid,
      signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
      signature,
      payload,
    },
  }
}
