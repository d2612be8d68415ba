/**
 * What a custom authorizer produced for one request, as a value (never an exception): 401, a
 * fail-closed 500, an IAM policy to evaluate, or a simple yes/no (HTTP API payload 2.0).
 *
 * @module
 */

export type LambdaErrorCode =
  | 'ERR_LAMBDA_TIMEOUT'
  | 'ERR_LAMBDA_BAD_RESPONSE'
  | 'ERR_LAMBDA_FUNCTION_ERROR'
  | 'ERR_LAMBDA_POLICY_INVALID'
  | 'ERR_LAMBDA_STATUS'
  | 'ERR_LAMBDA_UNREACHABLE'
  | 'ERR_LAMBDA_TOO_LARGE'
  | 'ERR_LAMBDA_BUSY'
  | 'ERR_LAMBDA_INTERNAL'

export type UnauthorizedReason = 'identity_missing' | 'identity_invalid' | 'authorizer_unauthorized'

export type LambdaOutcome<P> =
  /** → 401 `{"message":"Unauthorized"}`. */
  | { readonly kind: 'unauthorized'; readonly reason: UnauthorizedReason }
  /** → 500 `{"message":null}` (AuthorizerConfigurationException): fail closed. */
  | { readonly kind: 'error'; readonly code: LambdaErrorCode; readonly detail: string }
  | {
      readonly kind: 'policy'
      readonly principalId: string
      readonly policy: P
      /** Values already stringified, as `$context.authorizer.<key>` exposes them. */
      readonly context: Readonly<Record<string, string>>
      readonly usageIdentifierKey: string | undefined
      /** True when served from the cache or from a concurrent identical call (no call of its own). */
      readonly cached: boolean
    }
  | {
      readonly kind: 'simple'
      readonly isAuthorized: boolean
      readonly context: Readonly<Record<string, string>>
      readonly cached: boolean
    }

/**
 * Metric outcome label values (`portcullis_authorizer_requests_total{outcome}`). `answered`: the
 * authorizer returned a policy or a simple response, whatever it allows; the decision of each
 * request is counted in `portcullis_check_requests_total`.
 */
export type InvokeOutcomeLabel =
  | 'answered'
  | 'unauthorized'
  | 'error'
  | 'timeout'
  | 'too_large'
  | 'invalid_response'
  | 'rejected_busy'
