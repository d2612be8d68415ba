/**
 * AWS Signature V4 verification for `AWS_IAM` methods: the public surface of `authn/sigv4`.
 *
 * @module
 */
export { detectSigV4, hasPresignedQuery, type SigV4Presence } from './detect-sigv4.js'
export {
  verifySigV4,
  DEFAULT_CLOCK_SKEW_MS,
  type AccessKeyRecord,
  type SigV4VerifyOptions,
} from './verify-sigv4.js'
export {
  SIGV4_MESSAGES,
  mismatchMessageWithDetails,
  type SigV4Diagnostics,
  type SigV4ErrorCode,
  type SigV4ErrorType,
  type SigV4Failure,
  type SigV4Result,
  type SigV4Success,
} from './sigv4-result.js'
export { SigningKeyCache, deriveSigningKey } from './signing-key.js'
export {
  canonicalRequest,
  canonicalRequestFromQuery,
  type CanonicalRequestInput,
  type CanonicalRequestOptions,
} from './canonical-request.js'
export { canonicalUri, normalizeUriPath, type CanonicalUriOptions } from './canonical-uri.js'
export {
  canonicalQuery,
  parseQuery,
  type CanonicalQueryOptions,
  type QueryParameter,
} from './canonical-query.js'
export { canonicalHeaders, canonicalHeaderValue, type HeaderSource } from './canonical-headers.js'
export { stringToSign, credentialScope, sha256Hex, SIGV4_ALGORITHM } from './string-to-sign.js'
export { payloadHashFor, EMPTY_SHA256, UNSIGNED_PAYLOAD } from './payload-hash.js'
export { formatAmzDate, parseAmzDate, MAX_EXPIRES_SECONDS } from './sigv4-timestamp.js'
export { uriEncode, percentDecode } from './uri-encode.js'
