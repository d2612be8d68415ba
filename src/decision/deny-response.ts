/**
 * The one mapping table from a denial reason to what the client sees: HTTP status, gRPC status,
 * AWS's exact JSON body and `x-amzn-errortype` (docs/wire.md#denials). Bodies follow AWS to the
 * letter, including the capital `M` of ACCESS_DENIED bodies.
 *
 * @module
 */
import type { DenyOutcome, HeaderEntry } from './check-outcome.js'

const GRPC_PERMISSION_DENIED = 7
const GRPC_UNAUTHENTICATED = 16

export type DenyKind =
  | 'no_api'
  | 'no_route'
  | 'bad_path'
  | 'uri_too_long'
  | 'anonymous_denied'
  | 'iam_denied'
  | 'authorizer_denied'
  | 'unauthorized'
  | 'forbidden'
  | 'authorizer_error'
  | 'internal'
  | 'sigv4'

interface Spec {
  readonly status: number
  readonly errorType: string
}

const SPECS: Record<DenyKind, Spec> = {
  no_api: { status: 403, errorType: 'ForbiddenException' },
  forbidden: { status: 403, errorType: 'ForbiddenException' },
  no_route: { status: 403, errorType: 'MissingAuthenticationTokenException' },
  bad_path: { status: 400, errorType: 'BadRequestException' },
  uri_too_long: { status: 414, errorType: 'RequestUriTooLongException' },
  anonymous_denied: { status: 403, errorType: 'AccessDeniedException' },
  iam_denied: { status: 403, errorType: 'AccessDeniedException' },
  authorizer_denied: { status: 403, errorType: 'AccessDeniedException' },
  unauthorized: { status: 401, errorType: 'UnauthorizedException' },
  authorizer_error: { status: 500, errorType: 'AuthorizerConfigurationException' },
  internal: { status: 500, errorType: 'InternalServerErrorException' },
  sigv4: { status: 403, errorType: 'InvalidSignatureException' },
}

export interface DenyContext {
  readonly api: string | undefined
  readonly metadata: Readonly<Record<string, string>>
}

/**
 * The usual denial headers, one frozen array per error type: the encoder caches the bytes of a
 * denial per header array, so constant arrays make repeated denials cheap.
 */
const HEADERS_BY_ERROR_TYPE = new Map<string, readonly HeaderEntry[]>()

function denyHeaders(errorType: string, extra: readonly HeaderEntry[]): readonly HeaderEntry[] {
  if (extra.length > 0) {
    return [
      { name: 'content-type', value: 'application/json' },
      { name: 'x-amzn-errortype', value: errorType },
      ...extra,
    ]
  }
  let headers = HEADERS_BY_ERROR_TYPE.get(errorType)
  if (headers === undefined) {
    headers = Object.freeze([
      Object.freeze({ name: 'content-type', value: 'application/json' }),
      Object.freeze({ name: 'x-amzn-errortype', value: errorType }),
    ])
    HEADERS_BY_ERROR_TYPE.set(errorType, headers)
  }
  return headers
}

function outcome(
  status: number,
  errorType: string,
  body: string,
  code: string,
  ctx: DenyContext,
  extraHeaders: readonly HeaderEntry[] = [],
): DenyOutcome {
  return {
    allowed: false,
    httpStatus: status,
    grpcCode: status === 401 ? GRPC_UNAUTHENTICATED : GRPC_PERMISSION_DENIED,
    body,
    headers: denyHeaders(errorType, extraHeaders),
    code,
    api: ctx.api,
    metadata: ctx.metadata,
  }
}

/** `{"message":"..."}` with lowercase `m` (gateway-generated responses). */
function messageBody(message: string | null): string {
  return JSON.stringify({ message })
}

/** `{"Message":"..."}` with capital `M` (ACCESS_DENIED responses, as AWS sends them). */
function accessDeniedBody(message: string): string {
  return JSON.stringify({ Message: message })
}

const FIXED_MESSAGES: Partial<Record<DenyKind, string | null>> = {
  no_api: 'Forbidden',
  forbidden: 'Forbidden',
  no_route: 'Missing Authentication Token',
  bad_path: 'Invalid request path',
  uri_too_long: 'Request URI too long',
  unauthorized: 'Unauthorized',
  authorizer_error: null,
  internal: null,
}

/** The fixed bodies, serialised once. */
const FIXED_BODIES = new Map(
  Object.entries(FIXED_MESSAGES).map(([kind, message]) => [kind, messageBody(message ?? null)]),
)

/** A denial whose body does not depend on the request (Forbidden, Unauthorized, ...). */
export function denyFixed(
  kind:
    | 'no_api'
    | 'forbidden'
    | 'no_route'
    | 'bad_path'
    | 'uri_too_long'
    | 'unauthorized'
    | 'authorizer_error'
    | 'internal',
  code: string,
  ctx: DenyContext,
  extraHeaders: readonly HeaderEntry[] = [],
): DenyOutcome {
  const spec = SPECS[kind]
  return outcome(
    spec.status,
    spec.errorType,
    FIXED_BODIES.get(kind) ?? messageBody(null),
    code,
    ctx,
    extraHeaders,
  )
}

/**
 * `User: <arn|anonymous> is not authorized to perform: execute-api:Invoke on resource: <methodArn>`
 * — used for IAM callers and for NONE routes / private-API gates (with `anonymous`).
 */
export function denyPrincipal(
  principalArn: string | undefined,
  methodArn: string,
  explicit: boolean,
  code: string,
  ctx: DenyContext,
): DenyOutcome {
  const who = principalArn ?? 'anonymous'
  const msg = `User: ${who} is not authorized to perform: execute-api:Invoke on resource: ${methodArn}${explicit ? ' with an explicit deny' : ''}`
  const kind: DenyKind = principalArn === undefined ? 'anonymous_denied' : 'iam_denied'
  return outcome(SPECS[kind].status, SPECS[kind].errorType, accessDeniedBody(msg), code, ctx)
}

/** `User is not authorized to access this resource[ with an explicit deny]` (authorizer flows). */
export function denyAuthorizerPolicy(
  explicit: boolean,
  code: string,
  ctx: DenyContext,
): DenyOutcome {
  const msg = `User is not authorized to access this resource${explicit ? ' with an explicit deny' : ''}`
  return outcome(403, SPECS.authorizer_denied.errorType, accessDeniedBody(msg), code, ctx)
}

/** A SigV4 failure with AWS's own status, error type and message text. */
export function denySignature(
  status: number,
  errorType: string,
  message: string,
  code: string,
  ctx: DenyContext,
): DenyOutcome {
  return outcome(status, errorType, messageBody(message), code, ctx)
}
