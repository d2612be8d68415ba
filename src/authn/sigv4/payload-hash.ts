/**
 * Which payload hash goes into the canonical request: the body when the proxy
 * sent all of it (a signed `x-amz-content-sha256` must then match it), else a signed
 * `x-amz-content-sha256` (`UNSIGNED-PAYLOAD` included), else the empty-body hash when the request
 * evidently has no body; otherwise the body is needed and the request is refused. A partial body
 * is always refused. Our decision where AWS is silent: docs/aws-semantics.md#payload-hash.
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
 * The order is the rule: a body the proxy sent is the body the upstream receives, so once it is
 * here it alone decides the payload hash, and a claim about it (a hash, or `UNSIGNED-PAYLOAD`,
 * which names none) is only accepted when it matches. A claim stands in for the body only when
 * the proxy did not send one.
 *
 * @param signedContentSha256 the `x-amz-content-sha256` value when that header is present (the
 * caller has already refused it unsigned, like every `x-amz-*` header).
 */
export function payloadHashFor(
  req: PayloadSource,
  signedContentSha256: string | undefined,
): PayloadHashResult {
  // A truncated body can be neither hashed nor compared with a claim. Refused even when no body
  // bytes came with the marker: a request that says it was cut short is not verified as whole.
  if (req.bodyPartial) return partial()
  if (req.body !== undefined) {
    const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body)
    if (signedContentSha256 === undefined) return { ok: true, payloadHash: actual }
    const claimed = signedContentSha256.trim()
    if (claimed === UNSIGNED_PAYLOAD) {
      // Accepting it would let a body swapped after signing through unchecked.
      return {
        ok: false,
        failure: sigV4Failure(
          'ERR_SIGV4_UNSIGNED_PAYLOAD',
          'InvalidSignatureException',
          SIGV4_MESSAGES.unsignedPayloadWithBody,
        ),
      }
    }
    // Signers put the header value in the canonical request; the body must match it.
    if (claimed.toLowerCase() !== actual) {
      return {
        ok: false,
        failure: sigV4Failure(
          'ERR_SIGV4_PAYLOAD_HASH_MISMATCH',
          'InvalidSignatureException',
          SIGV4_MESSAGES.signatureMismatch,
        ),
      }
    }
    return { ok: true, payloadHash: claimed }
  }
  // No body to check: the signed claim is what the client signed (UNSIGNED-PAYLOAD included).
  if (signedContentSha256 !== undefined)
    return { ok: true, payloadHash: signedContentSha256.trim() }
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
