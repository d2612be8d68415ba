/**
 * The metrics-port server (docs/README.md#ports): `GET /healthz` (200 while the process serves),
 * `GET /readyz` (200 once a configuration snapshot is loaded, 503 before), `GET /metrics`
 * (Prometheus text format from our own registry).
 *
 * @module
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'

export interface AdminServerOptions {
  /** TCP port; 0 picks a free port. */
  readonly port: number
  /** Bind address. Default `0.0.0.0`. */
  readonly host?: string
  /** Readiness (usually `checker.ready()`). */
  readonly ready: () => boolean
  readonly metrics: Metrics
  readonly logger?: Logger
}

export interface RunningAdminServer {
  readonly port: number
  /** After close() begins, /healthz and /readyz answer 503 so probes stop routing to us. */
  close(): Promise<void>
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  })
  res.end(body)
}

export async function startAdminServer(opts: AdminServerOptions): Promise<RunningAdminServer> {
  let closing = false
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      text(res, 405, 'method not allowed\n')
      return
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/'
    switch (path) {
      case '/healthz':
        text(res, closing ? 503 : 200, closing ? 'shutting down\n' : 'ok\n')
        return
      case '/readyz': {
        let ready = false
        try {
          ready = !closing && opts.ready()
        } catch (err) {
          opts.logger?.error({ err }, 'readiness check threw; reporting not ready')
        }
        text(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n')
        return
      }
      case '/metrics':
        opts.metrics.render().then(
          (body) => {
            res.writeHead(200, { 'content-type': opts.metrics.contentType })
            res.end(body)
          },
          (err: unknown) => {
            opts.logger?.error({ err }, 'rendering metrics failed')
            text(res, 500, 'metrics unavailable\n')
          },
        )
        return
      default:
        text(res, 404, 'not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  opts.logger?.info({ port }, 'admin server listening (/healthz /readyz /metrics)')
  let closed: Promise<void> | undefined
  return {
    port,
    close() {
      closing = true
      closed ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        server.closeIdleConnections()
      })
      return closed
    },
  }
}
