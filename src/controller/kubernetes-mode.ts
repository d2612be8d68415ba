/**
 * `serve --kubernetes`: the configuration source of Kubernetes mode (the watch of the Portcullis
 * kinds, plus the pod/namespace index its PrivateEndpoints need) and, on the leader, the status
 * writer and the NetworkPolicy reconciler, which follow the runtime's published reloads. Every replica watches and serves; only the holder
 * of the `portcullis-leader` Lease (in POD_NAMESPACE) writes to the API server. Outside a cluster
 * with no POD_NAMESPACE there is nobody to elect against: the process acts as leader.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { KubeConfig } from '@kubernetes/client-node'
import { KubeClient } from '../sources/kubernetes-client.js'
import { KubernetesSource } from '../sources/kubernetes-source.js'
import type { LoadedConfig, ReloadResult } from '../compile/last-good.js'
import type { ConfigSource } from '../sources/config-source.js'
import { LeaderLease } from './leader-lease.js'
import { buildNetworkPolicies, type NetworkPolicyBuilderOptions } from './network-policy-builder.js'
import { NetworkPolicyReconciler } from './network-policy-reconciler.js'
import { desiredReadyStates } from './ready-condition.js'
import { StatusWriter } from './status-writer.js'
import { WorkloadWatch } from './workload-watch.js'
import { needsWorkloadIndex } from './needs-workload-index.js'
import type { WorkloadDirectory } from '../compile/workload-directory.js'

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace'

export interface KubernetesModeLogger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface KubernetesModeOptions {
  /** Default: `KubeConfig.loadFromDefault()` (KUBECONFIG, ~/.kube/config, or in-cluster). */
  readonly kubeConfig?: KubeConfig
  /** Namespaces to watch (and to manage NetworkPolicies in); empty = the whole cluster. */
  readonly namespaces: readonly string[]
  /** Generate NetworkPolicies for PRIVATE APIs (PORTCULLIS_NETWORK_POLICIES). */
  readonly networkPolicies: boolean
  readonly podName?: string | undefined
  readonly podNamespace?: string | undefined
  /** Default: `KUBERNETES_SERVICE_HOST` is set. */
  readonly inCluster?: boolean
  /** Admitted by every generated NetworkPolicy. Default: the Portcullis namespace, if known. */
  readonly gatewayNamespaces?: readonly string[]
  readonly serviceAccountSources?: NetworkPolicyBuilderOptions['serviceAccountSources']
  /** Tuning (tests shorten these). */
  readonly debounceMs?: number
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  readonly leaseDurationSeconds?: number
  readonly renewIntervalMs?: number
  readonly retryIntervalMs?: number
  /** Leader re-reconciles NetworkPolicies this often even without changes. Default 60 000. */
  readonly resyncMs?: number
  readonly statusWritesPerSecond?: number
  /**
   * How long a reload waits for the first pod/namespace list when PrivateEndpoint attribution starts
   * needing it, so the snapshot that introduces such an endpoint is served with its index filled.
   * Past this the snapshot is served anyway and those sources admit nobody until the list is done
   * (fail closed). Default 10 000.
   */
  readonly workloadSyncTimeoutMs?: number
}

export class KubernetesMode implements ConfigSource {
  readonly client: KubeClient
  readonly source: KubernetesSource
  readonly statusWriter: StatusWriter
  readonly lease: LeaderLease | undefined
  readonly reconciler: NetworkPolicyReconciler | undefined
  /** Pods and namespaces, for PrivateEndpoint sources (started only while some source needs them). */
  readonly workloads: WorkloadWatch
  readonly #o: KubernetesModeOptions
  readonly #log: KubernetesModeLogger | undefined
  readonly #builder: NetworkPolicyBuilderOptions
  #onChange: (() => void) | undefined
  #last: ReloadResult | undefined
  #lastNotes = ''
  #resync: NodeJS.Timeout | undefined
  #closed = false

  constructor(opts: KubernetesModeOptions, logger?: KubernetesModeLogger) {
    this.#o = opts
    this.#log = logger
    const kc = opts.kubeConfig ?? defaultKubeConfig()
    this.client = new KubeClient(kc)
    this.source = new KubernetesSource({
      client: this.client,
      namespaces: opts.namespaces,
      onChange: () => {
        if (!this.#closed) this.#onChange?.()
      },
      ...(opts.debounceMs !== undefined ? { debounceMs: opts.debounceMs } : {}),
      ...(opts.backoffInitialMs !== undefined ? { backoffInitialMs: opts.backoffInitialMs } : {}),
      ...(opts.backoffMaxMs !== undefined ? { backoffMaxMs: opts.backoffMaxMs } : {}),
      ...(logger ? { logger } : {}),
    })
    this.workloads = new WorkloadWatch({
      client: this.client,
      ...(opts.backoffInitialMs !== undefined ? { backoffInitialMs: opts.backoffInitialMs } : {}),
      ...(opts.backoffMaxMs !== undefined ? { backoffMaxMs: opts.backoffMaxMs } : {}),
      ...(logger ? { logger } : {}),
    })
    const inCluster = opts.inCluster ?? process.env['KUBERNETES_SERVICE_HOST'] !== undefined
    const leaseNamespace = opts.podNamespace ?? (inCluster ? serviceAccountNamespace() : undefined)
    if (leaseNamespace === undefined) {
      logger?.info({}, 'no POD_NAMESPACE and not in a cluster: acting as leader (no election)')
      this.lease = undefined
    } else {
      this.lease = new LeaderLease({
        client: this.client,
        namespace: leaseNamespace,
        identity: opts.podName ?? `${hostname()}_${randomUUID().slice(0, 8)}`,
        onChange: (leader) => {
          if (leader) this.#afterReload()
        },
        ...(opts.leaseDurationSeconds !== undefined
          ? { leaseDurationSeconds: opts.leaseDurationSeconds }
          : {}),
        ...(opts.renewIntervalMs !== undefined ? { renewIntervalMs: opts.renewIntervalMs } : {}),
        ...(opts.retryIntervalMs !== undefined ? { retryIntervalMs: opts.retryIntervalMs } : {}),
        ...(logger ? { logger } : {}),
      })
    }
    this.statusWriter = new StatusWriter({
      client: this.client,
      isLeader: () => this.isLeader(),
      ...(opts.statusWritesPerSecond !== undefined
        ? { writesPerSecond: opts.statusWritesPerSecond }
        : {}),
      ...(logger ? { logger } : {}),
    })
    this.reconciler = opts.networkPolicies
      ? new NetworkPolicyReconciler({
          client: this.client,
          namespaces: opts.namespaces,
          ...(logger ? { logger } : {}),
        })
      : undefined
    this.#builder = {
      gatewayNamespaces: opts.gatewayNamespaces ?? (leaseNamespace ? [leaseNamespace] : []),
      ...(opts.serviceAccountSources ? { serviceAccountSources: opts.serviceAccountSources } : {}),
    }
  }

  /** The live pod/namespace directory every snapshot of this mode attributes requests with. */
  get workloadDirectory(): WorkloadDirectory {
    return this.workloads.index
  }

  /**
   * The configuration as the watch sees it now (see KubernetesSource.load). Also starts the pod/namespace watch when the configuration's
   * PrivateEndpoints start needing it (waiting, bounded, for its first list) and stops it when they
   * no longer do. Decided on the serving objects, which include the last valid version of an object
   * whose edit is invalid: that version still serves, so its sources still need the index.
   */
  async load(): Promise<LoadedConfig> {
    const loaded = await this.source.load()
    if (this.#closed) return loaded
    const want = needsWorkloadIndex(this.source.servingObjects())
    if (want && !this.workloads.running) {
      this.#log?.info(
        {},
        'PrivateEndpoint sources need pod identities: watching Pods and Namespaces',
      )
      this.workloads.start()
      const synced = await this.workloads.whenSynced(this.#o.workloadSyncTimeoutMs ?? 10_000)
      if (!synced && this.workloads.running) {
        this.#log?.warn(
          {},
          'Pods/Namespaces not listed yet; sources that need pod identities admit nobody until they are',
        )
      } else if (synced) {
        this.#log?.info(this.workloads.index.stats(), 'Pods and Namespaces indexed')
      }
    } else if (!want && this.workloads.running) {
      this.#log?.info({}, 'no PrivateEndpoint source needs pod identities: stopped watching Pods')
      this.workloads.stop()
    }
    return loaded
  }

  isLeader(): boolean {
    return this.lease === undefined ? true : this.lease.isLeader()
  }

  /**
   * Starts watching (`onChange` is first called once every initial list is done) and campaigning.
   * Returns at once: readiness is the runtime's first snapshot, not this promise.
   */
  start(onChange: () => void): Promise<void> {
    this.#onChange = onChange
    this.#log?.info(
      {
        server: this.client.server,
        namespaces: this.#o.namespaces.length === 0 ? '(all)' : this.#o.namespaces,
        networkPolicies: this.#o.networkPolicies,
      },
      'watching Kubernetes for configuration',
    )
    this.source.start()
    this.lease?.start()
    if (this.reconciler) {
      this.#resync = setInterval(() => {
        this.#afterReload()
      }, this.#o.resyncMs ?? 60_000)
      this.#resync.unref()
    }
    return Promise.resolve()
  }

  stop(): Promise<void> {
    return this.close()
  }

  /** Follows the runtime's reloads: leader duties (statuses, NetworkPolicies) after each one. */
  published(result: ReloadResult): void {
    if (this.#closed) return
    this.#last = result
    this.#afterReload()
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#resync) clearInterval(this.#resync)
    this.source.stop()
    this.workloads.stop()
    this.statusWriter.close()
    await this.lease?.stop()
  }

  /** Leader duties after a compile (or on becoming leader, or on resync). */
  #afterReload(): void {
    const r = this.#last
    if (r === undefined || this.#closed || !this.isLeader()) return
    this.statusWriter.update(desiredReadyStates(this.source.loadedCustomObjects(), r))
    if (this.reconciler) {
      const built = buildNetworkPolicies(this.source.servingObjects(), this.#builder)
      const notes = JSON.stringify(built.notes)
      if (notes !== this.#lastNotes) {
        this.#lastNotes = notes
        for (const n of built.notes) {
          this.#log?.warn(
            { object: `${n.ref.kind}/${n.ref.namespace}/${n.ref.name}`, path: n.path },
            `NetworkPolicy: ${n.message}`,
          )
        }
      }
      void this.reconciler.reconcile(built.policies)
    }
  }
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromDefault()
  return kc
}

function serviceAccountNamespace(): string | undefined {
  try {
    const ns = readFileSync(SA_NAMESPACE_FILE, 'utf8').trim()
    return ns === '' ? undefined : ns
  } catch {
    return undefined
  }
}
