/**
 * Reading and checking the SigV4 request time: ISO 8601 basic form from `X-Amz-Date`, or an HTTP
 * `Date` header, the ±5 minute header window and the presigned `X-Amz-Expires` window.
 *
 * @module
 */
import { SIGV4_MESSAGES, sigV4Failure, type SigV4Failure } from './sigv4-result.js'

/** RFC 9110 IMF-fixdate, the only `Date` form HTTP/1.1 senders generate. */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

/** Longest presigned validity AWS allows (7 days). */
export const MAX_EXPIRES_SECONDS = 604_800

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** `20150830T123600Z` for an epoch-ms instant (seconds precision, UTC). */
export function formatAmzDate(ms: number): string {
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  return `${y < 1000 ? String(y).padStart(4, '0') : String(y)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`
}

/** The number written by the ASCII digits `value[start, end)`, or -1 if any is not a digit. */
function digitsAt(value: string, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const d = value.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Parses ISO 8601 basic form (`YYYYMMDDTHHMMSSZ`, ASCII digits only) strictly, as a real calendar
 * instant; undefined if invalid. Read with char codes rather than a capturing regex: this runs on
 * every signed request.
 */
export function parseAmzDate(value: string): number | undefined {
  if (value.length !== 16 || value.charCodeAt(8) !== 0x54 || value.charCodeAt(15) !== 0x5a) {
    return undefined
  }
  const y = digitsAt(value, 0, 4)
  const mo = digitsAt(value, 4, 6)
  const d = digitsAt(value, 6, 8)
  const h = digitsAt(value, 9, 11)
  const mi = digitsAt(value, 11, 13)
  const s = digitsAt(value, 13, 15)
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined
  // Reject roll-overs such as month 13, Feb 30 or 25:00 that Date.UTC would silently normalise,
  // and years 0-99, which Date.UTC reads as 1900-1999 (checked numerically, no Date object).
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined
  if (d > (mo === 2 ? (isLeapYear(y) ? 29 : 28) : (DAYS_IN_MONTH[mo - 1] as number))) {
    return undefined
  }
  return Date.UTC(y, mo - 1, d, h, mi, s)
}

const DAYS_IN_MONTH: readonly number[] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Proleptic Gregorian leap year, as Date uses. */
function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
}

export type TimestampResult =
  | { readonly ok: true; readonly amzDate: string; readonly ms: number }
  | { readonly ok: false; readonly failure: SigV4Failure }

/**
 * @param source where the value came from; a `Date` header is converted to the basic form that
 * the string to sign and the scope-date comparison use.
 */
export function readTimestamp(
  source: 'x-amz-date' | 'date' | 'query',
  value: string,
): TimestampResult {
  if (source === 'date' && IMF_FIXDATE.test(value)) {
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) return { ok: true, amzDate: formatAmzDate(ms), ms }
  } else {
    const ms = parseAmzDate(value)
    if (ms !== undefined) return { ok: true, amzDate: value, ms }
  }
  return {
    ok: false,
    failure: sigV4Failure(
      'ERR_SIGV4_MALFORMED_DATE',
      'IncompleteSignatureException',
      SIGV4_MESSAGES.malformedDate(value),
    ),
  }
}

export type ExpiresResult =
  | { readonly ok: true; readonly seconds: number | undefined }
  | { readonly ok: false; readonly failure: SigV4Failure }

function invalidExpires(message: string): ExpiresResult {
  return {
    ok: false,
    failure: sigV4Failure('ERR_SIGV4_INVALID_EXPIRES', 'IncompleteSignatureException', message),
  }
}

/**
 * Validates `X-Amz-Expires`: whole seconds, 1–604800. Absent → undefined. Our bounds where AWS
 * is silent: docs/aws-semantics.md#presigned-url-expiry.
 */
export function readExpires(raw: string | undefined): ExpiresResult {
  if (raw === undefined) return { ok: true, seconds: undefined }
  if (/^-\d+$/.test(raw)) return invalidExpires(SIGV4_MESSAGES.expiresNegative)
  if (!/^\d{1,7}$/.test(raw)) {
    return /^\d+$/.test(raw)
      ? invalidExpires(SIGV4_MESSAGES.expiresTooLarge)
      : invalidExpires(SIGV4_MESSAGES.expiresNotNumber)
  }
  const seconds = Number(raw)
  // Zero would make a URL that is never valid; AWS's range starts at 1.
  if (seconds < 1) return invalidExpires(SIGV4_MESSAGES.expiresNegative)
  if (seconds > MAX_EXPIRES_SECONDS) return invalidExpires(SIGV4_MESSAGES.expiresTooLarge)
  return { ok: true, seconds }
}

function windowText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} sec`
}

/**
 * Header rule: valid within ±skew of now. Presigned with `X-Amz-Expires`: valid until
 * timestamp + expires; it may start up to `skew` early, the same client-clock tolerance as the
 * header rule (a URL signed on a clock a few seconds fast must still work).
 */
export function checkTimeWindow(
  amzDate: string,
  ms: number,
  nowMs: number,
  skewMs: number,
  expiresSeconds: number | undefined,
): SigV4Failure | undefined {
  const pastWindowMs = expiresSeconds === undefined ? skewMs : expiresSeconds * 1000
  if (ms < nowMs - pastWindowMs) {
    return sigV4Failure(
      'ERR_SIGV4_EXPIRED',
      'InvalidSignatureException',
      SIGV4_MESSAGES.expired(
        amzDate,
        formatAmzDate(nowMs - pastWindowMs),
        formatAmzDate(nowMs),
        windowText(pastWindowMs),
      ),
    )
  }
  if (ms > nowMs + skewMs) {
    return sigV4Failure(
      'ERR_SIGV4_NOT_YET_VALID',
      'InvalidSignatureException',
      SIGV4_MESSAGES.notYetCurrent(
        amzDate,
        formatAmzDate(nowMs + skewMs),
        formatAmzDate(nowMs),
        windowText(skewMs),
      ),
    )
  }
  return undefined
}
