/**
 * Checks a Checker's answer before it goes on the wire. A malformed outcome (a decider bug) must
 * become an internal deny: in particular a "deny" with gRPC code 0 or a 2xx status would let Envoy,
 * nginx or Traefik pass the request.
 *
 * @module
 */
/** RFC 9110 token: header names. We require lower case, as HeaderEntry documents. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/
/**
 * RFC 9110 field-value without obs-text: visible ASCII, space, tab. Not obs-text either: gRPC
 * would send such a character as UTF-8 and the HTTP server as one Latin-1 byte, so the upstream
 * could not tell which. Identity values beyond ASCII arrive here already encoded
 * (decision/upstream-header-value.ts).
 */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/
const MAX_HEADERS = 128
const MAX_METADATA = 64

/**
 * Header lists already found valid. Only deeply frozen lists are remembered (they cannot change
 * afterwards): flows and caches hand out the same frozen list for every request of an identity.
 */
const VALID_FROZEN = new WeakSet<readonly unknown[]>()

function deeplyFrozen(headers: readonly unknown[]): boolean {
  return Object.isFrozen(headers) && headers.every((h) => Object.isFrozen(h))
}

function headersProblem(headers: unknown, what: string): string | undefined {
  if (!Array.isArray(headers)) return `${what} is not an array`
  if (VALID_FROZEN.has(headers)) return undefined
  const problem = headerListProblem(headers, what)
  if (problem === undefined && deeplyFrozen(headers)) VALID_FROZEN.add(headers)
  return problem
}

function headerListProblem(headers: unknown[], what: string): string | undefined {
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

/** Returns why `outcome` cannot be sent, or undefined when it is a well-formed CheckOutcome. */
export function outcomeProblem(outcome: unknown): string | undefined {
  if (typeof outcome !== 'object' || outcome === null) return 'outcome is not an object'
  const o = outcome as Record<string, unknown>
  if (typeof o.code !== 'string') return 'code is not a string'
  if (o.api !== undefined && typeof o.api !== 'string') return 'api is not a string'
  if (typeof o.metadata !== 'object' || o.metadata === null) return 'metadata is not an object'
  const meta = o.metadata as Record<string, unknown>
  let entries = 0
  for (const k of Object.keys(meta)) {
    if (++entries > MAX_METADATA) return 'metadata has too many entries'
    if (typeof meta[k] !== 'string') return 'metadata value is not a string'
  }
  if (o.allowed === true) {
    const problem = headersProblem(o.upstreamHeaders, 'upstreamHeaders')
    if (problem !== undefined) return problem
    if (!Array.isArray(o.headersToRemove)) return 'headersToRemove is not an array'
    for (const n of o.headersToRemove as unknown[]) {
      if (typeof n !== 'string' || !HEADER_NAME.test(n))
        return 'headersToRemove has an invalid name'
    }
    return undefined
  }
  if (o.allowed !== false) return 'allowed is not a boolean'
  if (
    typeof o.httpStatus !== 'number' ||
    !Number.isInteger(o.httpStatus) ||
    o.httpStatus < 400 ||
    o.httpStatus > 599
  ) {
    return 'deny httpStatus is not 400-599'
  }
  if (
    typeof o.grpcCode !== 'number' ||
    !Number.isInteger(o.grpcCode) ||
    o.grpcCode < 1 ||
    o.grpcCode > 16
  ) {
    return 'deny grpcCode is not 1-16'
  }
  if (typeof o.body !== 'string') return 'deny body is not a string'
  return headersProblem(o.headers, 'headers')
}
