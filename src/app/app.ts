/**
 * `portcullis serve`: configuration runtime + decider + the three servers (gRPC ext_authz, HTTP
 * auth, admin/metrics), started together and stopped together.
 *
 * @module
 */
import { resolve } from 'node:path'
import { ConfigRuntime } from './config-runtime.js'
import { createAuthnRuntime } from './authn-runtime.js'
import { Decider } from '../decision/decide.js'
import type { TrustDomains } from '../compile/peer-identity.js'
import type { KubernetesMode, KubernetesModeOptions } from '../controller/kubernetes-mode.js'
import { FolderSource } from '../sources/folder-source.js'
import { parseManifestObject } from '../sources/manifest.js'
import { Metrics } from '../observability/metrics.js'
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js'
import { startGrpcServer } from '../servers/ext-authz-grpc.js'
import { startHttpAuthServer } from '../servers/ext-authz-http.js'
import { startAdminServer } from '../servers/admin-http.js'
import { createDecisionAudit } from './decision-audit.js'
import type { Writable } from 'node:stream'

export interface AppOptions {
  /** Local mode: the folder to load and watch. Required unless `kubernetes` is given. */
  readonly configDir?: string | undefined
  /** Kubernetes mode: watch the API server instead of a folder. */
  readonly kubernetes?: KubernetesModeOptions | undefined
  readonly host: string
  readonly grpcPort: number
  readonly httpPort: number
  readonly metricsPort: number
  readonly grpcSocket: string | undefined
  readonly accountId: string
  readonly region: string
  readonly logLevel: LogLevel
  readonly trustForwardedFrom: readonly string[]
  /** SPIFFE trust domains whose ids name a namespace / service account. Default `cluster.local`. */
  readonly trustDomains?: TrustDomains
  readonly httpPathPrefix: string | undefined
  /** Bound on cached custom-authorizer results (entries). Default 10 000. */
  readonly cacheMaxEntries?: number
  /** Bound on cached verified JWTs per token authorizer (entries; 0 = no token cache). Default 10 000. */
  readonly tokenCacheMaxEntries?: number
  /** JWT signature checks allowed in the thread pool at once (0 = on the event loop). */
  readonly jwtOffloadMaxInFlight?: number
  /**
   * The decision log (`--decision-log`): `stdout`, a file path, or a stream (tests). Default off:
   * APIs' `decisionLog` settings then log nothing.
   */
  readonly decisionLog?: string | Writable
  /** Decision-log lines allowed to wait for a slow stream before lines are dropped. Default 8192. */
  readonly decisionLogQueue?: number
  readonly logger?: Logger
}

export interface RunningApp {
  readonly grpcPort: number
  readonly httpPort: number
  readonly metricsPort: number
  readonly config: ConfigRuntime
  readonly metrics: Metrics
  /** Kubernetes mode's source, leader lease, status writer and reconciler. */
  readonly kubernetes: KubernetesMode | undefined
  close(): Promise<void>
}

export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger({ level: opts.logLevel })
  const metrics = new Metrics()
  const authn = createAuthnRuntime({
    metrics,
    ...(opts.cacheMaxEntries !== undefined
      ? { authorizerCacheMaxEntries: opts.cacheMaxEntries }
      : {}),
    ...(opts.tokenCacheMaxEntries !== undefined
      ? { tokenCacheMax: opts.tokenCacheMaxEntries }
      : {}),
    ...(opts.jwtOffloadMaxInFlight !== undefined
      ? { jwtOffloadMaxInFlight: opts.jwtOffloadMaxInFlight }
      : {}),
  })
  // Loaded only in Kubernetes mode: @kubernetes/client-node adds ~80 MB of resident memory.
  const k8s = opts.kubernetes
    ? new (await import('../controller/kubernetes-mode.js')).KubernetesMode(opts.kubernetes, logger)
    : undefined
  if (k8s !== undefined) metrics.watchLeader(() => k8s.isLeader())
  if (k8s === undefined && opts.configDir === undefined) {
    throw new TypeError('startApp: configDir or kubernetes is required')
  }
  const dir = resolve(opts.configDir ?? '.')
  // Compile the schema validators now (they are built lazily), so the first hot reload after
  // start is as fast as every other one.
  parseManifestObject(
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'warm-up' },
      spec: {},
    },
    '(warm-up)',
  )
  const config = new ConfigRuntime({
    source: k8s ?? new FolderSource(dir),
    defaults: { accountId: opts.accountId, region: opts.region },
    ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
    ...(k8s ? { workloads: k8s.workloadDirectory } : {}),
    metrics,
    logger,
  })
  config.subscribe((result, previous) => {
    authn.onSnapshot(result.snapshot, previous)
  })
  if (k8s) {
    config.subscribe((result) => {
      k8s.published(result)
    })
  } else {
    // A folder is read before serving; in Kubernetes mode /readyz says 503 until every initial
    // list is done and compiled.
    await config.reload()
  }
  await config.start()

  const audit = createDecisionAudit({
    target: opts.decisionLog,
    ...(opts.decisionLogQueue !== undefined ? { maxQueued: opts.decisionLogQueue } : {}),
    metrics,
    logger,
  })
  const decider = new Decider({
    snapshot: config.current,
    flows: authn.flows,
    ...(authn.privateGateIdentity ? { privateGateIdentity: authn.privateGateIdentity } : {}),
    ...(opts.trustDomains !== undefined ? { trustDomains: opts.trustDomains } : {}),
    rollout: audit.hooks,
    logger,
  })
  const onDecided = audit.onDecided ? { onDecided: audit.onDecided } : {}
  const grpc = await startGrpcServer({
    checker: decider,
    port: opts.grpcPort,
    host: opts.host,
    ...(opts.grpcSocket ? { socketPath: opts.grpcSocket } : {}),
    metrics,
    logger,
    ...onDecided,
  })
  const http = await startHttpAuthServer({
    checker: decider,
    port: opts.httpPort,
    host: opts.host,
    trustForwardedFrom: opts.trustForwardedFrom,
    ...(opts.httpPathPrefix ? { pathPrefix: opts.httpPathPrefix } : {}),
    metrics,
    logger,
    ...onDecided,
  })
  const admin = await startAdminServer({
    port: opts.metricsPort,
    host: opts.host,
    ready: () => decider.ready(),
    metrics,
    logger,
  })
  logger.info(
    {
      grpcPort: grpc.port,
      httpPort: http.port,
      metricsPort: admin.port,
      grpcSocket: opts.grpcSocket,
      config: k8s ? 'kubernetes' : dir,
    },
    `portcullis serving: gRPC ext_authz on :${grpc.port}, HTTP auth on :${http.port}, metrics on :${admin.port}`,
  )
  let closed = false
  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    metricsPort: admin.port,
    config,
    metrics,
    kubernetes: k8s,
    async close() {
      if (closed) return
      closed = true
      await config.stop()
      await Promise.allSettled([grpc.close(), http.close()])
      await admin.close()
      await audit.close()
      authn.close()
    },
  }
}
