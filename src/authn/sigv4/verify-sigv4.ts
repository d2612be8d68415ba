/**
 * Verifies an AWS Signature V4 request (Authorization header or presigned query) the way API
 * Gateway does for `AWS_IAM` methods, in AWS's check order so that each malformed request gets
 * the same error AWS would give. Never throws: every outcome is a value.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'

import type { RequestContext } from '../../request/request-context.js'
import { parseQuery, type QueryParameter } from './canonical-query.js'
import { canonicalRequestFromQuery } from './canonical-request.js'
import { checkCredentialScope } from './credential-scope.js'
import { authorizationHeader, hasPresignedQuery } from './detect-sigv4.js'
import { payloadHashFor } from './payload-hash.js'
import { paramsFromAuthorization, paramsFromQuery } from './sigv4-params.js'
import {
  SIGV4_MESSAGES,
  sigV4Failure,
  type SigV4ErrorCode,
  type SigV4Failure,
  type SigV4Result,
} from './sigv4-result.js'
import { checkTimeWindow, parseAmzDate, readExpires, readTimestamp } from './sigv4-timestamp.js'
import type { SigningKeyCache } from './signing-key.js'
import { SIGV4_ALGORITHM, stringToSign } from './string-to-sign.js'

/** An access key as the caller's key store holds it. */
export interface AccessKeyRecord<P> {
  readonly secretAccessKey: string
  readonly active: boolean
  readonly principal: P
}

export interface SigV4VerifyOptions<P> {
  /** Region the credential scope must name, e.g. `us-east-1`. */
  readonly region: string
  /** Service the credential scope must name: `execute-api` for API Gateway. */
  readonly service: string
  /** O(1) key lookup by access key id (a Map.get in the caller's compiled snapshot). */
  readonly lookupKey: (accessKeyId: string) => AccessKeyRecord<P> | undefined
  readonly signingKeys: SigningKeyCache
  /** Allowed clock skew for header signatures (and presigned start), default 5 minutes. */
  readonly clockSkewMs?: number
}

export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000

/** Signed-header lists up to this length are scanned linearly instead of put in a Set. */
const LINEAR_SCAN_MAX = 16

/** Verifies `req`; never throws (an unexpected error is a fail-closed ERR_SIGV4_INTERNAL). */
export function verifySigV4<P>(req: RequestContext, opts: SigV4VerifyOptions<P>): SigV4Result<P> {
  try {
    return verifyOrFail(req, opts)
  } catch {
    return sigV4Failure('ERR_SIGV4_INTERNAL', 'InvalidSignatureException', SIGV4_MESSAGES.internal)
  }
}

function fail(
  code: SigV4ErrorCode,
  errorType: SigV4Failure['errorType'],
  message: string,
): SigV4Failure {
  return sigV4Failure(code, errorType, message)
}

/** Shared by every request without a query (most of them): never mutated. */
const NO_QUERY: readonly QueryParameter[] = Object.freeze([])

/**
 * The provided and the expected signature as hex text (64 ASCII bytes), reused by every
 * verification: the check is synchronous, so nothing else can touch them between writing and
 * comparing.
 */
const SIGNATURE_HEX_LENGTH = 64
const providedSignature = Buffer.alloc(SIGNATURE_HEX_LENGTH)
const expectedSignature = Buffer.alloc(SIGNATURE_HEX_LENGTH)

function verifyOrFail<P>(req: RequestContext, opts: SigV4VerifyOptions<P>): SigV4Result<P> {
  // 1. Which form, exactly one of them.
  const authorization = authorizationHeader(req)
  const rawQuery = req.rawQuery
  const queryForm = rawQuery !== '' && hasPresignedQuery(rawQuery)
  if (authorization !== undefined && queryForm) {
    return fail('ERR_SIGV4_BOTH_FORMS', 'InvalidSignatureException', SIGV4_MESSAGES.bothForms)
  }
  if (authorization === undefined && !queryForm) {
    return fail('ERR_SIGV4_MISSING', 'MissingAuthenticationTokenException', SIGV4_MESSAGES.missing)
  }
  const query = rawQuery === '' ? NO_QUERY : parseQuery(rawQuery)
  if (query === undefined) {
    return fail(
      'ERR_SIGV4_MALFORMED_QUERY',
      'IncompleteSignatureException',
      SIGV4_MESSAGES.malformedQuery,
    )
  }

  // 2. Required parameters present (IncompleteSignatureException texts).
  const parsed =
    authorization !== undefined
      ? paramsFromAuthorization(authorization, req.headers)
      : paramsFromQuery(query)
  if (!parsed.ok) return parsed.failure
  const params = parsed.params

  // 3. Timestamp format, then the time window. The ISO basic form (what signers send) is parsed
  // here directly; readTimestamp handles an HTTP Date and builds the error text.
  let amzDate = params.timestamp
  let timeMs = params.timestampSource === 'date' ? undefined : parseAmzDate(amzDate)
  if (timeMs === undefined) {
    const time = readTimestamp(params.timestampSource, params.timestamp)
    if (!time.ok) return time.failure
    amzDate = time.amzDate
    timeMs = time.ms
  }
  let expiresSeconds: number | undefined
  if (params.expires !== undefined) {
    const expires = readExpires(params.expires)
    if (!expires.ok) return expires.failure
    expiresSeconds = expires.seconds
  }
  const windowFailure = checkTimeWindow(
    amzDate,
    timeMs,
    req.timeMs,
    opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS,
    expiresSeconds,
  )
  if (windowFailure !== undefined) return windowFailure

  // 4. Host signed.
  // Lower-cased once; a linear scan of this short list is cheaper than building a Set.
  const signed = lowerCaseAll(params.signedHeaders)
  // A Set only for long lists, so an oversized SignedHeaders cannot make step 8 quadratic.
  const signedSet = signed.length > LINEAR_SCAN_MAX ? new Set(signed) : undefined
  if (!isSigned(signed, signedSet, 'host') && !isSigned(signed, signedSet, ':authority')) {
    return fail(
      'ERR_SIGV4_HOST_NOT_SIGNED',
      'InvalidSignatureException',
      SIGV4_MESSAGES.hostNotSigned,
    )
  }

  // 5. Algorithm (SigV4a and anything else is incomplete).
  if (params.algorithm !== SIGV4_ALGORITHM) {
    return fail(
      'ERR_SIGV4_UNSUPPORTED_ALGORITHM',
      'IncompleteSignatureException',
      SIGV4_MESSAGES.unsupportedAlgorithm(params.algorithm),
    )
  }

  // 6. Credential shape and scope.
  const scope = checkCredentialScope(params.credential, amzDate, opts.region, opts.service)
  if (!scope.ok) return scope.failure

  // 7. Temporary credentials do not exist in Portcullis
  // (docs/aws-semantics.md#temporary-credentials).
  const headers = req.headers
  if (headers.has('x-amz-security-token') || hasParameter(query, 'X-Amz-Security-Token')) {
    return fail(
      'ERR_SIGV4_SESSION_TOKEN',
      'UnrecognizedClientException',
      SIGV4_MESSAGES.invalidToken,
    )
  }

  // 8. Every x-amz-* header sent must be signed, or it could be added or changed in flight.
  for (const name of headers.keys()) {
    if (
      name.length > 6 &&
      name.charCodeAt(0) === 0x78 &&
      name.startsWith('x-amz-') &&
      !isSigned(signed, signedSet, name)
    ) {
      return fail(
        'ERR_SIGV4_UNSIGNED_HEADER',
        'InvalidSignatureException',
        SIGV4_MESSAGES.unsignedHeaders,
      )
    }
  }

  // 9. The key.
  const record = opts.lookupKey(scope.accessKeyId)
  if (record === undefined) {
    return fail('ERR_SIGV4_UNKNOWN_KEY', 'UnrecognizedClientException', SIGV4_MESSAGES.invalidToken)
  }
  if (!record.active) {
    return fail(
      'ERR_SIGV4_INACTIVE_KEY',
      'UnrecognizedClientException',
      SIGV4_MESSAGES.invalidToken,
    )
  }

  // 10. Payload hash, canonical request, string to sign, signature.
  const payload = payloadHashFor(
    req,
    isSigned(signed, signedSet, 'x-amz-content-sha256')
      ? headers.get('x-amz-content-sha256')
      : undefined,
  )
  if (!payload.ok) return payload.failure
  const canonical = canonicalRequestFromQuery(req, query, {
    signedHeaders: params.signedHeaders,
    signedHeadersText: params.signedHeadersText,
    signedHeadersLowerCase: signed,
    payloadHash: payload.payloadHash,
    dropSignature: params.form === 'query',
  })
  const sts = stringToSign(amzDate, scope.scope, canonical)
  const key = opts.signingKeys.getHmacKey(
    scope.accessKeyId,
    record.secretAccessKey,
    scope.date,
    opts.region,
    opts.service,
  )
  // Computed before the format check, so a malformed signature costs the same as a wrong one.
  key.hexInto(sts, expectedSignature)
  if (!signatureMatches(params.signature)) {
    return sigV4Failure(
      'ERR_SIGV4_SIGNATURE_MISMATCH',
      'InvalidSignatureException',
      SIGV4_MESSAGES.signatureMismatch,
      {
        canonicalRequest: canonical,
        stringToSign: sts,
      },
    )
  }
  return {
    ok: true,
    accessKeyId: scope.accessKeyId,
    principal: record.principal,
    form: params.form,
  }
}

function hasParameter(query: readonly QueryParameter[], name: string): boolean {
  for (const p of query) if (p.name === name) return true
  return false
}

function isSigned(
  signed: readonly string[],
  signedSet: ReadonlySet<string> | undefined,
  name: string,
): boolean {
  return signedSet !== undefined ? signedSet.has(name) : signed.includes(name)
}

/** `names` lower-cased, the same array when nothing changes (what compliant signers send). */
function lowerCaseAll(names: readonly string[]): readonly string[] {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    const lower = name.toLowerCase()
    if (lower !== name) return names.map((h) => h.toLowerCase())
  }
  return names
}

/**
 * Constant-time comparison of the provided signature text with the expected lower-case hex in
 * `expectedSignature`. Comparing the hex text rather than decoded bytes needs no format scan and
 * is exactly as strict: the expected bytes are all ASCII `0-9a-f`, so they can only equal the
 * UTF-8 of a 64-code-unit string when every code unit is that same ASCII digit (any other code
 * unit encodes to bytes >= 0x80, and a text that does not fill all 64 bytes is refused before
 * comparing, so no byte of an earlier request is ever compared). Upper-case hex is refused, as
 * before: SigV4 signatures are lower-case.
 */
function signatureMatches(provided: string): boolean {
  // Length checks depend only on attacker-supplied data, never on the expected value.
  if (provided.length !== SIGNATURE_HEX_LENGTH) return false
  if (providedSignature.write(provided, 0, 'utf8') !== SIGNATURE_HEX_LENGTH) return false
  return timingSafeEqual(providedSignature, expectedSignature)
}
