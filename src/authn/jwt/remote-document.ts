/**
 * A lazily fetched, cached remote JSON document (a JWKS or an OIDC discovery document) with the
 * resilience rules of JwksRegistry: one fetch at a time per reason, newest-started fetch wins,
 * background retry with backoff while nothing is known, stale-while-revalidate once something is.
 *
 * @module
 */
import type { FetchJsonResult, FetchOutcome } from './fetch-json-bounded.js'

export interface RemoteDocumentDeps<T> {
  readonly url: string
  /** Does the bounded GET (injected so the registry owns timeouts, limits and abort). */
  readonly fetchJson: (url: string) => Promise<FetchJsonResult>
  /** Validates and converts the JSON; an Error counts as outcome `invalid`. */
  readonly parse: (json: unknown) => Promise<T | Error>
  readonly onFetch: (outcome: FetchOutcome, seconds: number) => void
  readonly now: () => number
  readonly cacheMaxAgeMs: number
  readonly maxStaleMs: number
  readonly retryIntervalMs: number
  readonly maxRetryIntervalMs: number
  readonly isClosed: () => boolean
  /** Called after each successful fetch (discovery chains into its JWKS). */
  readonly onSuccess?: ((value: T) => void) | undefined
}

export interface RemoteDocumentStatus {
  readonly url: string
  /** `pending`: never fetched; `ok`: fresh; `stale`: serving old value while refresh fails; `failing`: nothing usable. */
  readonly state: 'pending' | 'ok' | 'stale' | 'failing'
  readonly lastSuccessAtMs: number | undefined
  readonly lastError: string | undefined
  readonly fetches: number
}

interface Inflight {
  readonly seq: number
  readonly done: Promise<void>
}

export class RemoteDocument<T> {
  readonly #deps: RemoteDocumentDeps<T>
  #value: T | undefined
  #fetchedAtMs = 0
  #appliedSeq = 0
  #seq = 0
  #inflight: Inflight | undefined
  #lastAttemptAtMs = -Infinity
  #consecutiveFailures = 0
  #lastError: string | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #fetches = 0
  /** When the last forced refetch (unknown kid) started; see JwksRegistry cooldown. */
  lastForcedAtMs = -Infinity

  constructor(deps: RemoteDocumentDeps<T>) {
    this.#deps = deps
  }

  /** The value if one is usable now (not older than maxStaleMs), without any I/O. */
  current(): T | undefined {
    if (this.#value === undefined) return undefined
    if (this.#deps.now() - this.#fetchedAtMs > this.#deps.maxStaleMs) return undefined
    return this.#value
  }

  /**
   * The synchronous part of get(): the usable value, if any, starting a background refresh when
   * it is older than cacheMaxAgeMs. One clock read.
   */
  peek(): T | undefined {
    const value = this.#value
    if (value === undefined) return undefined
    const now = this.#deps.now()
    const age = now - this.#fetchedAtMs
    if (age > this.#deps.maxStaleMs) return undefined
    if (age > this.#deps.cacheMaxAgeMs && this.#inflight === undefined && this.#mayAttempt(now)) {
      void this.#start()
    }
    return value
  }

  /**
   * A usable value, fetching when needed:
   * - known and fresh → returned at once;
   * - known but older than cacheMaxAgeMs → returned at once, refresh started in the background
   *   (at most once per retryIntervalMs while the issuer keeps failing);
   * - unknown → joins the fetch in flight, or starts one unless the last attempt failed less than
   *   retryIntervalMs ago (then undefined at once: the background retry is on it).
   */
  async get(): Promise<T | undefined> {
    const now = this.#deps.now()
    const value = this.current()
    if (value !== undefined) {
      this.refreshIfStale()
      return value
    }
    if (this.#inflight !== undefined) {
      await this.#inflight.done
      return this.current()
    }
    if (!this.#mayAttempt(now)) return undefined
    await this.#start()
    return this.current()
  }

  /** Starts a background refresh when the value is older than cacheMaxAgeMs (rate-limited). */
  refreshIfStale(): void {
    const now = this.#deps.now()
    if (
      this.#value !== undefined &&
      now - this.#fetchedAtMs > this.#deps.cacheMaxAgeMs &&
      this.#inflight === undefined &&
      this.#mayAttempt(now)
    ) {
      void this.#start()
    }
  }

  /** Starts a new fetch even if one is in flight (its result wins over older ones) and waits. */
  async refetch(): Promise<T | undefined> {
    await this.#start()
    return this.current()
  }

  /** Waits for the fetch in flight, if any. */
  async settled(): Promise<void> {
    if (this.#inflight !== undefined) await this.#inflight.done
  }

  get inflight(): boolean {
    return this.#inflight !== undefined
  }

  status(): RemoteDocumentStatus {
    const usable = this.current() !== undefined
    const fresh = usable && this.#deps.now() - this.#fetchedAtMs <= this.#deps.cacheMaxAgeMs
    return {
      url: this.#deps.url,
      state: usable
        ? fresh || this.#consecutiveFailures === 0
          ? 'ok'
          : 'stale'
        : this.#fetches === 0
          ? 'pending'
          : 'failing',
      lastSuccessAtMs: this.#value === undefined ? undefined : this.#fetchedAtMs,
      lastError: this.#lastError,
      fetches: this.#fetches,
    }
  }

  stop(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }

  #mayAttempt(now: number): boolean {
    return !this.#deps.isClosed() && now - this.#lastAttemptAtMs >= this.#deps.retryIntervalMs
  }

  #start(): Promise<void> {
    if (this.#deps.isClosed()) return Promise.resolve()
    const seq = ++this.#seq
    this.#lastAttemptAtMs = this.#deps.now()
    this.#fetches++
    const done = this.#run(seq).finally(() => {
      if (this.#inflight?.seq === seq) this.#inflight = undefined
    })
    this.#inflight = { seq, done }
    return done
  }

  async #run(seq: number): Promise<void> {
    const started = performance.now()
    let outcome: FetchOutcome
    let parsed: T | undefined
    let error: string | undefined
    try {
      const res = await this.#deps.fetchJson(this.#deps.url)
      if (res.ok) {
        const value = await this.#deps.parse(res.json)
        if (value instanceof Error) {
          outcome = 'invalid'
          error = value.message
        } else {
          outcome = 'success'
          parsed = value
        }
      } else {
        outcome = res.outcome
        error = res.reason
      }
    } catch (err) {
      outcome = 'error'
      error = err instanceof Error ? err.message : 'unexpected failure'
    }
    try {
      this.#deps.onFetch(outcome, (performance.now() - started) / 1000)
    } catch {
      // A metrics callback must never break key handling.
    }
    // A slow response from an older fetch must not overwrite what a newer one already applied.
    if (seq <= this.#appliedSeq) return
    if (parsed !== undefined) {
      this.#appliedSeq = seq
      this.#value = parsed
      this.#fetchedAtMs = this.#deps.now()
      this.#consecutiveFailures = 0
      this.#lastError = undefined
      this.stop()
      try {
        this.#deps.onSuccess?.(parsed)
      } catch {
        // Chained work is best-effort; this value is applied either way.
      }
      return
    }
    this.#consecutiveFailures++
    this.#lastError = `${outcome}: ${error ?? ''}`.slice(0, 300)
    if (this.current() === undefined) this.#scheduleRetry()
  }

  /** Nothing usable and the fetch failed: retry in the background, 1×, 2×, 4×… capped. */
  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#deps.isClosed()) return
    const exp = Math.min(this.#consecutiveFailures - 1, 16)
    // Floor of 10 ms: even with retryIntervalMs 0 (request-driven attempts unthrottled) the
    // background loop stays exponential instead of spinning.
    const base = Math.max(this.#deps.retryIntervalMs, 10)
    const delay = Math.min(base * 2 ** exp, Math.max(this.#deps.maxRetryIntervalMs, base))
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      if (this.current() !== undefined || this.#inflight !== undefined) return
      void this.#start()
    }, delay)
    // Background retries must not keep a process (or a test worker) alive on their own.
    this.#retryTimer.unref()
  }
}
