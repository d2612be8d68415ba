/**
 * Portcullis in Kubernetes mode against a real kube-apiserver (+ etcd) on loopback, run as its pod
 * would be: the test's objects are created with admin rights, then the app starts with a token of
 * the chart's own ServiceAccount under the chart's own RBAC (`helm template`, release `rel` in
 * {@link PORTCULLIS_NS}), so a permission missing from the chart fails the test that needs it.
 * Decisions go through an Envoy official-proto Check client.
 */
import { Writable } from 'node:stream'
import { startApp, type AppOptions, type RunningApp } from '../../src/app/app.js'
import type { KubernetesModeOptions } from '../../src/controller/kubernetes-mode.js'
import { createLogger } from '../../src/observability/logger.js'
import { KubeApiError } from '../../src/sources/kubernetes-client.js'
import { createOfficialCheckClient, type OfficialCheckClient } from './envoy-client.js'
import {
  createNamespace,
  installChartRbac,
  startKubeApiServer,
  type ChartServiceAccount,
  type KubeApiServer,
} from './kube-apiserver.js'
import { loopbackAppOptions } from './portcullis-app.js'

/** The release namespace the chart's ServiceAccount, its Lease and its pod live in. */
export const PORTCULLIS_NS = 'portcullis-system'

export interface KubernetesModeAppOptions {
  /** Namespaces created (unlabelled) before `seed` runs. */
  readonly namespaces?: readonly string[]
  /** The test's objects, created with the admin client before Portcullis starts. */
  readonly seed?: (kube: KubeApiServer) => Promise<void>
  /** Extra `--set` values for the chart's RBAC, e.g. `watch.namespaces={shop}`. */
  readonly chartValues?: readonly string[]
  /** Overrides of the Kubernetes-mode options (watched namespaces, NetworkPolicies, pod name). */
  readonly kubernetes?: Partial<Omit<KubernetesModeOptions, 'kubeConfig'>>
  /** Overrides of the app options (the STS endpoint and its key Secret, for instance). */
  readonly app?: Partial<Omit<AppOptions, 'kubernetes' | 'configDir' | 'logger'>>
  /** When given, the app logs at debug level into it, one chunk a line; otherwise it is silent. */
  readonly logLines?: string[]
  /** Wait for /readyz 200 before returning. Default true; a test of readiness itself says false. */
  readonly waitReady?: boolean
}

export interface KubernetesModeApp {
  readonly kube: KubeApiServer
  /** The chart's ServiceAccount the app runs as (its client has the pod's rights, no more). */
  readonly sa: ChartServiceAccount
  readonly app: RunningApp
  readonly client: OfficialCheckClient
  /** Closes the client and the app, then stops the API server (a function: tests destructure it). */
  readonly stop: () => Promise<void>
}

/** Polls /readyz; the deadline only bounds a broken start, how fast it comes is not asserted. */
export async function waitForReadyz(app: RunningApp, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while ((await fetch(`http://127.0.0.1:${app.metricsPort}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`/readyz 200: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Starts the API server, creates `namespaces` and runs `seed`, installs the chart's RBAC, then
 * starts Portcullis in Kubernetes mode with the ServiceAccount's kubeconfig and short watch, lease
 * and resync timings. Whatever started is stopped again when a later step fails.
 */
export async function startKubernetesModeApp(
  opts: KubernetesModeAppOptions = {},
): Promise<KubernetesModeApp> {
  const kube = await startKubeApiServer()
  let app: RunningApp | undefined
  let client: OfficialCheckClient | undefined
  const stop = async (): Promise<void> => {
    client?.close()
    await app?.close()
    await kube.stop()
  }
  try {
    for (const ns of opts.namespaces ?? []) await createNamespace(kube.client, ns)
    await opts.seed?.(kube)
    const sa = await installChartRbac(kube, {
      release: 'rel',
      namespace: PORTCULLIS_NS,
      ...(opts.chartValues ? { set: opts.chartValues } : {}),
    })
    const logLines = opts.logLines
    const logger =
      logLines === undefined
        ? createLogger({ level: 'silent' })
        : createLogger({
            level: 'debug',
            destination: new Writable({
              write(chunk: Buffer, _enc, cb) {
                logLines.push(chunk.toString('utf8'))
                cb()
              },
            }),
          })
    app = await startApp({
      kubernetes: {
        kubeConfig: sa.kubeConfig,
        namespaces: [],
        networkPolicies: false,
        podName: 'portcullis-test-0',
        podNamespace: PORTCULLIS_NS,
        inCluster: false,
        debounceMs: 50,
        leaseDurationSeconds: 4,
        renewIntervalMs: 500,
        retryIntervalMs: 300,
        resyncMs: 2000,
        ...opts.kubernetes,
      },
      ...loopbackAppOptions(),
      ...(logLines === undefined ? {} : { logLevel: 'debug' as const }),
      ...opts.app,
      logger,
    })
    client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
    if (opts.waitReady ?? true) await waitForReadyz(app)
    return { kube, sa, app, client, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** GET `path` with the admin client; undefined when there is no such object (404). */
export async function getIfExists(
  kube: KubeApiServer,
  path: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await kube.client.request({ method: 'GET', path })
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined
    throw err
  }
}

/** A Service `name` (selecting `app: <name>`) bound to the RestApi `name` by annotation. */
export function boundService(namespace: string, name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, annotations: { 'portcullis.dev/rest-api': name } },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  }
}
