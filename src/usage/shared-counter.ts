/**
 * Counting shared by every replica through a store (Redis): quota units and rate tokens are leased
 * in blocks (leases.ts) and spent locally, so `consume` stays synchronous. When the store is down
 * or slower than `timeoutMs`, counting falls back to per-replica limits (each replica enforces the
 * plan on its own traffic, starting from the last shared count it knew); requests counted meanwhile
 * are added to the shared count when the store answers again. Which keys are valid never depends on
 * the store: an unknown or disabled key is refused before counting.
 *
 * @module
 */
import { LocalUsageCounter } from './local-counter.js'
import { Lease, quotaBlock, quotaLeaseCap, rateBlock, rateLeaseCap } from './leases.js'
import { periodEnd, periodStart } from './quota-period.js'
import type {
  KeyUsage,
  Quota,
  Throttle,
  UsageCounter,
  UsageRequest,
  UsageResult,
} from './usage-counter.js'

/** The store's two atomic operations (Redis Lua scripts in redis-store.ts). */
export interface LeaseStore {
  /**
   * Adds `debt` to the period's count, then grants up to `want` more units without passing
   * `limit`. Resolves to the units granted and the count after the call.
   */
  leaseQuota(
    id: string,
    limit: number,
    debt: number,
    want: number,
    ttlMs: number,
  ): Promise<{ granted: number; used: number }>
  /**
   * Takes `debt` tokens from the shared bucket, then grants up to `want` whole tokens. Resolves to
   * the tokens granted and the bucket's balance after the call (negative when credit overdrew it).
   */
  leaseTokens(
    id: string,
    limits: Throttle,
    debt: number,
    want: number,
  ): Promise<{ granted: number; tokens: number }>
  /** Cheap round trip to learn whether the store is back. */
  ping(): Promise<void>
}

export type SharedState = 'shared' | 'fallback'

export interface SharedCounterOptions {
  readonly store: LeaseStore
  /** A store call slower than this switches to per-replica limits. Default 250 ms. */
  readonly timeoutMs?: number
  /** While in fallback, the store is probed this often. Default 500 ms. */
  readonly probeIntervalMs?: number
  /** Told when counting switches between shared and per-replica. */
  readonly onStateChange?: (state: SharedState, reason: string) => void
  /** One request counted per replica because the store was unavailable. */
  readonly onFallbackRequest?: () => void
}

interface QuotaLease {
  readonly lease: Lease
  readonly start: number
  readonly limit: number
  /** How long the store keeps the period's count: to the period's end, plus a day. */
  readonly ttlMs: number
  /** The shared count at the last answer (our unspent units included). */
  known: number
  /** Requests allowed in fallback, not yet added to the shared count. */
  unsynced: number
  exhausted: boolean
}

interface TokenLease {
  /** The bucket's id in the store: `plan\nkey`, plus `\nmethod` for a per-method bucket. */
  readonly id: string
  readonly lease: Lease
  readonly limits: Throttle
}

class StoreTimeout extends Error {}

export class SharedUsageCounter implements UsageCounter {
  readonly #store: LeaseStore
  readonly #timeoutMs: number
  readonly #probeMs: number
  readonly #onState: SharedCounterOptions['onStateChange']
  readonly #onFallback: SharedCounterOptions['onFallbackRequest']
  readonly #local = new LocalUsageCounter()
  readonly #quotas = new Map<string, QuotaLease>()
  readonly #tokens = new Map<string, TokenLease>()
  #state: SharedState = 'shared'
  #since = Date.now()
  #reason = ''
  #probe: NodeJS.Timeout | undefined
  #closed = false

  constructor(opts: SharedCounterOptions) {
    this.#store = opts.store
    this.#timeoutMs = opts.timeoutMs ?? 250
    this.#probeMs = opts.probeIntervalMs ?? 500
    this.#onState = opts.onStateChange
    this.#onFallback = opts.onFallbackRequest
  }

  get state(): { readonly state: SharedState; readonly since: number; readonly reason: string } {
    return { state: this.#state, since: this.#since, reason: this.#reason }
  }

  /** Starts in fallback until the store has answered once (a replica never waits for it). */
  markUnavailable(reason: string): void {
    this.#fallback(reason)
  }

  consume(r: UsageRequest, nowMs: number): UsageResult {
    const pair = `${r.plan}\n${r.key}`
    const quota = r.quota === undefined ? undefined : this.#quotaLease(pair, r.quota, nowMs)
    if (this.#state === 'fallback') return this.#consumeFallback(r, quota)
    const plan = r.planThrottle === undefined ? undefined : this.#tokenLease(pair, r.planThrottle)
    const method =
      r.methodThrottle === undefined
        ? undefined
        : this.#tokenLease(`${pair}\n${r.methodThrottle.id}`, r.methodThrottle.limits)
    plan?.lease.want()
    method?.lease.want()
    let result: UsageResult = 'allowed'
    if (
      (plan !== undefined && !plan.lease.canTake(nowMs)) ||
      (method !== undefined && !method.lease.canTake(nowMs))
    ) {
      result = 'throttled'
    } else if (quota !== undefined) {
      quota.lease.want()
      if (quota.exhausted && quota.lease.avail < 1) {
        // Units already leased were counted by the store: they are spent before refusing.
        result = 'quota_exceeded'
      } else if (!quota.lease.canTake(nowMs)) {
        // Faster than quota leases arrive (a block of credit spent, the next lease in flight): the
        // quota may not be used up, so this is the throttle's answer, not Limit Exceeded.
        result = 'throttled'
      }
    }
    if (result === 'allowed') {
      plan?.lease.take()
      method?.lease.take()
      quota?.lease.take()
    }
    if (plan !== undefined) this.#refillTokens(plan)
    if (method !== undefined) this.#refillTokens(method)
    if (quota !== undefined && r.quota !== undefined) this.#refillQuota(pair, quota)
    return result
  }

  usage(plan: string, key: string, quota: Quota, nowMs: number): KeyUsage {
    const start = periodStart(quota.period, quota.offset, nowMs)
    const q = this.#quotas.get(`${plan}\n${key}`)
    // As of this replica's last exchange with the store: other replicas' unspent leases read as
    // used and their credit not yet charged does not (at most 1.5 leases, or one block, each).
    const used =
      q === undefined || q.start !== start ? 0 : q.known - q.lease.avail + q.lease.debt + q.unsynced
    return { used, remaining: Math.max(0, quota.limit - used), periodStart: start }
  }

  /** Drops lease state of plan/key pairs that no longer exist. */
  retain(live: (plan: string, key: string) => boolean): void {
    for (const map of [this.#quotas, this.#tokens] as const) {
      for (const id of map.keys()) {
        const [plan = '', key = ''] = id.split('\n', 2)
        if (!live(plan, key)) map.delete(id)
      }
    }
    this.#local.retain(live)
  }

  close(): void {
    this.#closed = true
    if (this.#probe !== undefined) clearInterval(this.#probe)
  }

  #consumeFallback(r: UsageRequest, quota: QuotaLease | undefined): UsageResult {
    // Per-replica limits: this replica's own token buckets with the plan's full limits.
    const throttle = this.#local.consume({ ...r, quota: undefined }, Date.now())
    if (throttle !== 'allowed') return throttle
    if (quota !== undefined) {
      if (quota.lease.avail >= 1)
        quota.lease.avail -= 1 // already counted by the store
      else if (!quota.exhausted && quota.known + quota.unsynced < quota.limit) quota.unsynced += 1
      else return 'quota_exceeded'
    }
    this.#onFallback?.()
    return 'allowed'
  }

  #quotaLease(pair: string, quota: Quota, nowMs: number): QuotaLease {
    const start = periodStart(quota.period, quota.offset, nowMs)
    let q = this.#quotas.get(pair)
    if (q === undefined || q.start !== start || q.limit !== quota.limit) {
      q = {
        lease: new Lease(quotaBlock(quota.limit), quotaLeaseCap(quota.limit)),
        start,
        limit: quota.limit,
        ttlMs: periodEnd(quota.period, quota.offset, start) - nowMs + 86_400_000,
        known: 0,
        unsynced: 0,
        exhausted: false,
      }
      this.#quotas.set(pair, q)
    }
    return q
  }

  #tokenLease(id: string, limits: Throttle): TokenLease {
    let t = this.#tokens.get(id)
    if (
      t === undefined ||
      t.limits.rateLimit !== limits.rateLimit ||
      t.limits.burstLimit !== limits.burstLimit
    ) {
      t = {
        id,
        lease: new Lease(
          rateBlock(limits.rateLimit, limits.burstLimit),
          rateLeaseCap(limits.rateLimit, limits.burstLimit),
        ),
        limits,
      }
      this.#tokens.set(id, t)
    }
    return t
  }

  #refillQuota(pair: string, q: QuotaLease): void {
    if (
      this.#state !== 'shared' ||
      (!q.lease.wantsRefill() && q.lease.debt === 0 && q.unsynced === 0) ||
      q.lease.pending
    )
      return
    if (q.exhausted && q.lease.debt === 0 && q.unsynced === 0) return
    const debt = q.lease.debt + q.unsynced
    const size = q.lease.requested()
    const want = q.exhausted ? 0 : size
    this.#call(this.#store.leaseQuota(`${pair}\n${q.start}`, q.limit, debt, want, q.ttlMs)).then(
      ({ granted, used }) => {
        q.lease.answered()
        q.lease.debt -= Math.min(q.lease.debt, debt)
        q.unsynced = 0
        q.lease.avail += granted
        q.known = used
        q.exhausted = granted === 0 && used >= q.limit
      },
      (err: unknown) => {
        q.lease.pending = false
        this.#fallback(describe(err))
      },
    )
  }

  #refillTokens(t: TokenLease): void {
    if (
      this.#state !== 'shared' ||
      t.lease.pending ||
      (!t.lease.wantsRefill() && t.lease.debt === 0)
    )
      return
    const debt = t.lease.debt
    const want = t.lease.requested()
    this.#call(this.#store.leaseTokens(t.id, t.limits, debt, want)).then(
      ({ granted, tokens }) => {
        t.lease.answered()
        t.lease.debt -= Math.min(t.lease.debt, debt)
        t.lease.avail += granted
        // Nothing left in the shared bucket: no credit until the refill has brought it back to one
        // whole token. Waiting a fixed tick instead would let each replica spend a block of credit
        // per tick however deep credit had overdrawn the bucket, far beyond the rate.
        t.lease.emptyUntil =
          granted === 0 ? Date.now() + refillWaitMs(tokens, t.limits.rateLimit) : 0
      },
      (err: unknown) => {
        t.lease.pending = false
        this.#fallback(describe(err))
      },
    )
  }

  /**
   * A store call that gives up after the timeout (the store's answer may still arrive later).
   *
   * The timeout is judged on time the loop was free to read the answer, not on a bare timer: on a
   * saturated loop one turn can outlast the timeout, and libuv runs expired timers before polling
   * for I/O, so a timer alone would call a store slow whose answer came back at once and sits
   * unread in the socket. Hence the clock starts on the turn after the call (the client writes its
   * commands from a setImmediate queued before ours, so the request has left by then) and an
   * expired timer gives the poll phase one turn (setImmediate) before deciding. A store that really
   * is down or stalled still times out after `timeoutMs` plus a turn or two.
   */
  #call<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false
      let timer: NodeJS.Timeout | undefined
      let deadline = 0
      const judge = (): void => {
        setImmediate(() => {
          if (settled) return
          // A timer created late in a long turn may fire early by the wall clock: wait out the rest.
          const left = deadline - performance.now()
          if (left > 0) {
            timer = setTimeout(judge, Math.ceil(left))
            return
          }
          settled = true
          reject(new StoreTimeout(`usage store slower than ${this.#timeoutMs} ms`))
        })
      }
      setImmediate(() => {
        if (settled) return
        deadline = performance.now() + this.#timeoutMs
        timer = setTimeout(judge, this.#timeoutMs)
      })
      p.then(
        (v) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resolve(v)
        },
        (err: unknown) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      )
    })
  }

  #fallback(reason: string): void {
    if (this.#closed || this.#state === 'fallback') return
    this.#state = 'fallback'
    this.#since = Date.now()
    this.#reason = reason
    // In-flight leases are abandoned: their units, if granted, count as used (never as extra).
    for (const q of this.#quotas.values()) {
      q.unsynced += q.lease.debt
      q.lease.debt = 0
    }
    for (const t of this.#tokens.values()) {
      t.lease.avail = 0
      t.lease.debt = 0
      t.lease.emptyUntil = 0
    }
    this.#onState?.('fallback', reason)
    this.#probe = setInterval(() => {
      this.#call(this.#store.ping()).then(
        () => {
          this.#recover()
        },
        () => undefined,
      )
    }, this.#probeMs)
    this.#probe.unref()
  }

  #recover(): void {
    if (this.#closed || this.#state === 'shared') return
    if (this.#probe !== undefined) clearInterval(this.#probe)
    this.#probe = undefined
    this.#state = 'shared'
    this.#since = Date.now()
    this.#reason = ''
    // Catch up: requests counted per replica reach the shared count with each key's next lease.
    for (const [pair, q] of this.#quotas) {
      q.lease.pending = false
      if (q.unsynced > 0) this.#refillQuota(pair, q)
    }
    for (const t of this.#tokens.values()) t.lease.pending = false
    this.#onState?.('shared', 'store answered')
  }
}

/** How long a bucket at `tokens` takes to hold one whole token again (at least 5 ms). */
function refillWaitMs(tokens: number, rateLimit: number): number {
  if (!(rateLimit > 0)) return Infinity
  const missing = Number.isFinite(tokens) ? Math.max(0, 1 - tokens) : 1
  return Math.max(5, Math.ceil((missing * 1000) / rateLimit))
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
