/**
 * What a custom authorizer produced for one request, as a value (never an exception): 401, a
 * fail-closed 500, an IAM policy to evaluate, or a simple yes/no (HTTP API payload 2.0).
 *
 * @module
 */
import type { LAMBDA_CODES } from '../../api/decision-codes.js'

/** Why a call failed; listed with their meanings in `src/api/decision-codes.ts`. */
export type LambdaErrorCode = keyof typeof LAMBDA_CODES

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
