import { describe, expect, it } from 'vitest'
import { ApiKeyIndex } from './api-key-index.js'
import { LocalUsageCounter } from './local-counter.js'
import { periodEnd, periodStart } from './quota-period.js'
import type { UsageRequest } from './usage-counter.js'

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
