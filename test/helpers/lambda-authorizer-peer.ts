/**
 * Real HTTP authorizer endpoints on loopback (port 0) for the Lambda authorizer tests: a small
 * server that records every event it receives and answers through a handler, plus request and
 * policy-compiler helpers shared by the unit and integration tests.
 *
 * @module
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthorizerRequest } from '../../src/authn/lambda/authorizer-request.js'
import type { RequestContext } from '../../src/request/request-context.js'

export interface PeerAnswer {
  readonly status?: number
  readonly headers?: Record<string, string>
  /** Object → JSON; string/Buffer → sent as is. */
  readonly body?: unknown
  /** Wait before answering (slow authorizer). */
  readonly delayMs?: number
  /** Destroy the socket instead of answering (connection reset). */
  readonly reset?: boolean
}

export type PeerHandler = (
  event: Record<string, unknown>,
  req: http.IncomingMessage,
) => PeerAnswer | Promise<PeerAnswer>

export interface AuthorizerPeer {
  readonly url: string
  /** Number of requests received (each is one authorizer invocation). */
  calls: number
  /** Parsed events, in arrival order. */
  readonly events: Record<string, unknown>[]
  /** Distinct client sockets seen (keep-alive proof). */
  readonly sockets: Set<unknown>
  close(): Promise<void>
}

export async function startAuthorizerPeer(
  handler: PeerHandler,
  path = '/',
): Promise<AuthorizerPeer> {
  const events: Record<string, unknown>[] = []
  const sockets = new Set<unknown>()
  const peer = { calls: 0, events, sockets } as { calls: number } & Partial<AuthorizerPeer>
  const server = http.createServer((req, res) => {
    sockets.add(req.socket)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || req.url !== path) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}')
          return
        }
        peer.calls++
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
        events.push(event)
        const answer = await handler(event, req)
        if (answer.delayMs !== undefined) {
          await new Promise((r) => setTimeout(r, answer.delayMs))
        }
        if (answer.reset === true) {
          req.socket.destroy()
          return
        }
        const body =
          typeof answer.body === 'string' || Buffer.isBuffer(answer.body)
            ? answer.body
            : JSON.stringify(answer.body ?? {})
        if (res.destroyed) return
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          ...answer.headers,
        })
        res.end(body)
      })()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(peer, {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }) as AuthorizerPeer
}

/** A RequestContext with sensible defaults; headers given with any case are lower-cased. */
export function requestContext(
  over: Partial<Omit<RequestContext, 'headers'>> & {
    headers?: Record<string, string>
  } = {},
): RequestContext {
  const headers = new Map<string, string>()
  for (const [k, v] of Object.entries(over.headers ?? {})) headers.set(k.toLowerCase(), v)
  return {
    requestId: 'req-1',
    method: 'GET',
    path: '/pets/1',
    rawQuery: '',
    authority: 'petstore.example.com',
    host: 'petstore.example.com',
    scheme: 'https',
    protocol: 'HTTP/1.1',
    body: undefined,
    bodyPartial: false,
    sourceIp: '192.0.2.10',
    sourcePrincipal: undefined,
    contextExtensions: new Map(),
    timeMs: Date.UTC(2024, 0, 2, 3, 4, 5),
    ...over,
    headers,
  }
}

/** An AuthorizerRequest for API `petstore` / stage `prod` in us-east-1 / 111122223333. */
export function authorizerRequest(
  over: Partial<Omit<AuthorizerRequest, 'req'>> & { req?: RequestContext } = {},
): AuthorizerRequest {
  const req = over.req ?? requestContext()
  return {
    accountId: '111122223333',
    apiId: 'petstore',
    region: 'us-east-1',
    stage: 'prod',
    stageVariables: {},
    resourcePath: '/pets/{petId}',
    pathParameters: { petId: '1' },
    routeKey: 'GET /pets/{petId}',
    domainName: 'petstore.example.com',
    methodArn: `arn:aws:execute-api:us-east-1:111122223333:petstore/prod/${req.method}${req.path}`,
    ...over,
    req,
  }
}

/**
 * Minimal validating stand-in for the policy engine's `compilePolicy(doc, {kind:'authorizer'})`.
 * TODO(integrator): replace with the real compiler from src/policy/index.ts once it exists; the
 * runtime only needs {ok, policy} | {ok, errors}.
 */
export interface StandInPolicy {
  readonly statements: readonly {
    readonly effect: 'Allow' | 'Deny'
    readonly actions: readonly string[]
    readonly resources: readonly string[]
  }[]
}

export function standInCompilePolicy(
  doc: unknown,
):
  { ok: true; policy: StandInPolicy } | { ok: false; errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = []
  const strings = (v: unknown, path: string): string[] => {
    const list = Array.isArray(v) ? (v as unknown[]) : [v]
    if (list.length === 0 || !list.every((x) => typeof x === 'string')) {
      errors.push({ path, message: 'must be a string or a non-empty array of strings' })
      return []
    }
    return list as string[]
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: '', message: 'policy must be an object' }] }
  }
  const d = doc as Record<string, unknown>
  if (
    d['Version'] !== undefined &&
    d['Version'] !== '2012-10-17' &&
    d['Version'] !== '2008-10-17'
  ) {
    errors.push({ path: 'Version', message: 'unsupported version' })
  }
  const raw = d['Statement']
  const stmts = Array.isArray(raw) ? (raw as unknown[]) : raw === undefined ? [] : [raw]
  if (stmts.length === 0) errors.push({ path: 'Statement', message: 'is required' })
  const statements = stmts.map((s, i) => {
    const st = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>
    const effect = st['Effect']
    if (effect !== 'Allow' && effect !== 'Deny') {
      errors.push({ path: `Statement[${i}].Effect`, message: 'must be Allow or Deny' })
    }
    return {
      effect: effect === 'Deny' ? ('Deny' as const) : ('Allow' as const),
      actions: strings(st['Action'], `Statement[${i}].Action`),
      resources: strings(st['Resource'], `Statement[${i}].Resource`),
    }
  })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: { statements } }
}
