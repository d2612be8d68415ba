/**
 * List+watch of `v1` Pods and `v1` Namespaces across the cluster (the same reflector as the
 * configuration kinds: paged list, watch from its resourceVersion, relist after `410 Gone`, capped
 * backoff), feeding a {@link WorkloadIndex} event by event. Cluster-wide on purpose, whatever
 * namespaces the configuration is watched in: a PrivateEndpoint admits callers from any namespace.
 * Finished pods are filtered out by the API server (field selector on `status.phase`).
 *
 * Kubernetes mode starts it only while some PrivateEndpoint has a source that pod identity can
 * satisfy, and stops it (dropping the index) when none is left: clusters that do not use the feature
 * pay nothing for it.
 *
 * @module
 */
import type { KubeClient } from '../sources/kubernetes-client.js'
import { Reflector, type ReflectorLogger } from '../sources/kubernetes-reflector.js'
import { coreResourcePath } from '../sources/kubernetes-resources.js'
import { WorkloadIndex, slimNamespace, slimPod } from './workload-index.js'

/** Pods that still own their IP; the transform re-checks, for a watch that sends one anyway. */
export const RUNNING_POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed'

export interface WorkloadWatchOptions {
  readonly client: KubeClient
  readonly logger?: ReflectorLogger
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  readonly watchTimeoutSeconds?: number
}

export class WorkloadWatch {
  readonly index = new WorkloadIndex()
  readonly #o: WorkloadWatchOptions
  /** The reflectors of the current run; undefined while stopped. */
  #run: { readonly pods: Reflector; readonly namespaces: Reflector } | undefined
  #waiters: (() => void)[] = []

  constructor(opts: WorkloadWatchOptions) {
    this.#o = opts
  }

  get running(): boolean {
    return this.#run !== undefined
  }

  /** True once the first list of both pods and namespaces completed (in the current run). */
  get synced(): boolean {
    const run = this.#run
    return run !== undefined && run.pods.synced && run.namespaces.synced
  }

  start(): void {
    if (this.#run !== undefined) return
    const common = {
      client: this.#o.client,
      apiVersion: 'v1',
      ...(this.#o.logger ? { logger: this.#o.logger } : {}),
      ...(this.#o.backoffInitialMs !== undefined
        ? { backoffInitialMs: this.#o.backoffInitialMs }
        : {}),
      ...(this.#o.backoffMaxMs !== undefined ? { backoffMaxMs: this.#o.backoffMaxMs } : {}),
      ...(this.#o.watchTimeoutSeconds !== undefined
        ? { watchTimeoutSeconds: this.#o.watchTimeoutSeconds }
        : {}),
    }
    // Events of a stopped run (a list or watch answer already in flight) must not touch the index.
    const current = (r: Reflector): boolean =>
      this.#run !== undefined && (this.#run.pods === r || this.#run.namespaces === r)
    const pods: Reflector = new Reflector({
      ...common,
      path: coreResourcePath('pods', undefined),
      kind: 'Pod',
      fieldSelector: RUNNING_POD_FIELD_SELECTOR,
      transform: slimPod,
      onItem: (key, prev, next) => {
        if (current(pods)) this.index.applyPod(key, prev, next)
      },
      onChange: () => {
        this.#maybeSynced()
      },
    })
    const namespaces: Reflector = new Reflector({
      ...common,
      path: coreResourcePath('namespaces', undefined),
      kind: 'Namespace',
      transform: slimNamespace,
      onItem: (key, prev, next) => {
        if (current(namespaces)) this.index.applyNamespace(key, prev, next)
      },
      onChange: () => {
        this.#maybeSynced()
      },
    })
    this.#run = { pods, namespaces }
    pods.start()
    namespaces.start()
  }

  /** Stops both watches and drops the index (a stale index must not attribute anything). */
  stop(): void {
    const run = this.#run
    if (run === undefined) return
    this.#run = undefined
    run.pods.stop()
    run.namespaces.stop()
    this.index.clear()
    for (const w of this.#waiters.splice(0)) w()
  }

  /** Resolves true once synced, false after `timeoutMs` or when stopped first. */
  whenSynced(timeoutMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true)
    if (!this.running) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        resolve(this.synced)
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done)
        resolve(this.synced)
      }, timeoutMs)
      timer.unref()
      this.#waiters.push(done)
    })
  }

  #maybeSynced(): void {
    if (!this.synced) return
    for (const w of this.#waiters.splice(0)) w()
  }
}
