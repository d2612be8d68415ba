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
import { DirectoryWatcher } from '../sources/directory-watcher.js'
import { loadFolderConfig } from '../sources/folder-config.js'
import { parseManifestObject } from '../sources/manifest.js'
import { Metrics } from '../observability/metrics.js'
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js'
import { startGrpcServer } from '../servers/ext-authz-grpc.js'
import { startHttpAuthServer } from '../servers/ext-authz-http.js'
import { startAdminServer } from '../servers/admin-http.js'

export interface AppOptions {
  readonly configDir: string
  readonly host: string
  readonly grpcPort: number
  readonly httpPort: number
  readonly metricsPort: number
  readonly grpcSocket: string | undefined
  readonly accountId: string
  readonly region: string
  readonly logLevel: LogLevel
  readonly trustForwardedFrom: readonly string[]
  readonly httpPathPrefix: string | undefined
  readonly logger?: Logger
}

export interface RunningApp {
  readonly grpcPort: number
  readonly httpPort: number
  readonly metricsPort: number
  readonly config: ConfigRuntime
  readonly metrics: Metrics
  close(): Promise<void>
}

export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger({ level: opts.logLevel })
  const metrics = new Metrics()
  const authn = createAuthnRuntime({ metrics })
  const dir = resolve(opts.configDir)
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
    load: () => loadFolderConfig([dir]),
    defaults: { accountId: opts.accountId, region: opts.region },
    ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
    metrics,
    logger,
    onSnapshot: (next, prev) => {
      authn.onSnapshot(next, prev)
    },
  })
  await config.reload()
  const watcher = new DirectoryWatcher(dir, () => {
    void config.reload()
  })
  await watcher.start()

  const decider = new Decider({
    snapshot: config.current,
    flows: authn.flows,
    ...(authn.privateGateIdentity ? { privateGateIdentity: authn.privateGateIdentity } : {}),
    logger,
  })
  const grpc = await startGrpcServer({
    checker: decider,
    port: opts.grpcPort,
    host: opts.host,
    ...(opts.grpcSocket ? { socketPath: opts.grpcSocket } : {}),
    metrics,
    logger,
  })
  const http = await startHttpAuthServer({
    checker: decider,
    port: opts.httpPort,
    host: opts.host,
    trustForwardedFrom: opts.trustForwardedFrom,
    ...(opts.httpPathPrefix ? { pathPrefix: opts.httpPathPrefix } : {}),
    metrics,
    logger,
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
      config: dir,
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
    async close() {
      if (closed) return
      closed = true
      watcher.close()
      await Promise.allSettled([grpc.close(), http.close()])
      await admin.close()
      authn.close()
    },
  }
}
