import { describe, expect, it } from 'vitest'
import { ApiKeyIndex } from './api-key-index.js'
import { Lease, quotaBlock, quotaLeaseCap, rateLeaseCap } from './leases.js'
import { LocalUsageCounter } from './local-counter.js'
import { periodEnd, periodStart } from './quota-period.js'
import { SharedUsageCounter, type LeaseStore } from './shared-counter.js'
import type { UsageRequest, UsageResult } from './usage-counter.js'

const at = (iso: string): number => Date.parse(iso)
const iso = (ms: number): string => new Date(ms).toISOString()

describe('quota periods (UTC, offset = first day)', () => {
  it('DAY starts at midnight UTC and lasts 24 hours', () => {
    const s = periodStart('DAY', 0, at('2026-03-10T23:59:59.999Z'))
    expect(iso(s)).toBe('2026-03-10T00:00:00.000Z')
    expect(iso(periodEnd('DAY', 0, s))).toBe('2026-03-11T00:00:00.000Z')
  })

  it('WEEK starts on Sunday with offset 0 and on Monday with offset 1', () => {
    // 2026-03-10 is a Tuesday.
    expect(iso(periodStart('WEEK', 0, at('2026-03-10T12:00:00Z')))).toBe('2026-03-08T00:00:00.000Z')
    expect(iso(periodStart('WEEK', 1, at('2026-03-10T12:00:00Z')))).toBe('2026-03-09T00:00:00.000Z')
    // On the start day itself the period is the one that just began; the instant before is the last.
    expect(iso(periodStart('WEEK', 2, at('2026-03-10T00:00:00Z')))).toBe('2026-03-10T00:00:00.000Z')
    expect(iso(periodStart('WEEK', 2, at('2026-03-09T23:59:59.999Z')))).toBe(
      '2026-03-03T00:00:00.000Z',
    )
    expect(iso(periodEnd('WEEK', 2, at('2026-03-03T00:00:00Z')))).toBe('2026-03-10T00:00:00.000Z')
  })

  it('MONTH starts on day offset+1, rolls over the year, and day 28 works in February', () => {
    expect(iso(periodStart('MONTH', 0, at('2026-03-10T12:00:00Z')))).toBe(
      '2026-03-01T00:00:00.000Z',
    )
    expect(iso(periodStart('MONTH', 14, at('2026-03-10T12:00:00Z')))).toBe(
      '2026-02-15T00:00:00.000Z',
    )
    expect(iso(periodStart('MONTH', 14, at('2026-03-15T00:00:00Z')))).toBe(
      '2026-03-15T00:00:00.000Z',
    )
    expect(iso(periodStart('MONTH', 9, at('2026-01-05T00:00:00Z')))).toBe(
      '2025-12-10T00:00:00.000Z',
    )
    const feb = periodStart('MONTH', 27, at('2026-03-01T00:00:00Z'))
    expect(iso(feb)).toBe('2026-02-28T00:00:00.000Z')
    expect(iso(periodEnd('MONTH', 27, feb))).toBe('2026-03-28T00:00:00.000Z')
    expect(iso(periodEnd('MONTH', 0, at('2026-12-01T00:00:00Z')))).toBe('2027-01-01T00:00:00.000Z')
  })
})

const base: UsageRequest = {
  plan: 'shop/gold',
  key: 'shop/a',
  planThrottle: undefined,
  methodThrottle: undefined,
  quota: undefined,
}

describe('LocalUsageCounter', () => {
  it('lets a full bucket spend its burst, then admits rateLimit per second', () => {
    const c = new LocalUsageCounter()
    const r = { ...base, planThrottle: { rateLimit: 2, burstLimit: 3 } }
    const t0 = 1_000_000
    expect([1, 2, 3, 4].map(() => c.consume(r, t0))).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'throttled',
    ])
    expect(c.consume(r, t0 + 499)).toBe('throttled') // 0.998 of a token
    expect(c.consume(r, t0 + 500)).toBe('allowed')
    // A long pause refills to the burst, not beyond.
    const later = t0 + 60_000
    expect([1, 2, 3, 4].map(() => c.consume(r, later)).filter((x) => x === 'allowed')).toHaveLength(
      3,
    )
  })

  it('a per-method throttle narrows the plan throttle, and a throttled request spends nothing', () => {
    const c = new LocalUsageCounter()
    const r = {
      ...base,
      planThrottle: { rateLimit: 100, burstLimit: 100 },
      methodThrottle: { id: 'GET /pets', limits: { rateLimit: 1, burstLimit: 2 } },
      quota: { limit: 10, period: 'DAY' as const, offset: 0 },
    }
    const t = at('2026-03-10T12:00:00Z')
    expect([1, 2, 3, 4].map(() => c.consume(r, t))).toEqual([
      'allowed',
      'allowed',
      'throttled',
      'throttled',
    ])
    expect(c.usage(r.plan, r.key, r.quota, t).used).toBe(2)
    // Another method of the same plan still has the plan's tokens.
    const other = { ...r, methodThrottle: undefined }
    expect(c.consume(other, t)).toBe('allowed')
  })

  it('a quota admits limit requests per period and starts again at the next period', () => {
    const c = new LocalUsageCounter()
    const quota = { limit: 2, period: 'DAY' as const, offset: 0 }
    const r = { ...base, quota }
    const day1 = at('2026-03-10T23:59:59Z')
    expect([1, 2, 3].map(() => c.consume(r, day1))).toEqual([
      'allowed',
      'allowed',
      'quota_exceeded',
    ])
    expect(c.usage(r.plan, r.key, quota, day1)).toEqual({
      used: 2,
      remaining: 0,
      periodStart: at('2026-03-10T00:00:00Z'),
    })
    expect(c.consume(r, at('2026-03-11T00:00:00Z'))).toBe('allowed')
    expect(c.usage(r.plan, r.key, quota, at('2026-03-11T00:00:01Z')).remaining).toBe(1)
  })

  it('counts per plan and key: the same key in another plan has its own quota', () => {
    const c = new LocalUsageCounter()
    const quota = { limit: 1, period: 'WEEK' as const, offset: 1 }
    const t = at('2026-03-10T12:00:00Z')
    expect(c.consume({ ...base, quota }, t)).toBe('allowed')
    expect(c.consume({ ...base, quota }, t)).toBe('quota_exceeded')
    expect(c.consume({ ...base, plan: 'shop/silver', quota }, t)).toBe('allowed')
    c.retain((plan) => plan === 'shop/silver')
    expect(c.usage('shop/gold', 'shop/a', quota, t).used).toBe(0)
    // The pair still configured keeps its count.
    expect(c.usage('shop/silver', 'shop/a', quota, t).used).toBe(1)
  })
})

describe('Lease sizing', () => {
  it('grows to eight times the demand seen over a round trip, within [block, cap], and shrinks by at most a quarter per answer', () => {
    const l = new Lease(10, 1000)
    expect(l.requested()).toBe(10)
    for (let i = 0; i < 30; i++) l.want()
    l.answered()
    expect(l.size).toBe(240)
    expect(l.requested()).toBe(240)
    for (let i = 0; i < 500; i++) l.want() // demand far beyond the cap
    l.answered()
    expect(l.size).toBe(1000)
    l.requested() // an idle round trip
    l.answered()
    expect(l.size).toBe(750)
    for (let i = 0; i < 20; i++) {
      l.requested()
      l.answered()
    }
    expect(l.size).toBe(10)
  })

  it('credit stays one block whatever the size (the overshoot bound)', () => {
    const l = new Lease(10, 1000)
    l.size = 1000
    l.requested()
    let taken = 0
    while (l.canTake(0) && taken < 10_000) {
      l.take()
      taken++
    }
    expect(taken).toBe(10)
    expect(l.debt).toBe(10)
  })

  it('caps: 5 % of the quota limit and 250 ms of the rate (within the burst), never below a block', () => {
    expect(quotaLeaseCap(1_000_000_000)).toBe(50_000_000)
    expect(quotaLeaseCap(10)).toBe(quotaBlock(10))
    expect(rateLeaseCap(1000, 10_000)).toBe(250)
    expect(rateLeaseCap(1000, 100)).toBe(100)
    expect(rateLeaseCap(0, 10)).toBe(1)
    expect(rateLeaseCap(10, 0)).toBe(0)
  })
})

/** A store whose answers the test releases one by one: round trips as long as the test wants. */
function manualStore() {
  let used = 0
  const waiting: (() => void)[] = []
  const wants: number[] = []
  const store: LeaseStore = {
    leaseQuota: (_id, limit, debt, want) =>
      new Promise((resolve) => {
        wants.push(want)
        waiting.push(() => {
          used += debt
          const granted = Math.max(0, Math.min(want, limit - used))
          used += granted
          resolve({ granted, used })
        })
      }),
    leaseTokens: () => Promise.reject(new Error('no throttle in these tests')),
    ping: () => Promise.resolve(),
  }
  const answer = async () => {
    for (const w of waiting.splice(0)) w()
    await new Promise((r) => setImmediate(r))
  }
  return { store, answer, wants }
}

describe('SharedUsageCounter under a steady load', () => {
  it('a replica spending three blocks per round trip is refused only in the first round trips, then never', async () => {
    const { store, answer, wants } = manualStore()
    const c = new SharedUsageCounter({ store, timeoutMs: 60_000 })
    const quota = { limit: 1_000_000_000, period: 'DAY' as const, offset: 0 }
    const r = { ...base, quota }
    const block = quotaBlock(quota.limit)
    const rounds: UsageResult[][] = []
    for (let round = 0; round < 12; round++) {
      const results: UsageResult[] = []
      for (let i = 0; i < 3 * block; i++) results.push(c.consume(r, Date.now()))
      rounds.push(results)
      await answer()
    }
    const refused = rounds.map((x) => x.filter((y) => y !== 'allowed').length)
    // Before the first answer only one block of credit exists; after it, leases match the pace.
    expect(refused[0]).toBe(2 * block)
    expect(refused.slice(2)).toEqual(Array.from({ length: 10 }, () => 0))
    expect(Math.max(...wants)).toBeLessThanOrEqual(quotaLeaseCap(quota.limit))
    expect(c.state.state).toBe('shared')
    c.close()
  })

  it('units already leased are spent before a used-up quota answers Limit Exceeded', async () => {
    const { store, answer } = manualStore()
    const c = new SharedUsageCounter({ store, timeoutMs: 60_000 })
    const quota = { limit: 1000, period: 'DAY' as const, offset: 0 }
    const r = { ...base, quota }
    let allowed = 0
    for (let round = 0; round < 400; round++) {
      for (let i = 0; i < 3; i++) if (c.consume(r, Date.now()) === 'allowed') allowed++
      await answer()
    }
    // One replica: every unit the store granted is used, and the credit adds at most a block.
    expect(allowed).toBeGreaterThanOrEqual(quota.limit)
    expect(allowed).toBeLessThanOrEqual(quota.limit + quotaBlock(quota.limit))
    expect(c.consume(r, Date.now())).toBe('quota_exceeded')
    c.close()
  })
})

describe('SharedUsageCounter store timeout', () => {
  /** A store that sends from a setImmediate (as node-redis does) and answers 5 ms after that. */
  function quickStore(): LeaseStore {
    const later = <T>(value: T): Promise<T> =>
      new Promise((resolve) => {
        setImmediate(() =>
          setTimeout(() => {
            resolve(value)
          }, 5),
        )
      })
    return {
      leaseQuota: (_id, _limit, _debt, want) => later({ granted: want, used: want }),
      leaseTokens: (_id, _limits, _debt, want) => later({ granted: want, tokens: 1e9 }),
      ping: () => later(undefined),
    }
  }

  function busy(ms: number): void {
    const end = performance.now() + ms
    while (performance.now() < end) {
      // a long turn of a saturated event loop
    }
  }

  it('a request sent at the end of a turn longer than the timeout is given the timeout from then', async () => {
    const states: string[] = []
    const c = new SharedUsageCounter({
      store: quickStore(),
      timeoutMs: 50,
      onStateChange: (s) => states.push(s),
    })
    const r = { ...base, quota: { limit: 1_000_000, period: 'DAY' as const, offset: 0 } }
    for (let i = 0; i < 3; i++) {
      expect(c.consume(r, Date.now())).toBe('allowed')
      busy(120)
      await new Promise((res) => setTimeout(res, 30))
    }
    expect(states).toEqual([])
    expect(c.state.state).toBe('shared')
    c.close()
  })

  it('a store that never answers is still judged slow after the timeout', async () => {
    const states: string[] = []
    const c = new SharedUsageCounter({
      store: {
        leaseQuota: () => new Promise(() => undefined),
        leaseTokens: () => new Promise(() => undefined),
        ping: () => new Promise(() => undefined),
      },
      timeoutMs: 20,
      onStateChange: (s) => states.push(s),
    })
    const r = { ...base, quota: { limit: 1_000_000, period: 'DAY' as const, offset: 0 } }
    c.consume(r, Date.now())
    busy(60) // a blocked loop does not hold the verdict back once it is free again
    for (let i = 0; i < 100 && c.state.state === 'shared'; i++) {
      await new Promise((res) => setTimeout(res, 5))
    }
    expect(states).toEqual(['fallback'])
    expect(c.consume(r, Date.now())).toBe('allowed')
    c.close()
  })
})

describe('ApiKeyIndex', () => {
  const value = 'abcdefghijklmnopqrstuvwxyz0123456789'
  it('finds a key by its value and nothing by a near value, a prefix or a non-key', () => {
    const index = new ApiKeyIndex()
    expect(index.add(value, { id: 'shop/a', enabled: true, customerId: undefined })).toBeUndefined()
    expect(index.lookup(value)?.id).toBe('shop/a')
    expect(index.lookup(value.slice(0, -1) + 'X')).toBeUndefined()
    expect(index.lookup(value.slice(0, 20))).toBeUndefined()
    expect(index.lookup(value + '-')).toBeUndefined()
    expect(index.lookup('')).toBeUndefined()
    expect(index.lookup('x'.repeat(10_000))).toBeUndefined()
  })

  it('refuses a second key with the same value and names the first', () => {
    const index = new ApiKeyIndex()
    index.add(value, { id: 'shop/a', enabled: true, customerId: undefined })
    expect(index.add(value, { id: 'shop/b', enabled: true, customerId: undefined })).toBe('shop/a')
    expect(index.size).toBe(1)
  })
})
