/**
 * The outcome of verifying a SigV4 request, and every refusal with AWS's status, error type and
 * message text. One table, so the texts the wire shows are reviewable in one place.
 *
 * @module
 */

/** Every reason a SigV4 request is refused. Stable: metric `reason` and log code. */
export type SigV4ErrorCode =
  | 'ERR_SIGV4_MISSING'
  | 'ERR_SIGV4_BOTH_FORMS'
  | 'ERR_SIGV4_INCOMPLETE'
  | 'ERR_SIGV4_MALFORMED_DATE'
  | 'ERR_SIGV4_INVALID_EXPIRES'
  | 'ERR_SIGV4_EXPIRED'
  | 'ERR_SIGV4_NOT_YET_VALID'
  | 'ERR_SIGV4_HOST_NOT_SIGNED'
  | 'ERR_SIGV4_UNSUPPORTED_ALGORITHM'
  | 'ERR_SIGV4_MALFORMED_CREDENTIAL'
  | 'ERR_SIGV4_WRONG_REGION'
  | 'ERR_SIGV4_WRONG_SERVICE'
  | 'ERR_SIGV4_WRONG_TERMINATOR'
  | 'ERR_SIGV4_DATE_MISMATCH'
  | 'ERR_SIGV4_SESSION_TOKEN'
  | 'ERR_SIGV4_UNSIGNED_HEADER'
  | 'ERR_SIGV4_MALFORMED_QUERY'
  | 'ERR_SIGV4_UNKNOWN_KEY'
  | 'ERR_SIGV4_INACTIVE_KEY'
  | 'ERR_SIGV4_PARTIAL_BODY'
  | 'ERR_SIGV4_BODY_REQUIRED'
  | 'ERR_SIGV4_PAYLOAD_HASH_MISMATCH'
  | 'ERR_SIGV4_UNSIGNED_PAYLOAD'
  | 'ERR_SIGV4_SIGNATURE_MISMATCH'
  | 'ERR_SIGV4_INTERNAL'

/** `x-amzn-errortype` values this module answers with. */
export type SigV4ErrorType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException'

/** What `portcullis check` can show about a mismatch; never sent on the wire by default. */
export interface SigV4Diagnostics {
  readonly canonicalRequest: string
  readonly stringToSign: string
}

export interface SigV4Success<P> {
  readonly ok: true
  readonly accessKeyId: string
  readonly principal: P
  readonly form: 'header' | 'query'
}

export interface SigV4Failure {
  readonly ok: false
  readonly code: SigV4ErrorCode
  readonly httpStatus: 403
  readonly errorType: SigV4ErrorType
  /** AWS's exact text for the `{"message": ...}` body. Never contains a secret or derived key. */
  readonly message: string
  /**
   * Only on ERR_SIGV4_SIGNATURE_MISMATCH: the canonical request and string to sign the verifier
   * computed (what API Gateway appends to its message). Contains request data, never secrets.
   */
  readonly diagnostics?: SigV4Diagnostics
}

export type SigV4Result<P> = SigV4Success<P> | SigV4Failure

export function sigV4Failure(
  code: SigV4ErrorCode,
  errorType: SigV4ErrorType,
  message: string,
  diagnostics?: SigV4Diagnostics,
): SigV4Failure {
  return diagnostics === undefined
    ? { ok: false, code, httpStatus: 403, errorType, message }
    : { ok: false, code, httpStatus: 403, errorType, message, diagnostics }
}

/**
 * The AWS message texts. Sources: API Gateway bodies as observed (docs/wire.md) and the Coral
 * validation order and texts recorded by mhart/dynalite (`index.js`) for AWS JSON services.
 * Texts marked [portcullis] have no AWS counterpart (Portcullis-only conditions).
 */
export const SIGV4_MESSAGES = {
  missing: 'Missing Authentication Token',
  bothForms:
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
  notKeyValue: (piece: string, authorization: string) =>
    `'${piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`,
  headerRequiresCredential: "Authorization header requires 'Credential' parameter.",
  headerRequiresSignature: "Authorization header requires 'Signature' parameter.",
  headerRequiresSignedHeaders: "Authorization header requires 'SignedHeaders' parameter.",
  headerRequiresDate:
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  queryRequires: (param: string) => `AWS query-string parameters must include '${param}'.`,
  queryReexamine: 'Re-examine the query-string parameters.',
  /** [portcullis] AWS's behaviour for a repeated auth parameter is unknown; refuse it. */
  queryDuplicate: (param: string) =>
    `AWS query-string parameter '${param}' must appear only once. Re-examine the query-string parameters.`,
  /** [portcullis] the header counterpart of queryDuplicate. */
  headerDuplicate: (param: string) =>
    `Authorization header parameter '${param}' must appear only once. Re-examine the Authorization header.`,
  /** [portcullis] two Authorization headers (joined with `,` on the way) or a malformed name. */
  headerRepeated:
    'Authorization header must appear only once and hold a single credential. Re-examine the Authorization header.',
  malformedDate: (value: string) =>
    `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  /** S3's texts for X-Amz-Expires (the only AWS texts for it). */
  expiresNotNumber: 'X-Amz-Expires should be a number',
  expiresNegative: 'X-Amz-Expires must be non-negative',
  expiresTooLarge: 'X-Amz-Expires must be less than a week (in seconds) that is 604800',
  expired: (ts: string, limit: string, now: string, window: string) =>
    `Signature expired: ${ts} is now earlier than ${limit} (${now} - ${window}.)`,
  notYetCurrent: (ts: string, limit: string, now: string, window: string) =>
    `Signature not yet current: ${ts} is still later than ${limit} (${now} + ${window}.)`,
  hostNotSigned: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
  unsupportedAlgorithm: (algorithm: string) =>
    `Unsupported AWS 'algorithm': '${algorithm}' (only AWS4-HMAC-SHA256 for now). `,
  malformedCredential: (credential: string) =>
    `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
  wrongRegion: (region: string) =>
    `Credential should be scoped to a valid region, not '${region}'. `,
  wrongService: (expected: string) =>
    `Credential should be scoped to correct service: '${expected}'. `,
  wrongTerminator: (terminator: string) =>
    `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `,
  dateMismatch: (scopeDate: string, date: string, ts: string) =>
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${date}', from '${ts}'.`,
  invalidToken: 'The security token included in the request is invalid.',
  /** S3's text for the same rule (AWS JSON services do not enforce it). */
  unsignedHeaders: 'There were headers present in the request which were not signed',
  /** java.net.URLDecoder's text, which AWS services echo for a bad escape. */
  malformedQuery: 'Illegal hex character in escape % pattern',
  /** [portcullis] */
  partialBody:
    'The request body was truncated before signature verification; the whole body is needed to verify this signature. Sign an x-amz-content-sha256 header or raise the proxy body limit.',
  /** [portcullis] */
  bodyRequired:
    'The request body is needed to verify this signature but the proxy did not send it. Sign an x-amz-content-sha256 header or have the proxy forward the body.',
  /** [portcullis] */
  unsignedPayloadWithBody:
    'The request body was forwarded for signature verification, so it must be signed: x-amz-content-sha256: UNSIGNED-PAYLOAD is accepted only when the proxy does not forward the body. Sign the body hash instead.',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  /** [portcullis] never reached unless the verifier itself is broken; fail closed. */
  internal:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
} as const

/**
 * API Gateway's full mismatch text, with the canonical request and string to sign appended, for
 * diagnostics (`portcullis check`) or an operator who opts in. Not sent by default: it reveals how
 * the verifier sees the request.
 */
export function mismatchMessageWithDetails(diagnostics: SigV4Diagnostics): string {
  return (
    `${SIGV4_MESSAGES.signatureMismatch}\n\nThe Canonical String for this request should have been\n'${diagnostics.canonicalRequest}'\n\n` +
    `The String-to-Sign should have been\n'${diagnostics.stringToSign}'\n`
  )
}
