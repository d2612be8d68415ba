/**
 * Header lists checked once, then trusted by identity: the rule "the same frozen header array is
 * already validated and already encoded" as a type. `sealHeaders` is the one way to make a
 * ValidatedHeaders: it checks every entry against the wire rules below and freezes the list and its
 * entries, so nothing can change it afterwards. The outcome validator skips such a list, and the
 * encoder caches its bytes per list; every other list is checked and encoded on each request.
 * Flows and caches hand out the same sealed list for every request of an identity, which is what
 * makes the two caches pay.
 *
 * @module
 */
import type { HeaderEntry } from './check-outcome.js'

/** RFC 9110 token: header names. We require lower case, as HeaderEntry documents. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/
/**
 * RFC 9110 field-value without obs-text: visible ASCII, space, tab. Not obs-text either: gRPC
 * would send such a character as UTF-8 and the HTTP server as one Latin-1 byte, so the upstream
 * could not tell which. Identity values beyond ASCII arrive here already encoded
 * (upstream-header-value.ts).
 */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/
export const MAX_HEADERS = 128

declare const sealed: unique symbol
/** A header list that passed headerListProblem and cannot change: see the module comment. */
export type ValidatedHeaders = readonly HeaderEntry[] & { readonly [sealed]: true }

const SEALED = new WeakSet<readonly unknown[]>()

/** Why `headers` (of outcome field `what`) cannot be sent, or undefined. */
export function headerListProblem(headers: readonly unknown[], what: string): string | undefined {
  if (headers.length > MAX_HEADERS) return `${what} has more than ${MAX_HEADERS} entries`
  for (const h of headers) {
    if (typeof h !== 'object' || h === null) return `${what} entry is not an object`
    const { name, value } = h as { name?: unknown; value?: unknown }
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) return `${what} has an invalid name`
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      return `${what} ${name} has an invalid value`
    }
  }
  return undefined
}

/**
 * The list as ValidatedHeaders: a frozen copy of each entry in a frozen array. Throws on a list
 * that breaks the rules: a bug of the code building it, which the server answers with a 500 deny.
 */
export function sealHeaders(headers: readonly HeaderEntry[]): ValidatedHeaders {
  const list = Object.freeze(headers.map((h) => Object.freeze({ name: h.name, value: h.value })))
  const problem = headerListProblem(list, 'headers')
  if (problem !== undefined) throw new Error(`cannot seal header list: ${problem}`)
  SEALED.add(list)
  return list as unknown as ValidatedHeaders
}

/** True for a list made by sealHeaders (whatever static type it travels under). */
export function isValidatedHeaders(headers: unknown): headers is ValidatedHeaders {
  return Array.isArray(headers) && SEALED.has(headers)
}
