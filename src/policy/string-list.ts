/** Reading policy elements that are "a string or a list of strings", with path-located errors. @module */
import { indexPath } from './json-path.js'
import type { PolicyError } from './types.js'

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `"x"` or `["x", "y"]` → entries with their own paths; anything else is an error at `path`. */
export function stringList(
  raw: unknown,
  path: string,
  errors: PolicyError[],
): { value: string; path: string }[] {
  if (typeof raw === 'string') return [{ value: raw, path }]
  if (!Array.isArray(raw)) {
    errors.push({ path, message: 'must be a string or a list of strings' })
    return []
  }
  if (raw.length === 0) errors.push({ path, message: 'must not be an empty list' })
  const out: { value: string; path: string }[] = []
  raw.forEach((item, i) => {
    if (typeof item === 'string') out.push({ value: item, path: indexPath(path, i) })
    else errors.push({ path: indexPath(path, i), message: 'must be a string' })
  })
  return out
}
