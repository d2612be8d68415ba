/**
 * Makes the cluster's Portcullis-managed NetworkPolicies (label `app.kubernetes.io/managed-by:
 * portcullis`) equal to the desired set: server-side apply (field manager `portcullis`, forced) for
 * new or changed ones, delete for those no longer wanted. A content hash in an annotation makes an
 * unchanged policy cost nothing. Reconciles are serialized; a request during one runs once more
 * after it with the newest desired set. Failures are logged and retried on the next reconcile.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { KubeApiError, isRecord, type KubeClient } from '../sources/kubernetes-client.js'
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type NetworkPolicyManifest,
} from './network-policy-builder.js'

/** Annotation holding the hash of the applied manifest. */
export const SPEC_HASH_ANNOTATION = 'portcullis.dev/spec-hash'
export const FIELD_MANAGER = 'portcullis'

export interface ReconcileResult {
  readonly applied: number
  readonly deleted: number
  readonly unchanged: number
  readonly failed: number
}

export interface NetworkPolicyReconcilerLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface NetworkPolicyReconcilerOptions {
  readonly client: KubeClient
  /** Namespaces where managed policies may live; empty = the whole cluster. */
  readonly namespaces: readonly string[]
  readonly logger?: NetworkPolicyReconcilerLogger
}

export class NetworkPolicyReconciler {
  readonly #o: NetworkPolicyReconcilerOptions
  #running: Promise<ReconcileResult> | undefined
  #next: readonly NetworkPolicyManifest[] | undefined

  constructor(opts: NetworkPolicyReconcilerOptions) {
    this.#o = opts
  }

  /** Reconciles to `desired` (or, if one is running, once more after it with the newest set). */
  reconcile(desired: readonly NetworkPolicyManifest[]): Promise<ReconcileResult> {
    if (this.#running) {
      this.#next = desired
      return this.#running
    }
    const run = async (): Promise<ReconcileResult> => {
      let set: readonly NetworkPolicyManifest[] | undefined = desired
      let result: ReconcileResult = { applied: 0, deleted: 0, unchanged: 0, failed: 0 }
      while (set !== undefined) {
        this.#next = undefined
        result = await this.#once(set)
        set = this.#next
      }
      return result
    }
    this.#running = run().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #once(desired: readonly NetworkPolicyManifest[]): Promise<ReconcileResult> {
    let applied = 0
    let deleted = 0
    let unchanged = 0
    let failed = 0
    let existing: Map<string, string | undefined>
    try {
      existing = await this.#listManaged()
    } catch (err) {
      this.#o.logger?.warn(
        { err: (err as Error).message },
        'listing managed NetworkPolicies failed; will retry',
      )
      return { applied, deleted, unchanged, failed: desired.length }
    }
    const wanted = new Set<string>()
    for (const np of desired) {
      const key = `${np.metadata.namespace}/${np.metadata.name}`
      wanted.add(key)
      const hash = hashOf(np)
      if (existing.get(key) === hash) {
        unchanged++
        continue
      }
      try {
        await this.#o.client.request({
          method: 'PATCH',
          path: `${collectionPath(np.metadata.namespace)}/${encodeURIComponent(np.metadata.name)}`,
          query: { fieldManager: FIELD_MANAGER, force: 'true' },
          contentType: 'application/apply-patch+yaml',
          body: {
            ...np,
            metadata: {
              ...np.metadata,
              annotations: { ...np.metadata.annotations, [SPEC_HASH_ANNOTATION]: hash },
            },
          },
        })
        applied++
        this.#o.logger?.info({ networkPolicy: key }, 'NetworkPolicy applied')
      } catch (err) {
        failed++
        this.#o.logger?.warn(
          { networkPolicy: key, err: (err as Error).message },
          'NetworkPolicy apply failed',
        )
      }
    }
    for (const key of existing.keys()) {
      if (wanted.has(key)) continue
      const [ns = '', name = ''] = key.split('/')
      try {
        await this.#o.client.request({
          method: 'DELETE',
          path: `${collectionPath(ns)}/${encodeURIComponent(name)}`,
        })
        deleted++
        this.#o.logger?.info({ networkPolicy: key }, 'stale NetworkPolicy deleted')
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) continue
        failed++
        this.#o.logger?.warn(
          { networkPolicy: key, err: (err as Error).message },
          'NetworkPolicy delete failed',
        )
      }
    }
    return { applied, deleted, unchanged, failed }
  }

  /** `namespace/name` → spec hash of every managed policy in scope. */
  async #listManaged(): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>()
    const scopes = this.#o.namespaces.length === 0 ? [undefined] : [...new Set(this.#o.namespaces)]
    for (const ns of scopes) {
      let cont: string | undefined
      do {
        const page = await this.#o.client.request({
          method: 'GET',
          path: collectionPath(ns),
          query: {
            labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
            limit: '500',
            continue: cont,
          },
        })
        const items = Array.isArray(page['items']) ? (page['items'] as unknown[]) : []
        for (const item of items) {
          if (!isRecord(item) || !isRecord(item['metadata'])) continue
          const m = item['metadata']
          const annotations = isRecord(m['annotations']) ? m['annotations'] : {}
          const hash = annotations[SPEC_HASH_ANNOTATION]
          out.set(
            `${String(m['namespace'])}/${String(m['name'])}`,
            typeof hash === 'string' ? hash : undefined,
          )
        }
        const meta = isRecord(page['metadata']) ? page['metadata'] : {}
        cont =
          typeof meta['continue'] === 'string' && meta['continue'] !== ''
            ? meta['continue']
            : undefined
      } while (cont !== undefined)
    }
    return out
  }
}

function collectionPath(namespace: string | undefined): string {
  return namespace === undefined
    ? '/apis/networking.k8s.io/v1/networkpolicies'
    : `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/networkpolicies`
}

function hashOf(np: NetworkPolicyManifest): string {
  return createHash('sha256').update(JSON.stringify(np)).digest('hex').slice(0, 32)
}
