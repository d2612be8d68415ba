/**
 * The denials the servers produce themselves, before or around the decider: a request that cannot
 * be translated, or an unexpected failure. Each is a constant DenyOutcome (never an allow, never an
 * RPC error: Envoy applies `failure_mode_allow` to RPC errors, which could turn them into allows).
 *
 * @module
 */
import type { DenyOutcome } from '../decision/check-outcome.js'
import type { RequestErrorCode } from '../request/request-parse-result.js'

export type BoundaryCode = RequestErrorCode | 'ERR_INTERNAL'

/** gRPC PERMISSION_DENIED: UNAUTHENTICATED is only for 401 (docs/wire.md). */
const PERMISSION_DENIED = 7

function deny(
  code: BoundaryCode,
  httpStatus: number,
  message: string,
  errorType: string,
): DenyOutcome {
  return Object.freeze({
    allowed: false,
    httpStatus,
    grpcCode: PERMISSION_DENIED,
    body: JSON.stringify({ message }),
    headers: Object.freeze([
      Object.freeze({ name: 'content-type', value: 'application/json' }),
      Object.freeze({ name: 'x-amzn-errortype', value: errorType }),
    ]),
    code,
    api: undefined,
    metadata: Object.freeze({}),
  })
}

/**
 * code → answer. Malformed requests get API Gateway's generic 403 `Forbidden`; unusable targets its
 * 400 `Invalid request path` (docs/wire.md#denials); oversized input the REQUEST_TOO_LARGE gateway
 * response status 413 (body wording inferred: AWS documents only the status); an unexpected
 * exception API Gateway's DEFAULT_5XX `Internal server error`.
 */
export const BOUNDARY_DENIALS: Readonly<Record<BoundaryCode, DenyOutcome>> = Object.freeze({
  ERR_REQUEST_MALFORMED: deny('ERR_REQUEST_MALFORMED', 403, 'Forbidden', 'ForbiddenException'),
  ERR_REQUEST_INVALID_PATH: deny(
    'ERR_REQUEST_INVALID_PATH',
    400,
    'Invalid request path',
    'BadRequestException',
  ),
  ERR_REQUEST_TOO_LARGE: deny(
    'ERR_REQUEST_TOO_LARGE',
    413,
    'Request Too Long',
    'RequestTooLongException',
  ),
  ERR_INTERNAL: deny('ERR_INTERNAL', 500, 'Internal server error', 'InternalServerErrorException'),
})

export function boundaryDeny(code: BoundaryCode): DenyOutcome {
  return BOUNDARY_DENIALS[code]
}
