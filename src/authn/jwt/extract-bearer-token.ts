/**
 * Takes the token out of an identity header value: surrounding whitespace trimmed, an optional
 * case-insensitive `Bearer ` prefix removed, size bounded before any other work.
 *
 * @module
 */
import { MAX_TOKEN_BYTES } from './decode-compact-jws.js'
import type { JwtDeny } from './jwt-result.js'

const MISSING: JwtDeny = Object.freeze({
  ok: false,
  status: 401,
  code: 'ERR_JWT_MISSING',
  description: 'the token is missing',
})
const TOO_LARGE: JwtDeny = Object.freeze({
  ok: false,
  status: 401,
  code: 'ERR_JWT_TOO_LARGE',
  description: 'the token is too large',
})

/** Printable ASCII other than space: String.prototype.trim would leave it in place. */
function visible(c: number): boolean {
  return c > 0x20 && c < 0x7f
}

/**
 * Whether `t` starts with `bearer` in any letter case followed by a space (RFC 7235 §2.1: the
 * scheme is case-insensitive). `c | 0x20` lower-cases ASCII letters and maps no other code unit
 * onto these six letters, so this equals `/^bearer /i` without running a regex.
 */
function bearerPrefixed(t: string): boolean {
  return (
    t.length > 7 &&
    (t.charCodeAt(0) | 0x20) === 0x62 &&
    (t.charCodeAt(1) | 0x20) === 0x65 &&
    (t.charCodeAt(2) | 0x20) === 0x61 &&
    (t.charCodeAt(3) | 0x20) === 0x72 &&
    (t.charCodeAt(4) | 0x20) === 0x65 &&
    (t.charCodeAt(5) | 0x20) === 0x72 &&
    t.charCodeAt(6) === 0x20
  )
}

/**
 * The token in `headerValue`, or the refusal: absent or blank → ERR_JWT_MISSING; longer than
 * MAX_TOKEN_BYTES (checked on the raw value first, before trimming attacker-sized input) →
 * ERR_JWT_TOO_LARGE. AWS accepts the bare token as well as `Bearer <token>`
 * (docs/aws-semantics.md#cognito-tokens).
 */
export function extractBearerToken(headerValue: string | undefined): string | JwtDeny {
  if (headerValue === undefined) return MISSING
  if (headerValue.length > MAX_TOKEN_BYTES + 64) return TOO_LARGE
  // The common value needs no trimming: skip trim()'s copy when both ends are visible ASCII.
  const t =
    headerValue.length > 0 &&
    visible(headerValue.charCodeAt(0)) &&
    visible(headerValue.charCodeAt(headerValue.length - 1))
      ? headerValue
      : headerValue.trim()
  let start = 0
  if (bearerPrefixed(t)) {
    start = 7
    while (t.charCodeAt(start) === 0x20) start++
  }
  const length = t.length - start
  if (length === 0) return MISSING
  if (length > MAX_TOKEN_BYTES) return TOO_LARGE
  return start === 0 ? t : t.slice(start)
}
