/**
 * The SigV4 canonical query string: names and values decoded, re-encoded with `UriEncode`,
 * sorted by name then value (byte order), `name=` for a valueless parameter.
 *
 * @module
 */
import { percentDecode, uriEncode } from './uri-encode.js'

/** One query parameter, decoded (`+` read as space, `%XX` as bytes). */
export interface QueryParameter {
  readonly name: string
  readonly value: string
  /** `name` re-encoded as the canonical query needs it. */
  readonly encodedName: string
  readonly encodedValue: string
}

/**
 * Splits a raw query (no leading `?`) into decoded parameters in wire order; empty pieces
 * (`a=1&&b=2`) are skipped. Returns undefined when an escape is invalid (`%zz`, truncated `%4`).
 */
export function parseQuery(rawQuery: string): QueryParameter[] | undefined {
  const params: QueryParameter[] = []
  if (rawQuery === '') return params
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue
    const eq = piece.indexOf('=')
    const rawName = eq < 0 ? piece : piece.slice(0, eq)
    const rawValue = eq < 0 ? '' : piece.slice(eq + 1)
    // Fast path: only unreserved characters, so decoding and re-encoding are both the identity.
    if (isUnreserved(rawName) && isUnreserved(rawValue)) {
      params.push({ name: rawName, value: rawValue, encodedName: rawName, encodedValue: rawValue })
      continue
    }
    const name = percentDecode(rawName, true)
    const value = percentDecode(rawValue, true)
    if (name === undefined || value === undefined) return undefined
    params.push({
      name: name.toString('utf8'),
      value: value.toString('utf8'),
      encodedName: uriEncode(name, false),
      encodedValue: uriEncode(value, false),
    })
  }
  return params
}

/** True when every character is in `A-Z a-z 0-9 - _ . ~`. */
function isUnreserved(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!(
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e
    )) {
      return false
    }
  }
  return true
}

export interface CanonicalQueryOptions {
  /** Presigned form: leave `X-Amz-Signature` out (it cannot sign itself). */
  readonly dropSignature: boolean
}

function compareAscii(a: string, b: string): number {
  // Encoded strings are pure ASCII, so UTF-16 code-unit order is byte order.
  return a < b ? -1 : a > b ? 1 : 0
}

/** Builds the canonical query from already parsed parameters. */
export function canonicalQueryFromParams(
  params: readonly QueryParameter[],
  options: CanonicalQueryOptions,
): string {
  const kept: QueryParameter[] = []
  for (const p of params) {
    if (!(options.dropSignature && p.name === 'X-Amz-Signature')) kept.push(p)
  }
  if (kept.length > INSERTION_SORT_MAX) {
    kept.sort(compareParams)
  } else {
    // Typical queries are short: an in-place insertion sort beats the generic sort's set-up.
    // Both are stable, so the order is the same either way.
    for (let i = 1; i < kept.length; i++) {
      const p = kept[i] as QueryParameter
      let j = i
      while (j > 0 && compareParams(kept[j - 1] as QueryParameter, p) > 0) {
        kept[j] = kept[j - 1] as QueryParameter
        j--
      }
      kept[j] = p
    }
  }
  let out = ''
  for (let i = 0; i < kept.length; i++) {
    const p = kept[i] as QueryParameter
    out += i === 0 ? `${p.encodedName}=${p.encodedValue}` : `&${p.encodedName}=${p.encodedValue}`
  }
  return out
}

/** Above this many parameters, quadratic insertion sort would cost more than it saves. */
const INSERTION_SORT_MAX = 16

function compareParams(a: QueryParameter, b: QueryParameter): number {
  return compareAscii(a.encodedName, b.encodedName) || compareAscii(a.encodedValue, b.encodedValue)
}

/**
 * @param rawQuery query as received, without `?` (`''` when absent).
 * @returns the canonical query string, or undefined when the query has an invalid escape.
 */
export function canonicalQuery(
  rawQuery: string,
  options: CanonicalQueryOptions,
): string | undefined {
  const params = parseQuery(rawQuery)
  return params === undefined ? undefined : canonicalQueryFromParams(params, options)
}
