/**
 * The Envoy ext_authz gRPC server: `envoy.service.auth.v3.Authorization/Check` plus
 * `grpc.health.v1.Health`, on a TCP port and optionally a Unix socket.
 *
 * Hot path per call: decodeCheckRequest (raw bytes → RequestContext, no generic protobuf decode)
 * → checker.check → outcomeProblem → encodeOutcome → metrics. Every call is answered
 * with a CheckResponse: the RPC itself never fails, because Envoy treats RPC errors as
 * `failure_mode_allow` cases (an allow when an operator enabled it). Translation errors, malformed decider answers and exceptions all become
 * denials (`boundary-deny.ts`).
 *
 * @module
 */
import { lstat, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import {
  Server,
  ServerCredentials,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js'
import type { Checker, CheckOutcome } from '../decision/check-outcome.js'
import type { DecisionTrace } from '../decision/decision-trace.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { decodeCheckRequest } from '../request/decode-check-request.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type RequestParseResult,
} from '../request/request-parse-result.js'
import { boundaryDeny } from './boundary-deny.js'
import { encodeOutcome } from './encode-check-response.js'
import { createHealthService } from './grpc-health.js'
import { loadProtos } from '../request/load-protos.js'
import { outcomeProblem } from './validate-outcome.js'

export interface GrpcServerOptions {
  readonly checker: Checker
  /** TCP port; 0 picks a free port (the returned `port` says which). */
  readonly port: number
  /** Bind address. Default `0.0.0.0`. */
  readonly host?: string
  /** Also serve on this Unix socket path (Envoy `pipe` cluster). A stale socket file is replaced. */
  readonly socketPath?: string
  readonly metrics?: Metrics
  readonly logger?: Logger
  /** A logged decision was answered (decision log): called after the answer is sent. */
  readonly onDecided?: (trace: DecisionTrace, seconds: number) => void
  /** Translation limits (headers, body, context extensions). Defaults: DEFAULT_REQUEST_LIMITS. */
  readonly limits?: Partial<RequestLimits>
  /**
   * Largest CheckRequest accepted, in bytes. Default 16 MiB: above the 10 MiB body limit, so an
   * oversized body gets a 413 deny from us instead of a RESOURCE_EXHAUSTED RPC error.
   */
  readonly maxMessageBytes?: number
  /** How long close() waits for in-flight calls before cutting connections, in ms. Default 5000. */
  readonly shutdownGraceMs?: number
}

export interface RunningGrpcServer {
  /** The TCP port actually bound. */
  readonly port: number
  readonly socketPath: string | undefined
  /** Reports NOT_SERVING, drains in-flight calls (up to shutdownGraceMs), then stops. Idempotent. */
  close(): Promise<void>
}

type UntypedMethod = MethodDefinition<unknown, unknown>

/**
 * The Check method with our own (de)serialisation: the request bytes pass through untouched and the
 * handler decodes them itself (decodeCheckRequest, which turns undecodable bytes into a value
 * instead of a grpc-js INTERNAL error), and encodes the response itself (encodeOutcome)
 * inside its try block so an encoding failure is still answered with a deny.
 */
function checkMethodDefinition(): ServiceDefinition {
  const pkg = loadProtos()
  const service = pkg['envoy.service.auth.v3.Authorization'] as unknown as Record<
    string,
    UntypedMethod
  >
  const check = service.Check
  if (check === undefined) throw new Error('Authorization.Check missing from proto/')
  const definition: ServiceDefinition = {
    Check: {
      ...check,
      requestDeserialize: (bytes: Buffer): Buffer => bytes,
      responseSerialize: (encoded: Buffer): Buffer => encoded,
    },
  }
  return definition
}

function healthServiceDefinition(): ServiceDefinition {
  return loadProtos()['grpc.health.v1.Health'] as unknown as ServiceDefinition
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(err)
      else resolve(port)
    })
  })
}

/** Removes a socket file left by a crashed process; refuses to steal a socket someone serves. */
async function clearStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (st === undefined) return
  if (!st.isSocket()) throw new Error(`--grpc-socket ${path} exists and is not a socket`)
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => {
      resolve(false)
    })
  })
  if (live) throw new Error(`--grpc-socket ${path} is in use by another process`)
  await unlink(path)
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { checker, metrics, logger, onDecided } = opts
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...opts.limits }
  const definition = checkMethodDefinition()
  const internalDeny = boundaryDeny('ERR_INTERNAL')
  let closing = false
  const health = createHealthService(() => !closing && checker.ready())

  const answer = encodeOutcome

  /** Answers with the checker's outcome (validated: a malformed one is a logged deny). */
  const respond = (
    callback: sendUnaryData<Buffer>,
    started: number,
    requestId: string,
    fromChecker: unknown,
  ): void => {
    let outcome: CheckOutcome = internalDeny
    let encoded: Buffer
    try {
      const problem = outcomeProblem(fromChecker)
      if (problem === undefined) outcome = fromChecker as CheckOutcome
      else logger?.error({ requestId, problem }, 'checker returned a malformed outcome; denying')
      encoded = answer(outcome, requestId)
    } catch (err) {
      // Fail closed: whatever failed (validation, encoding), the request is denied.
      logger?.error({ err, requestId }, 'check failed; denying')
      outcome = internalDeny
      encoded = answer(internalDeny, requestId)
    }
    callback(null, encoded)
    const seconds = (performance.now() - started) / 1000
    metrics?.observeCheck(outcome, seconds)
    if (outcome.trace !== undefined) onDecided?.(outcome.trace, seconds)
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        {
          requestId,
          decision: outcome.allowed ? 'allow' : 'deny',
          code: outcome.code,
          api: outcome.api,
        },
        'check answered',
      )
    }
  }

  /**
   * One Check call. Synchronous from bytes to answer when the checker is (cache hits): a Promise
   * is awaited only when the checker returns one.
   */
  const check = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const started = performance.now()
    let requestId = ''
    let fromChecker: unknown
    try {
      const parsed: RequestParseResult = decodeCheckRequest(call.request, limits)
      if (parsed.ok) {
        requestId = parsed.request.requestId
        fromChecker = checker.check(parsed.request)
      } else {
        requestId = parsed.requestId
        fromChecker = boundaryDeny(parsed.code)
        logger?.info(
          { requestId, code: parsed.code, detail: parsed.detail },
          'check request rejected',
        )
      }
    } catch (err) {
      logger?.error({ err, requestId }, 'check failed; denying')
      fromChecker = internalDeny
    }
    if (fromChecker instanceof Promise) {
      const id = requestId
      fromChecker.then(
        (outcome: unknown) => {
          respond(callback, started, id, outcome)
        },
        (err: unknown) => {
          logger?.error({ err, requestId: id }, 'check failed; denying')
          respond(callback, started, id, internalDeny)
        },
      )
    } else {
      respond(callback, started, requestId, fromChecker)
    }
  }

  const server = new Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes ?? 16 * 1024 * 1024,
    // Channelz (grpc-js's per-call and per-session statistics, on by default) serves nobody
    // here: no channelz service is registered. With it on, every call builds a tracker of four
    // closures and reads the clock twice.
    'grpc.enable_channelz': 0,
  })
  server.addService(definition, {
    Check: check,
  })
  server.addService(healthServiceDefinition(), health.implementation)

  const host = opts.host ?? '0.0.0.0'
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  let port: number
  try {
    port = await bind(server, `${hostPart}:${opts.port}`)
    if (opts.socketPath !== undefined) {
      await clearStaleSocket(opts.socketPath)
      await bind(server, `unix:${opts.socketPath}`)
    }
  } catch (err) {
    server.forceShutdown()
    throw err
  }
  logger?.info({ port, socketPath: opts.socketPath }, 'ext_authz gRPC server listening')

  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing = true
      health.closeWatchers()
      const force = setTimeout(() => {
        server.forceShutdown()
      }, opts.shutdownGraceMs ?? 5000)
      force.unref()
      server.tryShutdown(() => {
        clearTimeout(force)
        resolve()
      })
    }).then(async () => {
      if (opts.socketPath !== undefined) await unlink(opts.socketPath).catch(() => undefined)
    })
    return closed
  }

  return { port, socketPath: opts.socketPath, close }
}
