/**
 * List + watch for one resource in one scope (a namespace, or the cluster), client-go's reflector in
 * small: a paged list fills the store and gives a resourceVersion, a watch from there applies changes;
 * a watch that ends is resumed from the last seen resourceVersion; `410 Gone` (the version fell out
 * of the API server's window) relists; every failure retries with capped exponential backoff plus
 * jitter. Never throws: problems are logged and retried, and the store keeps its last contents.
 *
 * @module
 */
import { KubeApiError, isRecord, type KubeClient, type WatchEvent } from './kubernetes-client.js'

export interface ReflectorLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface ReflectorOptions {
  readonly client: KubeClient
  /** Collection path, e.g. `/apis/portcullis.dev/v1alpha1/namespaces/shop/restapis`. */
  readonly path: string
  /** Set on every item (list items may come without them). */
  readonly apiVersion: string
  readonly kind: string
  readonly fieldSelector?: string
  /** Keeps (possibly slimmed) or drops (undefined) an object; a drop of a known object deletes it. */
  readonly transform?: (obj: Record<string, unknown>) => Record<string, unknown> | undefined
  /** Whether a modification matters to the configuration (default: always). */
  readonly significant?: (prev: Record<string, unknown>, next: Record<string, unknown>) => boolean
  /** Called after the store changed in a way that matters. */
  readonly onChange: () => void
  /**
   * Called for every stored object added, replaced or removed (`prev` / `next` undefined when
   * absent), including the differences a (re)list makes, before `onChange`: lets a consumer keep its
   * own index in step with the store incrementally.
   */
  readonly onItem?: (
    key: string,
    prev: Record<string, unknown> | undefined,
    next: Record<string, unknown> | undefined,
  ) => void
  readonly logger?: ReflectorLogger
  /** Items per list page. Default 250. */
  readonly pageSize?: number
  /** Backoff after failures: first delay and cap, in ms. Defaults 250 and 30 000. */
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  /**
   * Server-side watch timeout in seconds (the watch is then resumed). Default 20..28 s: below
   * client-node's 30 s inactivity abort, so an idle watch ends cleanly rather than as an error.
   */
  readonly watchTimeoutSeconds?: number
}

/** Outcome of one watch stream. */
type WatchEnd =
  | { readonly kind: 'ended' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'error'; readonly err: unknown }

export class Reflector {
  readonly #o: ReflectorOptions
  /** `namespace/name` → object as stored. */
  readonly items = new Map<string, Record<string, unknown>>()
  #synced = false
  #stopped = false
  #resourceVersion = ''
  #failures = 0
  #stopWatch: (() => void) | undefined
  #sleepTimer: NodeJS.Timeout | undefined
  #wake: (() => void) | undefined
  /** Lists done (for tests and metrics). */
  lists = 0

  constructor(opts: ReflectorOptions) {
    this.#o = opts
  }

  /** True once the first list completed. */
  get synced(): boolean {
    return this.#synced
  }

  get path(): string {
    return this.#o.path
  }

  start(): void {
    void this.#run()
  }

  stop(): void {
    this.#stopped = true
    this.#stopWatch?.()
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer)
    this.#wake?.()
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#list()
      } catch (err) {
        this.#o.logger?.warn(
          { path: this.#o.path, err: describe(err) },
          'kubernetes list failed; retrying with backoff',
        )
        await this.#backoff()
        continue
      }
      // Watch from the listed version until it expires (then relist) or we stop.
      while (!this.#stopped) {
        const end = await this.#watchOnce()
        if (this.#stopped) return
        if (end.kind === 'expired') {
          this.#o.logger?.info({ path: this.#o.path }, 'watch expired (410 Gone); relisting')
          await this.#backoffIfRepeated()
          break
        }
        if (end.kind === 'error') {
          this.#o.logger?.warn(
            { path: this.#o.path, err: describe(end.err) },
            'kubernetes watch failed; resuming with backoff',
          )
          await this.#backoff()
          if (end.err instanceof KubeApiError && end.err.status === 410) break
          continue
        }
        // A cleanly ended stream (server timeout) is simply resumed.
        this.#failures = 0
      }
    }
  }

  async #list(): Promise<void> {
    const next = new Map<string, Record<string, unknown>>()
    let cont: string | undefined
    let rv = ''
    do {
      const page = await this.#o.client.request({
        method: 'GET',
        path: this.#o.path,
        query: {
          limit: String(this.#o.pageSize ?? 250),
          continue: cont,
          fieldSelector: this.#o.fieldSelector,
        },
      })
      const items = Array.isArray(page['items']) ? (page['items'] as unknown[]) : []
      for (const raw of items) {
        if (!isRecord(raw)) continue
        const obj = this.#prepare(raw)
        if (obj) next.set(keyOf(obj), obj)
      }
      const meta = isRecord(page['metadata']) ? page['metadata'] : {}
      rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : rv
      cont =
        typeof meta['continue'] === 'string' && meta['continue'] !== ''
          ? meta['continue']
          : undefined
    } while (cont !== undefined && !this.#stopped)
    if (this.#stopped) return
    const onItem = this.#o.onItem
    if (onItem) {
      for (const [k, v] of this.items) if (!next.has(k)) onItem(k, v, undefined)
      for (const [k, v] of next) onItem(k, this.items.get(k), v)
    }
    this.items.clear()
    for (const [k, v] of next) this.items.set(k, v)
    this.#resourceVersion = rv
    this.#synced = true
    this.lists++
    this.#o.onChange()
  }

  #watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let expired = false
      const timeout = this.#o.watchTimeoutSeconds ?? 20 + Math.floor(Math.random() * 9)
      void this.#o.client
        .watch(
          this.#o.path,
          {
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: 'true',
            timeoutSeconds: String(timeout),
            fieldSelector: this.#o.fieldSelector,
          },
          (e) => {
            if (this.#apply(e) === 'expired') {
              expired = true
              this.#stopWatch?.()
              resolve({ kind: 'expired' })
            }
          },
          (err) => {
            if (expired) return
            if (err === undefined) resolve({ kind: 'ended' })
            else if (err instanceof KubeApiError && err.status === 410) resolve({ kind: 'expired' })
            else resolve({ kind: 'error', err })
          },
        )
        .then((stop) => {
          this.#stopWatch = stop
          if (this.#stopped) stop()
        })
    })
  }

  #apply(e: WatchEvent): 'ok' | 'expired' {
    // A delivered event proves the stream works: the next failure starts from the first delay.
    if (e.type !== 'ERROR') this.#failures = 0
    const meta = isRecord(e.object['metadata']) ? e.object['metadata'] : {}
    const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined
    switch (e.type) {
      case 'BOOKMARK':
        if (rv) this.#resourceVersion = rv
        return 'ok'
      case 'ERROR': {
        // A Status object: 410 Expired/Gone means our resourceVersion is too old → relist.
        const code = e.object['code']
        if (code === 410) return 'expired'
        this.#o.logger?.warn(
          { path: this.#o.path, status: code, reason: e.object['reason'] },
          'watch error event; relisting',
        )
        return 'expired'
      }
      case 'ADDED':
      case 'MODIFIED': {
        if (rv) this.#resourceVersion = rv
        const obj = this.#prepare(e.object)
        const key = keyOf(obj ?? this.#withKind(e.object))
        const prev = this.items.get(key)
        if (obj === undefined) {
          if (prev !== undefined) {
            this.items.delete(key)
            this.#o.onItem?.(key, prev, undefined)
            this.#o.onChange()
          }
          return 'ok'
        }
        this.items.set(key, obj)
        this.#o.onItem?.(key, prev, obj)
        if (prev === undefined || (this.#o.significant?.(prev, obj) ?? true)) this.#o.onChange()
        return 'ok'
      }
      case 'DELETED': {
        if (rv) this.#resourceVersion = rv
        const key = keyOf(this.#withKind(e.object))
        const prev = this.items.get(key)
        if (prev !== undefined && this.items.delete(key)) {
          this.#o.onItem?.(key, prev, undefined)
          this.#o.onChange()
        }
        return 'ok'
      }
    }
  }

  #withKind(raw: Record<string, unknown>): Record<string, unknown> {
    return { ...raw, apiVersion: this.#o.apiVersion, kind: this.#o.kind }
  }

  #prepare(raw: Record<string, unknown>): Record<string, unknown> | undefined {
    const obj = this.#withKind(raw)
    // managedFields can be most of an object's bytes and nothing here reads them.
    if (isRecord(obj['metadata']) && 'managedFields' in obj['metadata']) {
      const rest = { ...obj['metadata'] }
      delete rest['managedFields']
      obj['metadata'] = rest
    }
    return this.#o.transform ? this.#o.transform(obj) : obj
  }

  async #backoffIfRepeated(): Promise<void> {
    if (this.#failures > 0) await this.#backoff()
    else this.#failures++
  }

  async #backoff(): Promise<void> {
    const initial = this.#o.backoffInitialMs ?? 250
    const max = this.#o.backoffMaxMs ?? 30_000
    const base = Math.min(max, initial * 2 ** Math.min(this.#failures, 20))
    this.#failures++
    const delay = base / 2 + Math.random() * (base / 2)
    await new Promise<void>((resolve) => {
      this.#wake = resolve
      this.#sleepTimer = setTimeout(resolve, delay)
      this.#sleepTimer.unref()
    })
    this.#wake = undefined
  }
}

export function keyOf(obj: Record<string, unknown>): string {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : ''
  const name = typeof meta['name'] === 'string' ? meta['name'] : ''
  return `${ns}/${name}`
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
