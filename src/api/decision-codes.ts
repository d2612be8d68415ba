/**
 * Every reason code an answer can carry, with the HTTP status it goes out with and what it means:
 * the one list. `CheckOutcome.code` is typed by it, the servers refuse an outcome whose code or
 * status is not listed here (an internal deny), the metrics `code` label takes only these values,
 * and `docs/reference/codes.md` is generated from it.
 *
 * Codes are stable: logs, metrics, alerts and `portcullis check` output name them. To add one,
 * add one entry to the section of the module that produces it (or a new section, listed in
 * {@link CODE_SECTIONS}); the producer's code type follows.
 *
 * Lives in `api/` (the bottom layer) so that every producer (request translation, the
 * authenticators, the decider, the servers) may import it.
 *
 * @module
 */

/** The HTTP statuses answers go out with (200: an allow, the request goes upstream). */
export type HttpStatus = 200 | 400 | 401 | 403 | 413 | 414 | 429 | 500

export interface CodeSpec {
  /** The status of every answer with this code; a list when the producer picks one of several. */
  readonly status: HttpStatus | readonly HttpStatus[]
  /** One line: when this code is given. */
  readonly meaning: string
}

const code = (status: CodeSpec['status'], meaning: string): CodeSpec => ({ status, meaning })

/** Allowed requests (the request goes upstream). */
export const ALLOW_CODES = {
  ALLOW_PUBLIC: code(200, 'NONE route of an API without a resource policy'),
  ALLOW_RESOURCE_POLICY: code(200, "NONE route: the API's resource policy allowed the caller"),
  ALLOW_IAM: code(200, 'AWS_IAM route: the signed caller is allowed (identity + resource policy)'),
  ALLOW_AUTHORIZER: code(200, "CUSTOM route: the authorizer's policy or simple response allowed"),
  ALLOW_TOKEN: code(200, 'COGNITO_USER_POOLS / JWT route: the token was accepted'),
} as const satisfies Record<`ALLOW_${string}`, CodeSpec>

/** The proxy's request could not be read (`src/request`, the servers' boundary). */
export const REQUEST_CODES = {
  ERR_REQUEST_MALFORMED: code(
    403,
    'required attributes absent, header bytes not UTF-8, header names beyond ASCII, a repeated request-naming header, an unreadable auth subrequest or protobuf message',
  ),
  ERR_REQUEST_INVALID_PATH: code(
    400,
    'a request target no HTTP peer can send, or an authority that is not a plain host[:port]',
  ),
  ERR_REQUEST_TOO_LARGE: code(
    413,
    'headers, header count, context extensions or body over the limits',
  ),
} as const satisfies Record<`ERR_REQUEST_${string}`, CodeSpec>

/** Finding the API, the route and the method ARN. */
export const ROUTING_CODES = {
  ERR_NO_API: code(403, 'no API for the host or the context extension'),
  ERR_BAD_PATH: code(400, 'ambiguous path: dot segments, an encoded slash, a bad escape'),
  ERR_NO_ROUTE: code(403, 'no route for this method and path (Missing Authentication Token)'),
  ERR_ARN_TOO_LONG: code(414, 'the method ARN is over 1600 bytes'),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** The gate of a PRIVATE API, before the route's own authorization. */
export const PRIVATE_GATE_CODES = {
  ERR_PRIVATE_NO_ENDPOINT: code(403, "the request came through none of the API's PrivateEndpoints"),
  ERR_PRIVATE_NO_RESOURCE_POLICY: code(403, 'a PRIVATE API without a resource policy denies all'),
  ERR_ENDPOINT_IMPLICIT_DENY: code(403, "the endpoint's policy did not allow the caller"),
  ERR_ENDPOINT_EXPLICIT_DENY: code(403, "the endpoint's policy denied the caller"),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** The API's resource policy for callers anonymous to IAM (NONE, CUSTOM, token routes). */
export const RESOURCE_POLICY_CODES = {
  ERR_POLICY_IMPLICIT_DENY: code(403, 'the resource policy did not allow the anonymous caller'),
  ERR_POLICY_EXPLICIT_DENY: code(403, 'the resource policy denied the caller'),
} as const satisfies Record<`ERR_POLICY_${string}`, CodeSpec>

/** AWS_IAM routes, after the signature is verified. */
export const IAM_CODES = {
  ERR_IAM_IMPLICIT_DENY: code(
    403,
    "the caller's identity policies (with the resource policy) did not allow",
  ),
  ERR_IAM_EXPLICIT_DENY: code(403, "the caller's identity or the resource policy denied"),
  ERR_SIGV4_UNAVAILABLE: code(500, 'a signed request to a private API, and no SigV4 verifier'),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** SigV4 verification (`src/authn/sigv4`): each with AWS's own message text. */
export const SIGV4_CODES = {
  ERR_SIGV4_MISSING: code(403, 'no SigV4 signature on an AWS_IAM route'),
  ERR_SIGV4_BOTH_FORMS: code(403, 'signed both in the Authorization header and the query'),
  ERR_SIGV4_INCOMPLETE: code(403, 'a required signature parameter is absent or repeated'),
  ERR_SIGV4_MALFORMED_DATE: code(403, 'X-Amz-Date / Date is not ISO-8601 basic format'),
  ERR_SIGV4_INVALID_EXPIRES: code(403, 'X-Amz-Expires is not a number of seconds up to a week'),
  ERR_SIGV4_EXPIRED: code(403, 'the signature is older than the clock skew or X-Amz-Expires'),
  ERR_SIGV4_NOT_YET_VALID: code(403, 'the signature is dated beyond the allowed clock skew'),
  ERR_SIGV4_HOST_NOT_SIGNED: code(403, 'Host (or :authority) is not a signed header'),
  ERR_SIGV4_UNSUPPORTED_ALGORITHM: code(403, 'the algorithm is not AWS4-HMAC-SHA256'),
  ERR_SIGV4_MALFORMED_CREDENTIAL: code(403, 'the credential is not key/date/region/service/term'),
  ERR_SIGV4_WRONG_REGION: code(403, "the credential scope names another region than the API's"),
  ERR_SIGV4_WRONG_SERVICE: code(403, 'the credential scope names another service than execute-api'),
  ERR_SIGV4_WRONG_TERMINATOR: code(403, 'the credential scope does not end in aws4_request'),
  ERR_SIGV4_DATE_MISMATCH: code(403, "the credential scope's date is not the request's date"),
  ERR_SIGV4_SESSION_TOKEN: code(403, 'a session token Portcullis did not issue, or tampered with'),
  ERR_SIGV4_SESSION_EXPIRED: code(403, 'the session credentials are past their expiration'),
  ERR_SIGV4_UNSIGNED_HEADER: code(403, 'an x-amz-* header is present but not signed'),
  ERR_SIGV4_MALFORMED_QUERY: code(403, 'a bad percent escape in the query'),
  ERR_SIGV4_UNKNOWN_KEY: code(403, 'no Principal has this access key (or its secret is missing)'),
  ERR_SIGV4_INACTIVE_KEY: code(403, 'the access key is Inactive'),
  ERR_SIGV4_PARTIAL_BODY: code(403, 'the proxy truncated a body the signature covers'),
  ERR_SIGV4_BODY_REQUIRED: code(403, 'the signature covers the body and the proxy did not send it'),
  ERR_SIGV4_PAYLOAD_HASH_MISMATCH: code(403, 'x-amz-content-sha256 is not the hash of the body'),
  ERR_SIGV4_UNSIGNED_PAYLOAD: code(403, 'UNSIGNED-PAYLOAD, but the proxy forwarded the body'),
  ERR_SIGV4_SIGNATURE_MISMATCH: code(403, 'the signature does not match the request'),
  ERR_SIGV4_INTERNAL: code(403, 'the verifier failed unexpectedly (logged); refused'),
} as const satisfies Record<`ERR_SIGV4_${string}`, CodeSpec>

/** CUSTOM routes (TOKEN / REQUEST authorizers): what the authorizer answered. */
export const CUSTOM_AUTHORIZER_CODES = {
  ERR_UNAUTHORIZED: code(
    401,
    'identity source missing or not matching identityValidationExpression, or the authorizer said Unauthorized',
  ),
  ERR_AUTHORIZER_FORBIDDEN: code(403, 'a simple response with isAuthorized: false'),
  ERR_AUTHORIZER_IMPLICIT_DENY: code(403, "the authorizer's policy did not allow this method ARN"),
  ERR_AUTHORIZER_EXPLICIT_DENY: code(403, "the authorizer's or the resource policy denied"),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** A custom authorizer call that failed (`src/authn/lambda`): AWS's 500 `{"message":null}`. */
export const LAMBDA_CODES = {
  ERR_LAMBDA_UNREACHABLE: code(500, 'the authorizer endpoint could not be reached'),
  ERR_LAMBDA_TIMEOUT: code(500, 'the authorizer did not answer within timeoutMillis'),
  ERR_LAMBDA_STATUS: code(500, 'the authorizer answered an HTTP status other than 200'),
  ERR_LAMBDA_TOO_LARGE: code(500, "the authorizer's answer is over the size limit"),
  ERR_LAMBDA_BAD_RESPONSE: code(500, "the answer is not AWS's authorizer response format"),
  ERR_LAMBDA_POLICY_INVALID: code(500, 'the returned policyDocument does not compile'),
  ERR_LAMBDA_FUNCTION_ERROR: code(500, 'the authorizer function reported an error'),
  ERR_LAMBDA_BUSY: code(500, 'too many calls to this authorizer in flight; refused, not queued'),
  ERR_LAMBDA_INTERNAL: code(500, 'the call failed unexpectedly (logged)'),
} as const satisfies Record<`ERR_LAMBDA_${string}`, CodeSpec>

/** COGNITO_USER_POOLS and JWT routes: the token (`src/authn/jwt`). */
export const JWT_CODES = {
  ERR_JWT_MISSING: code(401, 'no token in the identity header'),
  ERR_JWT_TOO_LARGE: code(401, 'the token is over the size limit'),
  ERR_JWT_MALFORMED: code(401, 'not a compact JWS with JSON header and claims'),
  ERR_JWT_ALG_NOT_ALLOWED: code(401, 'the signing algorithm is not an allowed one'),
  ERR_JWT_KID_MISSING: code(401, 'the token names no key (kid) and the JWKS has several'),
  ERR_JWT_KID_UNKNOWN: code(401, "the token's kid is not in the issuer's JWKS"),
  ERR_JWT_KEY_MISMATCH: code(401, "the JWKS key does not fit the token's algorithm"),
  ERR_JWT_SIGNATURE_INVALID: code(401, 'the signature does not verify'),
  ERR_JWT_JWKS_UNAVAILABLE: code(401, "the issuer's discovery document or JWKS cannot be fetched"),
  ERR_JWT_ISSUER_MISMATCH: code(401, 'iss is not the configured issuer'),
  ERR_JWT_AUDIENCE_MISMATCH: code(401, 'aud is none of the configured audiences'),
  ERR_JWT_CLIENT_ID_MISMATCH: code(401, 'client_id is none of the configured audiences'),
  ERR_JWT_TOKEN_USE_MISMATCH: code(401, 'an ID token where an access token is needed, or back'),
  ERR_JWT_EXPIRED: code(401, 'exp is past (with the allowed skew)'),
  ERR_JWT_NOT_YET_VALID: code(401, 'nbf is ahead (with the allowed skew)'),
  ERR_JWT_ISSUED_IN_FUTURE: code(401, 'iat is ahead (with the allowed skew)'),
  ERR_JWT_CLAIM_INVALID: code(401, 'sub, exp, nbf or iat has the wrong type'),
  ERR_JWT_SCOPE_MISMATCH: code(
    [401, 403],
    'the token has none of the route scopes (403 for JWT authorizers, 401 for Cognito)',
  ),
  ERR_JWT_INTERNAL: code(401, 'verification failed unexpectedly (logged); refused'),
} as const satisfies Record<`ERR_JWT_${string}`, CodeSpec>

/**
 * apiKeyRequired methods, after authorization (as AWS: the AUTHORIZER key source needs the
 * authorizer's answer): the API key, its usage plan for this API stage, then throttle and quota.
 */
export const API_KEY_CODES = {
  ERR_API_KEY_MISSING: code(
    403,
    'no key in x-api-key (or no usageIdentifierKey from the authorizer)',
  ),
  ERR_API_KEY_INVALID: code(403, 'the key is the value of no ApiKey'),
  ERR_API_KEY_DISABLED: code(403, 'the ApiKey is disabled'),
  ERR_API_KEY_NOT_IN_PLAN: code(403, "the key is in no usage plan for this API's stage"),
  ERR_THROTTLED: code(429, "the usage plan's (or the method's) rate and burst are used up"),
  ERR_QUOTA_EXCEEDED: code(429, "the key's quota for the current period is used up"),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** The service itself: configuration not usable for this request, or not loaded at all. */
export const SERVICE_CODES = {
  ERR_AUTHORIZER_MISSING: code(500, "the route's authorizer is missing or of the wrong type"),
  ERR_AUTH_TYPE_UNAVAILABLE: code(500, "the route's authorization type has no module registered"),
  ERR_NOT_READY: code(500, 'no configuration loaded yet'),
  ERR_INTERNAL: code(500, 'an unexpected failure (logged); never an allow'),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** Candidates: the second, compared decision of a request (never sent). */
export const CANDIDATE_CODES = {
  ERR_CANDIDATE_UNDECIDED: code(
    500,
    "the candidate decision needs a custom authorizer's answer, or a verified token, that is not cached: left out of the comparison (counted as skipped)",
  ),
} as const satisfies Record<`ERR_${string}`, CodeSpec>

/** The sections of the reference page, in decision order. */
export const CODE_SECTIONS = [
  { title: 'Allowed', codes: ALLOW_CODES },
  { title: 'Reading the request', codes: REQUEST_CODES },
  { title: 'API, route and method ARN', codes: ROUTING_CODES },
  { title: 'Private API gate', codes: PRIVATE_GATE_CODES },
  { title: 'Resource policy', codes: RESOURCE_POLICY_CODES },
  { title: 'AWS_IAM', codes: IAM_CODES },
  { title: 'SigV4 signature', codes: SIGV4_CODES },
  { title: 'Custom authorizers', codes: CUSTOM_AUTHORIZER_CODES },
  { title: 'Custom authorizer calls', codes: LAMBDA_CODES },
  { title: 'Cognito and JWT tokens', codes: JWT_CODES },
  { title: 'API keys and usage plans', codes: API_KEY_CODES },
  { title: 'Service', codes: SERVICE_CODES },
  { title: 'Candidate policies', codes: CANDIDATE_CODES },
] as const

export const DECISION_CODES = {
  ...ALLOW_CODES,
  ...REQUEST_CODES,
  ...ROUTING_CODES,
  ...PRIVATE_GATE_CODES,
  ...RESOURCE_POLICY_CODES,
  ...IAM_CODES,
  ...SIGV4_CODES,
  ...CUSTOM_AUTHORIZER_CODES,
  ...LAMBDA_CODES,
  ...JWT_CODES,
  ...API_KEY_CODES,
  ...SERVICE_CODES,
  ...CANDIDATE_CODES,
} as const satisfies Record<string, CodeSpec>

export type DecisionCode = keyof typeof DECISION_CODES
export type AllowCode = keyof typeof ALLOW_CODES
export type DenyCode = Exclude<DecisionCode, AllowCode>

/**
 * Codes outside the decision: configuration problems and runtime errors, in logs and in
 * `portcullis validate` / `serve` output. Never on the wire, never a metric label.
 */
export const PROBLEM_CODES = {
  ERR_CONFIG_INVALID_MANIFEST: 'a manifest is not valid: the object is not served',
  ERR_KUBERNETES_API: 'a Kubernetes API call failed (status and reason in the log)',
  ERR_STS_TOKEN_MALFORMED:
    'a session token that this installation could not have sealed (logged; answered as ERR_SIGV4_SESSION_TOKEN)',
  ERR_STS_TOKEN_UNKNOWN_KEY:
    'a session token sealed under a key id the key ring does not hold (logged; answered as ERR_SIGV4_SESSION_TOKEN)',
  ERR_STS_TOKEN_INVALID:
    'a session token whose authentication tag does not verify (logged; answered as ERR_SIGV4_SESSION_TOKEN)',
} as const satisfies Record<`ERR_${string}`, string>

export type ProblemCode = keyof typeof PROBLEM_CODES

/** Statuses by code, for the per-answer check (a Map: no prototype keys, one lookup). */
const STATUSES: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries(DECISION_CODES).map(([name, spec]) => [
    name,
    typeof spec.status === 'number' ? [spec.status] : spec.status,
  ]),
)

export function isDecisionCode(value: string): value is DecisionCode {
  return STATUSES.has(value)
}

/** The statuses an answer with `code` may carry (empty for a string that is no code). */
export function statusesOf(code: string): readonly number[] {
  return STATUSES.get(code) ?? []
}
