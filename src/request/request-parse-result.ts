/**
 * What translating a wire request into a RequestContext yields: the context, or a stable error
 * code the server turns into a deny (see `src/servers/boundary-deny.ts`). Translation never throws.
 *
 * @module
 */
import type { RequestContext } from './request-context.js'

/**
 * Why a wire request could not become a RequestContext. Each code is a deny, never an allow:
 * - `ERR_REQUEST_MALFORMED`: required attributes absent (no `attributes.request.http`, no method,
 *   no path), header bytes that are not UTF-8, a header name beyond ASCII, an unrecognisable HTTP
 *   auth subrequest.
 * - `ERR_REQUEST_TOO_LARGE`: headers, header count, context extensions or body over the limits.
 * - `ERR_REQUEST_INVALID_PATH`: a request target that no HTTP/1.1 or HTTP/2 peer can send
 *   (not origin-form, control characters, whitespace, non-ASCII bytes), or an authority that is
 *   not a plain `host[:port]` (userinfo, non-ASCII): AWS's 400 `Invalid request path` is the
 *   nearest answer it has for a request it cannot place.
 */
export type RequestErrorCode =
  'ERR_REQUEST_MALFORMED' | 'ERR_REQUEST_TOO_LARGE' | 'ERR_REQUEST_INVALID_PATH'

export type RequestParseResult =
  | { readonly ok: true; readonly request: RequestContext }
  | {
      readonly ok: false
      readonly code: RequestErrorCode
      /** Human-readable detail for logs (never echoed to the client). */
      readonly detail: string
      /** Best-effort request id so the denial can still be correlated in logs. */
      readonly requestId: string
    }

/** Size limits applied while translating; every request path is bounded. */
export interface RequestLimits {
  /** Sum of header name and value lengths, in bytes (UTF-16 units). Default 98304 (96 KiB; Envoy's default is 60 KiB). */
  readonly maxHeaderBytes: number
  /** Number of distinct header names. Default 256 (Envoy's default max_headers_count is 100). */
  readonly maxHeaderCount: number
  /** Request body bytes. Default 10485760 (10 MiB, API Gateway's payload limit). */
  readonly maxBodyBytes: number
  /** Number of context extensions. Default 64. */
  readonly maxContextExtensions: number
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = Object.freeze({
  maxHeaderBytes: 96 * 1024,
  maxHeaderCount: 256,
  maxBodyBytes: 10 * 1024 * 1024,
  maxContextExtensions: 64,
})
