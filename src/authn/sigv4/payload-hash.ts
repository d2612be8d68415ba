/**
 * Which payload hash goes into the canonical request (reference §0.3): the body when the proxy
 * sent all of it, else a signed `x-amz-content-sha256`, else the empty-body hash when the request
 * evidently has no body; otherwise the body is needed and the request is refused.
 *
 * @module
 */
import type { RequestContext } from '../../request/request-context.js'
import { sha256Hex } from './string-to-sign.js'
import { SIGV4_MESSAGES, sigV4Failure, type SigV4Failure } from './sigv4-result.js'

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/** Methods whose requests carry no body unless they say so with Content-Length/Transfer-Encoding. */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'])

export type PayloadHashResult =
  | { readonly ok: true; readonly payloadHash: string }
  | { readonly ok: false; readonly failure: SigV4Failure }

type PayloadSource = Pick<RequestContext, 'method' | 'headers' | 'body' | 'bodyPartial'>

/**
 * @param signedContentSha256 the `x-amz-content-sha256` value when that header is present (the
 * caller has already refused it unsigned, like every `x-amz-*` header).
 */
export function payloadHashFor(
  req: PayloadSource,
  signedContentSha256: string | undefined,
): PayloadHashResult {
  if (signedContentSha256 !== undefined) {
    const claimed = signedContentSha256.trim()
    // The client declared the body out of the signature: nothing about the body to verify.
    if (claimed === UNSIGNED_PAYLOAD) return { ok: true, payloadHash: claimed }
    if (req.body !== undefined) {
      if (req.bodyPartial) return partial()
      // Signers put the header value in the canonical request; the body must still match it, or
      // a body swapped after signing would pass.
      if (sha256Hex(req.body) !== claimed.toLowerCase()) {
        return {
          ok: false,
          failure: sigV4Failure(
            'ERR_SIGV4_PAYLOAD_HASH_MISMATCH',
            'InvalidSignatureException',
            SIGV4_MESSAGES.signatureMismatch,
          ),
        }
      }
    }
    return { ok: true, payloadHash: claimed }
  }
  if (req.body !== undefined) {
    if (req.bodyPartial) return partial()
    return { ok: true, payloadHash: req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body) }
  }
  const contentLength = req.headers.get('content-length')
  if (contentLength !== undefined && contentLength.trim() === '0')
    return { ok: true, payloadHash: EMPTY_SHA256 }
  if (
    contentLength === undefined &&
    !req.headers.has('transfer-encoding') &&
    BODYLESS_METHODS.has(req.method)
  ) {
    return { ok: true, payloadHash: EMPTY_SHA256 }
  }
  return {
    ok: false,
    failure: sigV4Failure(
      'ERR_SIGV4_BODY_REQUIRED',
      'InvalidSignatureException',
      SIGV4_MESSAGES.bodyRequired,
    ),
  }
}

function partial(): PayloadHashResult {
  return {
    ok: false,
    failure: sigV4Failure(
      'ERR_SIGV4_PARTIAL_BODY',
      'InvalidSignatureException',
      SIGV4_MESSAGES.partialBody,
    ),
  }
}
