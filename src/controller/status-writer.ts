/**
 * Writes `status` (Ready condition, observedGeneration) of Portcullis objects through the status
 * subresource with merge patches, leader only, only when the stored status differs from the desired
 * one, rate limited (a token bucket: bursts up to `burst`, then `writesPerSecond`), one write at a
 * time, the newest desired state per object winning. A failed write is retried with backoff; a
 * vanished object (404) is dropped.
 *
 * @module
 */
import { KubeApiError, type KubeClient } from '../sources/kubernetes-client.js'
import { customObjectPath } from '../sources/kubernetes-resources.js'
import { readyStatusPatch, refKeyOf, statusMatches, type ReadyTarget } from './ready-condition.js'

export interface StatusWriterLogger {
  debug(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface StatusWriterOptions {
  readonly client: KubeClient
  readonly isLeader: () => boolean
  /** Sustained write rate. Default 10/s. */
  readonly writesPerSecond?: number
  /** Writes allowed at once before the rate applies. Default 20. */
  readonly burst?: number
  readonly logger?: StatusWriterLogger
  readonly now?: () => number
}

/** A written status is trusted for this long while the watch catches up with it. */
const WRITTEN_TTL_MS = 30_000
const MAX_RETRY_DELAY_MS = 30_000

export class StatusWriter {
  readonly #o: StatusWriterOptions
  readonly #pending = new Map<string, ReadyTarget>()
  readonly #written = new Map<string, { desired: string; at: number }>()
  readonly #failures = new Map<string, number>()
  #tokens: number
  #refillAt: number
  #draining: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false
  /** Successful status writes (for tests and logs). */
  writes = 0

  constructor(opts: StatusWriterOptions) {
    this.#o = opts
    this.#tokens = opts.burst ?? 20
    this.#refillAt = this.#now()
  }

  /** Queues the objects whose stored status differs from the desired one; writes if leader. */
  update(targets: readonly ReadyTarget[]): void {
    if (this.#closed || !this.#o.isLeader()) return
    const now = this.#now()
    const present = new Set<string>()
    for (const t of targets) {
      const k = refKeyOf(t.object)
      present.add(k)
      if (statusMatches(t.object.status, t.desired)) {
        this.#pending.delete(k)
        this.#written.delete(k)
        continue
      }
      const desired = JSON.stringify(t.desired)
      const w = this.#written.get(k)
      if (w !== undefined && w.desired === desired && now - w.at < WRITTEN_TTL_MS) continue
      this.#pending.set(k, t)
    }
    for (const k of [...this.#pending.keys()]) if (!present.has(k)) this.#pending.delete(k)
    for (const k of [...this.#written.keys()]) if (!present.has(k)) this.#written.delete(k)
    this.#kick()
  }

  /** Resolves when nothing is queued or in flight (tests). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining
  }

  close(): void {
    this.#closed = true
    this.#pending.clear()
    if (this.#timer) clearTimeout(this.#timer)
  }

  #kick(): void {
    if (this.#draining !== undefined || this.#pending.size === 0) return
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined
    })
  }

  async #drain(): Promise<void> {
    while (!this.#closed && this.#pending.size > 0) {
      if (!this.#o.isLeader()) {
        this.#pending.clear()
        return
      }
      await this.#takeToken()
      const next = this.#pending.entries().next()
      if (next.done === true) return
      const [k, t] = next.value
      this.#pending.delete(k)
      try {
        await this.#o.client.request({
          method: 'PATCH',
          path: `${customObjectPath(t.object.plural, t.object.namespace, t.object.name)}/status`,
          contentType: 'application/merge-patch+json',
          query: { fieldManager: 'portcullis' },
          body: readyStatusPatch(t.object.status, t.desired, this.#now()),
        })
        this.writes++
        this.#failures.delete(k)
        this.#written.set(k, { desired: JSON.stringify(t.desired), at: this.#now() })
        this.#o.logger?.debug(
          { object: k, ready: t.desired.status, reason: t.desired.reason },
          'status written',
        )
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) continue // deleted meanwhile
        const n = (this.#failures.get(k) ?? 0) + 1
        this.#failures.set(k, n)
        this.#o.logger?.warn({ object: k, err: (err as Error).message }, 'status write failed')
        this.#retryLater(k, t, Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(n, 10)))
      }
    }
  }

  #retryLater(k: string, t: ReadyTarget, delayMs: number): void {
    const timer = setTimeout(() => {
      if (this.#closed || this.#pending.has(k)) return
      this.#pending.set(k, t)
      this.#kick()
    }, delayMs)
    timer.unref()
  }

  async #takeToken(): Promise<void> {
    const rate = this.#o.writesPerSecond ?? 10
    const burst = this.#o.burst ?? 20
    for (;;) {
      const now = this.#now()
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refillAt) / 1000) * rate)
      this.#refillAt = now
      if (this.#tokens >= 1) {
        this.#tokens -= 1
        return
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / rate) * 1000)
      await new Promise<void>((resolve) => {
        this.#timer = setTimeout(resolve, waitMs)
      })
    }
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now()
  }
}
