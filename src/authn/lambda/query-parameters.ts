/**
 * Query-string parsing for authorizer events and identity sources: ordered name → values, decoded
 * the way `application/x-www-form-urlencoded` does (URLSearchParams never throws on bad escapes,
 * it keeps them literally).
 *
 * @module
 */

/** Names in first-seen order, each with every value in order received. */
export type QueryParameters = ReadonlyMap<string, readonly string[]>

export function parseQueryParameters(rawQuery: string): QueryParameters {
  const out = new Map<string, string[]>()
  if (rawQuery === '') return out
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const list = out.get(name)
    if (list === undefined) out.set(name, [value])
    else list.push(value)
  }
  return out
}

/** REST `queryStringParameters`: the last value of a repeated parameter (AWS proxy event rule). */
export function lastValues(q: QueryParameters): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, values] of q) {
    const last = values[values.length - 1]
    if (last !== undefined) out[name] = last
  }
  return out
}

/** HTTP API payload 2.0 `queryStringParameters`: repeated values joined with commas. */
export function commaJoinedValues(q: QueryParameters): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, values] of q) out[name] = values.join(',')
  return out
}

/** REST `multiValueQueryStringParameters`. */
export function multiValues(q: QueryParameters): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, values] of q) out[name] = [...values]
  return out
}
