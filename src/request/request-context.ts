/**
 * The request model every decision reads: one translation of an Envoy CheckRequest (or an HTTP
 * auth subrequest from nginx / Traefik / Envoy's http_service) into plain, documented fields, done
 * once per request at the server boundary so that no later phase touches protobuf or raw HTTP.
 *
 * @module
 */

/** HTTP request attributes as the proxy saw them. */
export interface RequestContext {
  /** Unique per check; Envoy's `x-request-id` when present, else generated. */
  readonly requestId: string
  /** Upper-case HTTP method (`GET`, `POST`, ...). */
  readonly method: string
  /** Path exactly as received on the wire, percent-encoding intact, without the query string. */
  readonly path: string
  /** Query string as received, without the leading `?`; `''` when absent. */
  readonly rawQuery: string
  /** `:authority` / `Host` as sent, possibly with a port. */
  readonly authority: string
  /** Host name, lower-cased, port stripped: what API resolution matches against `hosts[]`. */
  readonly host: string
  /** `http` or `https` as Envoy reports it (feeds `aws:SecureTransport`). */
  readonly scheme: string
  /** `HTTP/1.1`, `HTTP/2`, ... as Envoy reports it. */
  readonly protocol: string
  /**
   * Request headers with lower-case names. Repeated headers are joined with `,` in the order
   * received — what Envoy's CheckRequest `headers` map already does, and what SigV4 canonical
   * headers require. Pseudo-headers (`:method`, `:path`, `:authority`) are not included.
   */
  readonly headers: ReadonlyMap<string, string>
  /** Request body bytes when the proxy sent them (Envoy `with_request_body`); else undefined. */
  readonly body: Buffer | undefined
  /** True when the proxy sent only part of the body (`x-envoy-auth-partial-body: true`). */
  readonly bodyPartial: boolean
  /** Downstream client IP address (no port) when known. */
  readonly sourceIp: string | undefined
  /** Peer identity from mTLS, e.g. `spiffe://cluster.local/ns/web/sa/frontend`, when known. */
  readonly sourcePrincipal: string | undefined
  /** Envoy per-route `context_extensions` (e.g. `portcullis.dev/api: shop/petstore`). */
  readonly contextExtensions: ReadonlyMap<string, string>
  /** Wall-clock time of the request in epoch milliseconds, fixed once per check. */
  readonly timeMs: number
}
