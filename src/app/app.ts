/**
 * `portcullis serve`: configuration runtime + decider + the three servers (gRPC ext_authz, HTTP
 * auth, admin/metrics), started together and stopped together.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConfigRuntime } from './config-runtime.js'
import { createAuthnRuntime, type AuthnRuntimeOptions } from './authn-runtime.js'
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
import { startUsageCounting } from './usage-runtime.js'
import type { RedisStoreOptions } from '../usage/redis-store.js'
import { buildUsageReport } from '../usage/usage-report.js'
import { EMPTY_USAGE_INDEX } from '../compile/usage-index.js'
import { StsService } from '../sts/assume-role-with-web-identity.js'
import {
  fileSessionKeySource,
  secretSessionKeySource,
  type SessionKeySource,
} from '../sts/session-key-source.js'
import { startStsServer, type RunningStsServer } from '../sts/sts-server.js'
import { EMPTY_STS_DIRECTORY } from '../compile/sts-directory.js'
import { createDecisionAudit } from './decision-audit.js'
import type { Writable } from 'node:stream'
import type { KubeConfig } from '@kubernetes/client-node'

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
  /** Field/header names redacted from logs on top of the built-in ones (`--log-redact`). */
  readonly logRedact?: readonly string[]
  readonly trustForwardedFrom: readonly string[]
  /** SPIFFE trust domains whose ids name a namespace / service account. Default `cluster.local`. */
  readonly trustDomains?: TrustDomains
  readonly httpPathPrefix: string | undefined
  /** Bound on cached custom-authorizer results (entries). Default LAMBDA_AUTHORIZER_DEFAULTS.cacheMaxEntries. */
  readonly cacheMaxEntries?: number
  /** Bound on cached verified JWTs per token authorizer (entries; 0 = no token cache). Default DEFAULT_TOKEN_CACHE_MAX. */
  readonly tokenCacheMaxEntries?: number
  /** JWT signature checks allowed in the thread pool at once (0 = on the event loop). */
  readonly jwtOffloadMaxInFlight?: number
  /** Shared usage-plan counting on Redis; absent: in-process counting. */
  readonly usageStore?: RedisStoreOptions
  /** STS endpoint port (AssumeRoleWithWebIdentity); off when undefined. */
  readonly stsPort?: number | undefined
  /** PEM files: the STS endpoint serves HTTPS when both are given. */
  readonly stsTls?: { readonly certFile: string; readonly keyFile: string } | undefined
  /** Session-token keys from a file (local mode)… */
  readonly stsKeyFile?: string | undefined
  /** …or from a Secret `{namespace, name}` (Kubernetes mode). */
  readonly stsKeySecret?: { readonly namespace: string; readonly name: string } | undefined
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
  /** The STS endpoint's port, when it runs. */
  readonly stsPort: number | undefined
  readonly config: ConfigRuntime
  readonly metrics: Metrics
  /** Kubernetes mode's source, leader lease, status writer and reconciler. */
  readonly kubernetes: KubernetesMode | undefined
  close(): Promise<void>
}

export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logger =
    opts.logger ?? createLogger({ level: opts.logLevel, redactKeys: opts.logRedact ?? [] })
  const metrics = new Metrics()
  if (
    opts.stsPort !== undefined &&
    opts.stsKeyFile === undefined &&
    opts.stsKeySecret === undefined
  ) {
    throw new TypeError(
      'startApp: the STS endpoint needs session keys (stsKeyFile or stsKeySecret)',
    )
  }
  const sessionKeys = await sessionKeySource(opts, logger)
  const authn = createAuthnRuntime({
    ...(sessionKeys !== undefined ? { sessionKeys: () => sessionKeys.current() } : {}),
    apiServerFetch: apiServerFetch(opts.kubernetes?.kubeConfig),
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
  const usage = await startUsageCounting(opts.usageStore, metrics, logger)
  const usageCounter = usage.counter
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
    // Counters of plan/key pairs that no longer exist are unreachable: free them.
    const live = new Set(
      result.snapshot.usage.planList.flatMap((p) => p.keys.map((k) => `${p.ref}\n${k}`)),
    )
    usageCounter.retain((plan, key) => live.has(`${plan}\n${key}`))
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
    usage: {
      counter: usageCounter,
      observe: (plan, result) => {
        metrics.usagePlanRequest(plan, result)
      },
    },
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
  let sts: RunningStsServer | undefined
  if (opts.stsPort !== undefined && sessionKeys !== undefined) {
    const tls =
      opts.stsTls === undefined
        ? undefined
        : {
            cert: await readFile(opts.stsTls.certFile),
            key: await readFile(opts.stsTls.keyFile),
          }
    sts = await startStsServer({
      port: opts.stsPort,
      host: opts.host,
      service: new StsService({
        ring: () => sessionKeys.current(),
        directory: () => config.current()?.sts ?? EMPTY_STS_DIRECTORY,
        registry: authn.jwks,
      }),
      ...(tls !== undefined ? { tls } : {}),
      onResult: (action, result, seconds) => {
        metrics.stsRequest(action, result, seconds)
      },
      logger,
    })
  }
  const admin = await startAdminServer({
    port: opts.metricsPort,
    host: opts.host,
    ready: () => decider.ready(),
    readyDetail: () => usage.detail(),
    metrics,
    usage: () =>
      buildUsageReport(config.current()?.usage ?? EMPTY_USAGE_INDEX, usageCounter, Date.now()),
    logger,
  })
  logger.info(
    {
      grpcPort: grpc.port,
      httpPort: http.port,
      metricsPort: admin.port,
      stsPort: sts?.port,
      grpcSocket: opts.grpcSocket,
      config: k8s ? 'kubernetes' : dir,
    },
    `portcullis serving: gRPC ext_authz on :${grpc.port}, HTTP auth on :${http.port}, metrics on :${admin.port}${sts === undefined ? '' : `, STS on :${String(sts.port)}`}`,
  )
  let closed = false
  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    metricsPort: admin.port,
    stsPort: sts?.port,
    config,
    metrics,
    kubernetes: k8s,
    async close() {
      if (closed) return
      closed = true
      await config.stop()
      await Promise.allSettled([grpc.close(), http.close(), sts?.close()])
      await admin.close()
      await audit.close()
      authn.close()
      await usage.close()
      sessionKeys?.close()
    },
  }
}

/**
 * GETs on the Kubernetes API server with Portcullis's own credentials: Kubernetes mode's
 * kubeconfig, else the default one (KUBECONFIG, ~/.kube/config or in-cluster). Loaded on first
 * use only (an IdentityProvider with `jwksFrom: KubernetesAPIServer`): @kubernetes/client-node
 * is heavy and local mode rarely needs it.
 */
function apiServerFetch(
  kubeConfig: KubeConfig | undefined,
): NonNullable<AuthnRuntimeOptions['apiServerFetch']> {
  let getter: Promise<NonNullable<AuthnRuntimeOptions['apiServerFetch']>> | undefined
  return async (path, limits) => {
    getter ??= (async () => {
      const [{ KubeConfig: Config }, { apiServerJsonGetter }] = await Promise.all([
        import('@kubernetes/client-node'),
        import('../sources/kubernetes-json-get.js'),
      ])
      let kc = kubeConfig
      if (kc === undefined) {
        kc = new Config()
        kc.loadFromDefault()
      }
      return apiServerJsonGetter(kc)
    })()
    try {
      return await (
        await getter
      )(path, limits)
    } catch (err) {
      getter = undefined
      return { ok: false, outcome: 'error', reason: `kubeconfig: ${(err as Error).message}` }
    }
  }
}

async function sessionKeySource(
  opts: AppOptions,
  logger: Logger,
): Promise<SessionKeySource | undefined> {
  if (opts.stsKeyFile !== undefined) return fileSessionKeySource(resolve(opts.stsKeyFile), logger)
  const secret = opts.stsKeySecret
  if (secret === undefined) return undefined
  // Portcullis's own credentials: Kubernetes mode's kubeconfig, else in-cluster or the default one.
  const [{ KubeConfig: Config }, { KubeClient }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../sources/kubernetes-client.js'),
  ])
  let kc = opts.kubernetes?.kubeConfig
  if (kc === undefined) {
    kc = new Config()
    kc.loadFromDefault()
  }
  const client = new KubeClient(kc)
  return secretSessionKeySource(
    secret.namespace,
    secret.name,
    (path) => client.request({ method: 'GET', path }),
    logger,
  )
}
