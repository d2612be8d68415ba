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
  const kept = options.dropSignature ? params.filter((p) => p.name !== 'X-Amz-Signature') : params
  return kept
    .map((p) => [p.encodedName, p.encodedValue] as const)
    .sort((a, b) => compareAscii(a[0], b[0]) || compareAscii(a[1], b[1]))
    .map(([n, v]) => `${n}=${v}`)
    .join('&')
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
