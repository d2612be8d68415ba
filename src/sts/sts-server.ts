/**
 * The STS endpoint (`serve --sts-port`): AWS's Query API on `/`, as a form POST or a GET,
 * `Version=2011-06-15`, answering `Action=AssumeRoleWithWebIdentity` in STS's XML; HTTPS when
 * given a certificate. The call is unsigned on AWS too: the web identity token is the credential.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

import type { Logger } from '../observability/logger.js'
import type { AssumeResult, StsService } from './assume-role-with-web-identity.js'
import { STS_MESSAGES, stsError, type StsError } from './sts-errors.js'
import { assumeRoleWithWebIdentityXml, stsErrorXml } from './sts-xml.js'

export const STS_API_VERSION = '2011-06-15'
/** The one action served. */
export const STS_ACTION = 'AssumeRoleWithWebIdentity'
/** A web identity token is at most 20 000 characters; the rest of a request is small. */
const MAX_BODY_BYTES = 64 * 1024

export interface StsServerOptions {
  /** TCP port; 0 picks a free port. */
  readonly port: number
  /** Bind address. Default `0.0.0.0`. */
  readonly host?: string
  readonly service: StsService
  /** PEM certificate chain and key: HTTPS when both are given. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  readonly logger?: Logger
  /**
   * Called once per answered request (metrics): `action` is {@link STS_ACTION} or `other`,
   * `result` is `success` or the STS error code; `seconds` from the request to its answer.
   */
  readonly onResult?: (action: string, result: string, seconds: number) => void
}

export interface RunningStsServer {
  readonly port: number
  readonly protocol: 'http' | 'https'
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'cache-control': 'no-store',
  })
  res.end(body)
}

type BodyResult = { ok: true; text: string } | { ok: false; error: StsError }

function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        done = true
        resolve({
          ok: false,
          error: stsError('ValidationError', 'Request body exceeds the maximum allowed size'),
        })
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!done) resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') })
      done = true
    })
    req.on('error', () => {
      if (!done) {
        resolve({ ok: false, error: stsError('ValidationError', 'The request body is incomplete') })
      }
      done = true
    })
  })
}

/** Query parameters; a repeated one is refused (AWS's Query API reads one value per member). */
function parseParams(text: string): Map<string, string> | StsError {
  const params = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (params.has(name)) {
      return stsError('InvalidParameterValue', `Parameter ${name} must appear only once`)
    }
    params.set(name, value)
  }
  return params
}

/** `seen.action` becomes {@link STS_ACTION} once the request names it (a bounded metric label). */
async function handle(
  req: IncomingMessage,
  opts: StsServerOptions,
  seen: { action: string },
): Promise<AssumeResult> {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  if (path !== '/') return stsError('InvalidAction', STS_MESSAGES.invalidAction(path.slice(0, 64)))
  let text: string
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase()
    if (type !== 'application/x-www-form-urlencoded') {
      return stsError(
        'InvalidParameterValue',
        'Content-Type must be application/x-www-form-urlencoded',
      )
    }
    const body = await readBody(req)
    if (!body.ok) return body.error
    text = body.text
  } else if (req.method === 'GET') {
    text = q < 0 ? '' : url.slice(q + 1)
  } else {
    return stsError('InvalidAction', STS_MESSAGES.invalidAction(req.method ?? ''))
  }
  const params = parseParams(text)
  if (!(params instanceof Map)) return params
  const action = params.get('Action')
  if (action === undefined) return stsError('MissingAction', STS_MESSAGES.missingAction)
  if (action !== STS_ACTION) {
    return stsError('InvalidAction', STS_MESSAGES.invalidAction(action.slice(0, 64)))
  }
  seen.action = STS_ACTION
  const version = params.get('Version')
  if (version !== STS_API_VERSION) {
    return stsError('InvalidAction', STS_MESSAGES.invalidVersion((version ?? '').slice(0, 32)))
  }
  return opts.service.assumeRoleWithWebIdentity({
    RoleArn: params.get('RoleArn'),
    RoleSessionName: params.get('RoleSessionName'),
    WebIdentityToken: params.get('WebIdentityToken'),
    DurationSeconds: params.get('DurationSeconds'),
    Policy: params.get('Policy'),
  })
}

export async function startStsServer(opts: StsServerOptions): Promise<RunningStsServer> {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID()
    const started = performance.now()
    const seen = { action: 'other' }
    handle(req, opts, seen)
      .catch(() => stsError('InternalFailure', STS_MESSAGES.internal))
      .then((result) => {
        opts.onResult?.(
          seen.action,
          result.ok ? 'success' : result.code,
          (performance.now() - started) / 1000,
        )
        if (result.ok) {
          // Never log the credentials; the session identity is enough to audit the exchange.
          opts.logger?.info(
            { requestId, assumedRole: result.assumedRoleArn, provider: result.provider.name },
            'sts: role assumed with web identity',
          )
          send(res, 200, requestId, assumeRoleWithWebIdentityXml(result, requestId))
        } else {
          opts.logger?.info({ requestId, code: result.code }, 'sts: request refused')
          send(res, result.status, requestId, stsErrorXml(result, requestId))
        }
      })
      .catch(() => {
        res.destroy()
      })
  }
  const server =
    opts.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const protocol = opts.tls === undefined ? 'http' : 'https'
  opts.logger?.info({ port, protocol }, 'sts server listening (AssumeRoleWithWebIdentity)')
  let closed: Promise<void> | undefined
  return {
    port,
    protocol,
    close() {
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
