/**
 * The plain-HTTP decision endpoint (`--http-port`) for proxies without gRPC ext_authz: Envoy's
 * HTTP ext_authz service, nginx `auth_request`, Traefik `forwardAuth` (see from-http-request.ts for
 * how each is recognised).
 *
 * Allow → `200`, empty body, the upstream headers (`x-portcullis-*`) as response headers (Envoy
 * `allowed_upstream_headers`, nginx `auth_request_set $x $upstream_http_x_portcullis_principal`,
 * Traefik `authResponseHeaders` copy them from here) and `x-envoy-auth-headers-to-remove` listing
 * the client-sent headers to strip (Envoy applies it; nginx/Traefik configs must overwrite those
 * headers themselves). Deny → the denial's status, headers and body as they are.
 *
 * nginx cannot read an auth subrequest's body, so for nginx subrequests a denial also carries its
 * body in `x-portcullis-denial-body` (JSON with non-ASCII escaped, so it is a valid header value;
 * omitted above 8 KiB): deploy/nginx/ answers the client with it, AWS's exact body and status.
 *
 * Operator notes, fail-closed wise: Envoy's HTTP client counts a 5xx answer as an error, so with
 * `failure_mode_allow: true` our 500 denials would let requests through: keep it false (the
 * default). nginx turns any status other than 2xx/401/403 into a 500 (still a deny).
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Checker, CheckOutcome } from '../decision/check-outcome.js'
import type { DecisionTrace } from '../decision/decision-trace.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { fromHttpRequest } from '../request/from-http-request.js'
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../request/request-parse-result.js'
import { compileTrustedProxies } from '../request/trusted-proxies.js'
import { boundaryDeny } from './boundary-deny.js'
import { outcomeProblem } from './validate-outcome.js'

export interface HttpAuthServerOptions {
  readonly checker: Checker
  /** TCP port; 0 picks a free port (the returned `port` says which). */
  readonly port: number
  /** Bind address. Default `0.0.0.0`. */
  readonly host?: string
  /**
   * Envoy `http_service.path_prefix` (e.g. `/envoy`): requests under it are Envoy HTTP ext_authz
   * checks of the path after it. Must start with `/`; a trailing `/` is ignored.
   */
  readonly pathPrefix?: string
  /** Proxies (CIDRs or addresses) whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto are believed. Default none. */
  readonly trustForwardedFrom?: readonly string[]
  readonly metrics?: Metrics
  readonly logger?: Logger
  /** A logged decision was answered (decision log): called after the answer is sent. */
  readonly onDecided?: (trace: DecisionTrace, seconds: number) => void
  readonly limits?: Partial<RequestLimits>
  /** Socket-level limit for receiving one whole subrequest, in ms. Default 30000. */
  readonly requestTimeoutMs?: number
  /** How long close() lets in-flight requests finish, in ms. Default 5000. */
  readonly shutdownGraceMs?: number
}

export interface RunningHttpServer {
  readonly port: number
  close(): Promise<void>
}

const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove'
const DENIAL_BODY = 'x-portcullis-denial-body'
/** Bound on the denial-body header: nginx's default proxy_buffer_size is 4-8 KiB for all headers. */
const DENIAL_BODY_MAX = 8192

/**
 * The denial body as a header value: JSON re-escaped to printable ASCII (`\uXXXX`), which parses
 * to the same value. Undefined when the body is not JSON or too long for a header.
 */
export function denialBodyHeader(body: string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return undefined
  }
  const ascii = JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return ascii.length > DENIAL_BODY_MAX ? undefined : ascii
}

function normalizePrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix === '' || prefix === '/') return undefined
  if (!prefix.startsWith('/') || /[\s?#]/.test(prefix)) {
    throw new TypeError(`pathPrefix must be a path starting with "/": ${JSON.stringify(prefix)}`)
  }
  return prefix.replace(/\/+$/, '')
}

type BodyRead = { readonly body: Buffer | undefined } | { readonly tooLarge: true }

/** Reads the body up to maxBytes; stops reading (and later closes the connection) beyond it. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? '0')
  if (declared > maxBytes) return Promise.resolve({ tooLarge: true })
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (r: BodyRead): void => {
      if (done) return
      done = true
      resolve(r)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        req.pause()
        finish({ tooLarge: true })
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      finish({ body: size === 0 ? undefined : Buffer.concat(chunks, size) })
    })
    req.on('error', () => {
      finish({ tooLarge: true })
    })
  })
}

function send(
  res: ServerResponse,
  outcome: CheckOutcome,
  closeConnection: boolean,
  bodyInHeader = false,
): void {
  if (outcome.allowed) {
    res.statusCode = 200
    for (const h of outcome.upstreamHeaders) res.setHeader(h.name, h.value)
    if (outcome.headersToRemove.length > 0)
      res.setHeader(HEADERS_TO_REMOVE, outcome.headersToRemove.join(', '))
    if (closeConnection) res.setHeader('connection', 'close')
    res.end()
    return
  }
  res.statusCode = outcome.httpStatus
  for (const h of outcome.headers) res.setHeader(h.name, h.value)
  if (bodyInHeader) {
    const value = denialBodyHeader(outcome.body)
    if (value !== undefined) res.setHeader(DENIAL_BODY, value)
  }
  if (closeConnection) res.setHeader('connection', 'close')
  res.end(outcome.body)
}

export async function startHttpAuthServer(opts: HttpAuthServerOptions): Promise<RunningHttpServer> {
  const { checker, metrics, logger } = opts
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...opts.limits }
  const translate = {
    pathPrefix: normalizePrefix(opts.pathPrefix),
    trustedProxies: compileTrustedProxies(opts.trustForwardedFrom),
    limits,
  }
  const internalDeny = boundaryDeny('ERR_INTERNAL')

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now()
    let outcome: CheckOutcome = internalDeny
    let requestId = ''
    let closeConnection = false
    // nginx auth_request subrequests (X-Original-URI) get denial bodies in a header too.
    const bodyInHeader = req.headers['x-original-uri'] !== undefined
    try {
      const read = await readBody(req, limits.maxBodyBytes)
      if ('tooLarge' in read) {
        closeConnection = true
        outcome = boundaryDeny('ERR_REQUEST_TOO_LARGE')
      } else {
        const parsed = fromHttpRequest(
          {
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headersDistinct,
            httpVersion: req.httpVersion,
            peerAddress: req.socket.remoteAddress,
            body: read.body,
          },
          translate,
        )
        if (parsed.ok) {
          requestId = parsed.request.requestId
          const answer: unknown = await checker.check(parsed.request)
          const problem = outcomeProblem(answer)
          if (problem === undefined) outcome = answer as CheckOutcome
          else
            logger?.error({ requestId, problem }, 'checker returned a malformed outcome; denying')
        } else {
          requestId = parsed.requestId
          outcome = boundaryDeny(parsed.code)
          logger?.info(
            { requestId, code: parsed.code, detail: parsed.detail, flavor: parsed.flavor },
            'auth subrequest rejected',
          )
        }
      }
      send(res, outcome, closeConnection, bodyInHeader)
    } catch (err) {
      // Fail closed: any failure (decider, translation, writing headers) answers 500, never 200.
      logger?.error({ err, requestId }, 'HTTP check failed; denying')
      outcome = internalDeny
      if (!res.headersSent) {
        for (const name of res.getHeaderNames()) res.removeHeader(name)
        send(res, internalDeny, true, bodyInHeader)
      } else {
        res.destroy()
      }
    }
    const seconds = (performance.now() - started) / 1000
    metrics?.observeCheck(outcome, seconds)
    if (outcome.trace !== undefined) opts.onDecided?.(outcome.trace, seconds)
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        {
          requestId,
          decision: outcome.allowed ? 'allow' : 'deny',
          code: outcome.code,
          api: outcome.api,
        },
        'HTTP check answered',
      )
    }
  }

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      keepAliveTimeout: 65_000,
    },
    (req, res) => {
      void handle(req, res)
    },
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  logger?.info({ port, pathPrefix: translate.pathPrefix }, 'HTTP auth server listening')

  let closed: Promise<void> | undefined
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections()
        }, opts.shutdownGraceMs ?? 5000)
        force.unref()
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        server.closeIdleConnections()
      })
      return closed
    },
  }
}
