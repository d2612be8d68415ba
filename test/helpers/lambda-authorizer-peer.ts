/**
 * Real HTTP authorizer endpoints on loopback (port 0) for the Lambda authorizer tests: a small
 * server that records every event it receives and answers through a handler, plus request
 * builders and the real policy compiler / evaluator bound as the check path uses them.
 *
 * @module
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthorizerRequest } from '../../src/authn/lambda/authorizer-request.js'
import {
  compilePolicy,
  evaluatePolicies,
  type CompiledPolicy,
  type CompilePolicyResult,
  type EvaluationDecision,
} from '../../src/policy/index.js'
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
        server.close(() => {
          resolve()
        })
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

/** The real policy engine's compiler, bound as the check path binds it for authorizer outputs. */
export function compileAuthorizerPolicy(doc: unknown): CompilePolicyResult {
  return compilePolicy(doc, { kind: 'authorizer' })
}

/** Evaluates an authorizer's compiled policy against one methodArn (anonymous caller). */
export function decisionFor(policy: CompiledPolicy, methodArn: string): EvaluationDecision {
  return evaluatePolicies([{ label: 'authorizer', policy }], {
    action: 'execute-api:Invoke',
    resource: methodArn,
    principal: null,
    context: new Map(),
  }).decision
}
