/**
 * Both ends of plain HTTP on loopback for tests behind a proxy: a client request whose whole answer
 * (status, headers, body text) is read, and an upstream that records every request it gets and
 * answers `upstream-ok`, so a test can prove what did and did not get through.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HttpAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface HttpRequestOptions {
  readonly port: number
  readonly path: string
  readonly method?: string
  /** Sent as given: include the Host the proxy should see. */
  readonly headers?: Readonly<Record<string, string | string[]>>
  /** One body (sent with Content-Length), or chunks (sent chunked, without a Content-Length). */
  readonly body?: string | Buffer | readonly Buffer[]
}

/** One request to 127.0.0.1:`port`; resolves with the full answer, rejects on a socket error. */
export function httpRequest(opts: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: opts.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: { ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('error', reject)
    const body = opts.body
    if (Array.isArray(body)) {
      for (const chunk of body as readonly Buffer[]) req.write(chunk)
      req.end()
    } else req.end(body)
  })
}

/** What the upstream saw of one request. */
export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

export interface RecordingUpstream {
  readonly port: number
  /** Every request so far, oldest first; emptied by {@link RecordingUpstream.reset}. */
  readonly seen: SeenRequest[]
  readonly reset: () => void
  readonly close: () => Promise<void>
}

/** An upstream on 127.0.0.1 (OS-assigned port) that records each request, then answers 200. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    req.resume()
    req.on('end', () => res.end('upstream-ok'))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    reset: () => {
      seen.length = 0
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => {
          r()
        })
      }),
  }
}
