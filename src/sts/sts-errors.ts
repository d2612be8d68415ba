/**
 * STS's error answers: code, HTTP status, fault type and AWS's message texts, in one table so the
 * texts the wire shows are reviewable in one place. The codes are the ones the AWS SDKs model for
 * `AssumeRoleWithWebIdentity` (plus the generic Query API ones).
 *
 * @module
 */

export type StsErrorCode =
  | 'InvalidIdentityToken'
  | 'ExpiredTokenException'
  | 'IDPCommunicationError'
  | 'IDPRejectedClaim'
  | 'AccessDenied'
  | 'ValidationError'
  | 'MalformedPolicyDocument'
  | 'PackedPolicyTooLarge'
  | 'InvalidAction'
  | 'MissingAction'
  | 'InvalidParameterValue'
  | 'InternalFailure'

export interface StsError {
  readonly ok: false
  readonly code: StsErrorCode
  readonly status: 400 | 403 | 404 | 500
  /** `Sender` for the caller's mistakes, `Receiver` for ours. */
  readonly type: 'Sender' | 'Receiver'
  readonly message: string
}

const STATUS: { readonly [C in StsErrorCode]: StsError['status'] } = {
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  IDPRejectedClaim: 403,
  AccessDenied: 403,
  ValidationError: 400,
  MalformedPolicyDocument: 400,
  PackedPolicyTooLarge: 400,
  InvalidAction: 400,
  MissingAction: 400,
  InvalidParameterValue: 400,
  InternalFailure: 500,
}

export function stsError(code: StsErrorCode, message: string): StsError {
  return {
    ok: false,
    code,
    status: STATUS[code],
    type: code === 'InternalFailure' ? 'Receiver' : 'Sender',
    message,
  }
}

/** ISO-8601 with milliseconds, as STS prints times in messages. */
function stsTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}

export const STS_MESSAGES = {
  notAuthorized: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  noProvider: (issuer: string) => `No OpenIDConnect provider found in your account for ${issuer}`,
  incorrectAudience: 'Incorrect token audience',
  /** A token that is not a signed JWT at all. */
  malformedToken:
    'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
  /** Signature, key id or algorithm do not verify. */
  invalidSignature: 'Invalid Identity Token: the token signature could not be verified',
  noKey:
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  tokenExpired: (now: number, exp: number) =>
    `Token expired: current date/time ${stsTime(now)} must be before the expiration date/time${stsTime(exp)}`,
  tokenNotYetValid: 'Token is not valid yet (nbf or iat in the future)',
  missingSubject: 'Token is missing the sub claim',
  durationTooLong:
    'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  notNull: (member: string) =>
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  tooShort: (value: string, member: string, min: number) =>
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
  tooLong: (member: string, max: number) =>
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  pattern: (value: string, member: string, pattern: string) =>
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`,
  durationRange: (value: string) =>
    `1 validation error detected: Value '${value}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
  durationTooLarge: (value: string) =>
    `1 validation error detected: Value '${value}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
  notANumber: (value: string) => `Value (${value}) for parameter DurationSeconds is invalid.`,
  malformedPolicy: (detail: string) => `The policy is not valid: ${detail}`,
  policyTooLarge: 'Packed policy consumes more than 100 percent of the allotted space.',
  invalidAction: (action: string) => `Could not find operation ${action} for version 2011-06-15`,
  missingAction: 'Missing Action',
  invalidVersion: (version: string) =>
    `Could not find operation AssumeRoleWithWebIdentity for version ${version}`,
  internal: 'An internal error occurred. Retry the request.',
} as const
