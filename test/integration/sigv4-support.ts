/**
 * Test support for the SigV4 verifier: RequestContext construction, an HTTP/1.1 message parser for
 * AWS's test-suite files, and a loopback server that captures requests exactly as sent.
 *
 * @module
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

import type { RequestContext } from '../../src/request/request-context.js'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RequestParts {
  readonly method?: string
  readonly path?: string
  readonly rawQuery?: string
  readonly authority?: string
  readonly headers?: Iterable<readonly [string, string]>
  readonly body?: Buffer | undefined
  readonly bodyPartial?: boolean
  readonly timeMs?: number
}

/** A RequestContext as the server boundary would build it (headers lower-cased). */
export function makeRequest(parts: RequestParts): RequestContext {
  const authority = parts.authority ?? 'example.amazonaws.com'
  const headers = new Map<string, string>()
  for (const [name, value] of parts.headers ?? []) headers.set(name.toLowerCase(), value)
  return {
    requestId: 'test',
    method: parts.method ?? 'GET',
    path: parts.path ?? '/',
    rawQuery: parts.rawQuery ?? '',
    authority,
    host: authority.replace(/:\d+$/, '').toLowerCase(),
    scheme: 'https',
    protocol: 'HTTP/1.1',
    headers,
    body: parts.body,
    bodyPartial: parts.bodyPartial ?? false,
    sourceIp: '127.0.0.1',
    sourcePrincipal: undefined,
    contextExtensions: new Map(),
    timeMs: parts.timeMs ?? Date.now(),
  }
}

/** Splits `/p?q` into the wire path and raw query, as Envoy's `:path` is split. */
export function splitTarget(target: string): { path: string; rawQuery: string } {
  const q = target.indexOf('?')
  return q < 0
    ? { path: target, rawQuery: '' }
    : { path: target.slice(0, q), rawQuery: target.slice(q + 1) }
}

/**
 * Reads one of the suite's HTTP/1.1 message files. Repeated headers are joined with `,` in order
 * and obs-fold continuation lines are kept (joined with `\n`), exactly the raw material a server
 * would see; `Host` becomes the authority, as Envoy turns it into `:authority`. Requests without
 * a body get an empty body Buffer (what Envoy's `with_request_body` delivers for them).
 */
export function parseHttpMessage(text: string, timeMs: number): RequestContext {
  const lines = text.split('\n')
  const requestLine = lines[0] ?? ''
  const method = requestLine.slice(0, requestLine.indexOf(' '))
  const target = requestLine.slice(requestLine.indexOf(' ') + 1, requestLine.lastIndexOf(' '))
  const fields: [string, string][] = []
  let i = 1
  for (; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '') break
    const last = fields.at(-1)
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      last[1] += `\n${line}`
      continue
    }
    const colon = line.indexOf(':')
    fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1)])
  }
  const body = Buffer.from(lines.slice(i + 1).join('\n'), 'utf8')
  const headers = new Map<string, string>()
  let authority = ''
  for (const [name, value] of fields) {
    if (name === 'host') {
      authority = value.trim()
      continue
    }
    const prev = headers.get(name)
    headers.set(name, prev === undefined ? value : `${prev},${value}`)
  }
  const { path: wirePath, rawQuery } = splitTarget(target)
  return makeRequest({ method, path: wirePath, rawQuery, authority, headers, body, timeMs })
}

/** What a loopback server saw: the raw request line target, headers and body as sent. */
export interface CapturedRequest {
  readonly method: string
  readonly target: string
  readonly rawHeaders: readonly string[]
  readonly body: Buffer
}

/** Turns a capture into the RequestContext Envoy would hand over (repeated headers joined). */
export function requestFromCapture(c: CapturedRequest, timeMs: number): RequestContext {
  const headers = new Map<string, string>()
  let authority = ''
  for (let i = 0; i + 1 < c.rawHeaders.length; i += 2) {
    const name = (c.rawHeaders[i] as string).toLowerCase()
    const value = c.rawHeaders[i + 1] as string
    if (name === 'host') {
      authority = value
      continue
    }
    const prev = headers.get(name)
    headers.set(name, prev === undefined ? value : `${prev},${value}`)
  }
  const { path: wirePath, rawQuery } = splitTarget(c.target)
  // Envoy forwards the body when configured; a request without one arrives as an empty body.
  return makeRequest({
    method: c.method,
    path: wirePath,
    rawQuery,
    authority,
    headers,
    body: c.body,
    timeMs,
  })
}

export interface CaptureServer {
  readonly port: number
  /** Resolves with the next request the server receives. */
  next(): Promise<CapturedRequest>
  close(): Promise<void>
}

/** A loopback HTTP server on an OS-assigned port that records each request byte-exactly. */
export async function startCaptureServer(): Promise<CaptureServer> {
  const waiting: ((c: CapturedRequest) => void)[] = []
  const queued: CapturedRequest[] = []
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const captured: CapturedRequest = {
        method: req.method ?? '',
        target: req.url ?? '',
        rawHeaders: [...req.rawHeaders],
        body: Buffer.concat(chunks),
      }
      const w = waiting.shift()
      if (w !== undefined) w(captured)
      else queued.push(captured)
      res.end('captured')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    next: () =>
      new Promise<CapturedRequest>((resolve) => {
        const q = queued.shift()
        if (q !== undefined) resolve(q)
        else waiting.push(resolve)
      }),
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((e) => {
          if (e) reject(e)
          else resolve()
        }),
      ),
  }
}
