/**
 * Assembles the SigV4 canonical request from the request as the proxy handed it over.
 *
 * @module
 */
import { canonicalHeaders, type HeaderSource } from './canonical-headers.js'
import {
  canonicalQueryFromParams,
  parseQuery,
  type CanonicalQueryOptions,
  type QueryParameter,
} from './canonical-query.js'
import { canonicalUri, type CanonicalUriOptions } from './canonical-uri.js'

export interface CanonicalRequestInput extends HeaderSource {
  /** Upper-case method as received. */
  readonly method: string
  /** Path as received on the wire, percent-encoding intact, without the query. */
  readonly path: string
  /** Query as received, without `?`. */
  readonly rawQuery: string
}

export interface CanonicalRequestOptions {
  /** `SignedHeaders` as the client listed them. */
  readonly signedHeaders: readonly string[]
  /**
   * `SignedHeaders` as sent, when the caller has it (the verifier does): the same text as
   * `signedHeaders.join(';')`, without joining again.
   */
  readonly signedHeadersText?: string
  /** `signedHeaders` lower-cased, when the caller has them (to look the values up). */
  readonly signedHeadersLowerCase?: readonly string[]
  /** Lower-case hex SHA-256 of the payload, or the signed `x-amz-content-sha256` value. */
  readonly payloadHash: string
  /** Presigned form: leave `X-Amz-Signature` out of the canonical query. */
  readonly dropSignature: boolean
  /** Path normalisation (default true; see {@link canonicalUri}). */
  readonly normalizePath?: boolean
}

/**
 * `Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload`.
 * Service-agnostic. Returns undefined when the query holds an invalid percent-escape.
 */
export function canonicalRequest(
  req: CanonicalRequestInput,
  options: CanonicalRequestOptions,
): string | undefined {
  const query = parseQuery(req.rawQuery)
  return query === undefined ? undefined : canonicalRequestFromQuery(req, query, options)
}

/** Same as {@link canonicalRequest} with the query already parsed (the verifier parses it once). */
export function canonicalRequestFromQuery(
  req: Omit<CanonicalRequestInput, 'rawQuery'>,
  query: readonly QueryParameter[],
  options: CanonicalRequestOptions,
): string {
  // One concatenation instead of an array and a join: this runs on every signed request.
  return (
    req.method +
    '\n' +
    canonicalUri(req.path, options.normalizePath === false ? RAW_PATH : NORMALIZED_PATH) +
    '\n' +
    (query.length === 0
      ? ''
      : canonicalQueryFromParams(query, options.dropSignature ? DROP_SIGNATURE : KEEP_SIGNATURE)) +
    '\n' +
    canonicalHeaders(req, options.signedHeaders, options.signedHeadersLowerCase) +
    '\n' +
    (options.signedHeadersText ?? options.signedHeaders.join(';')) +
    '\n' +
    options.payloadHash
  )
}

// Option objects built once, not per request.
const NORMALIZED_PATH: CanonicalUriOptions = { normalize: true }
const RAW_PATH: CanonicalUriOptions = { normalize: false }
const DROP_SIGNATURE: CanonicalQueryOptions = { dropSignature: true }
const KEEP_SIGNATURE: CanonicalQueryOptions = { dropSignature: false }
