/**
 * Checks a Checker's answer before it goes on the wire. A malformed outcome (a decider bug) must
 * become an internal deny: in particular a "deny" with gRPC code 0 or a 2xx status would let Envoy,
 * nginx or Traefik pass the request. The code must be one of the listed decision codes, of the
 * right kind (`ALLOW_` for an allow, but for a dry-run one), and a deny's status one its code
 * lists: logs, metrics and alerts then always mean what `docs/reference/codes.md` says.
 *
 * @module
 */
import { ALLOW_CODES, statusesOf } from '../api/decision-codes.js'
import {
  HEADER_NAME,
  headerListProblem,
  isValidatedHeaders,
} from '../decision/validated-headers.js'

const MAX_METADATA = 64

function headersProblem(headers: unknown, what: string): string | undefined {
  if (!Array.isArray(headers)) return `${what} is not an array`
  // Checked when it was sealed, and frozen since.
  if (isValidatedHeaders(headers)) return undefined
  return headerListProblem(headers, what)
}

/** Returns why `outcome` cannot be sent, or undefined when it is a well-formed CheckOutcome. */
export function outcomeProblem(outcome: unknown): string | undefined {
  if (typeof outcome !== 'object' || outcome === null) return 'outcome is not an object'
  const o = outcome as Record<string, unknown>
  if (typeof o.code !== 'string') return 'code is not a string'
  const statuses = statusesOf(o.code)
  if (statuses.length === 0) return 'code is not a listed decision code'
  // A dry-run allow stands in for the decided answer and carries its code, `ERR_` ones included.
  const allowCode = Object.hasOwn(ALLOW_CODES, o.code)
  if (o.allowed === true ? !allowCode && o.dryRun === undefined : allowCode) {
    return 'code is not of the kind of the decision'
  }
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
  if (!statuses.includes(o.httpStatus)) return 'deny httpStatus is not one its code lists'
  if (typeof o.body !== 'string') return 'deny body is not a string'
  return headersProblem(o.headers, 'headers')
}
