/**
 * Bounded JSON POST to an authorizer endpoint: one deadline for the whole call (connect, send,
 * response), a hard cap on response bytes (aborts as soon as it is exceeded), keep-alive through
 * the caller's Agent. Never rejects: failures are values.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'

export interface PostJsonOptions {
  readonly agent: http.Agent
  readonly timeoutMs: number
  readonly maxResponseBytes: number
}

export type PostJsonResult =
  | {
      readonly ok: true
      readonly status: number
      readonly headers: http.IncomingHttpHeaders
      readonly body: Buffer
    }
  | {
      readonly ok: false
      readonly code: 'ERR_LAMBDA_TIMEOUT' | 'ERR_LAMBDA_UNREACHABLE' | 'ERR_LAMBDA_TOO_LARGE'
      readonly detail: string
    }

type Attempt = PostJsonResult | (PostJsonResult & { readonly ok: false; readonly retry: true })

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined ? `${code}: ${err.message}` : err.message
}

function attempt(
  uri: string,
  payload: Buffer,
  opts: PostJsonOptions,
  deadline: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const remaining = deadline - performance.now()
    if (remaining <= 0) {
      resolve({
        ok: false,
        code: 'ERR_LAMBDA_TIMEOUT',
        detail: `no answer within ${opts.timeoutMs} ms`,
      })
      return
    }
    const mod = uri.startsWith('https:') ? https : http
    let req: http.ClientRequest
    try {
      req = mod.request(uri, {
        method: 'POST',
        agent: opts.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          accept: 'application/json',
          'user-agent': 'portcullis',
        },
      })
    } catch (err) {
      resolve({ ok: false, code: 'ERR_LAMBDA_UNREACHABLE', detail: describe(err) })
      return
    }
    let settled = false
    const timer = setTimeout(() => {
      finish({
        ok: false,
        code: 'ERR_LAMBDA_TIMEOUT',
        detail: `no answer within ${opts.timeoutMs} ms`,
      })
      req.destroy()
    }, remaining)
    const finish = (r: Attempt): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const tooLarge = (): void => {
      finish({
        ok: false,
        code: 'ERR_LAMBDA_TOO_LARGE',
        detail: `response larger than ${opts.maxResponseBytes} bytes`,
      })
      req.destroy()
    }
    let gotResponse = false
    req.on('response', (res) => {
      gotResponse = true
      res.on('error', (err) => {
        finish({ ok: false, code: 'ERR_LAMBDA_UNREACHABLE', detail: describe(err) })
      })
      const declared = Number(res.headers['content-length'])
      if (Number.isFinite(declared) && declared > opts.maxResponseBytes) {
        tooLarge()
        res.destroy()
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (settled) return
        size += chunk.length
        if (size > opts.maxResponseBytes) {
          tooLarge()
          res.destroy()
          return
        }
        chunks.push(chunk)
      })
      res.on('end', () => {
        finish({
          ok: true,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks, size),
        })
      })
      res.on('close', () => {
        if (!res.complete) {
          finish({
            ok: false,
            code: 'ERR_LAMBDA_UNREACHABLE',
            detail: 'connection closed before the response ended',
          })
        }
      })
    })
    req.on('error', (err) => {
      // A keep-alive socket the server closed while idle fails on reuse with ECONNRESET before any
      // answer: retrying once on a fresh socket is Node's documented remedy (req.reusedSocket).
      const retry =
        req.reusedSocket && !gotResponse && (err as NodeJS.ErrnoException).code === 'ECONNRESET'
      finish({
        ok: false,
        code: 'ERR_LAMBDA_UNREACHABLE',
        detail: describe(err),
        ...(retry ? { retry: true as const } : {}),
      })
    })
    req.end(payload)
  })
}

export async function postJson(
  uri: string,
  payload: Buffer,
  opts: PostJsonOptions,
): Promise<PostJsonResult> {
  const deadline = performance.now() + opts.timeoutMs
  const first = await attempt(uri, payload, opts, deadline)
  if (!first.ok && 'retry' in first) {
    const second = await attempt(uri, payload, opts, deadline)
    if (!second.ok && 'retry' in second) {
      return { ok: false, code: second.code, detail: second.detail }
    }
    return second
  }
  return first
}
