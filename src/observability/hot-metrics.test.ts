import fc from 'fast-check'
import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { HotCounter, HotHistogram } from './hot-metrics.js'

const BUCKETS = [0.00005, 0.001, 0.01, 0.5, 5]
const decision = fc.constantFrom('allow', 'deny')
// Values around, on and beyond the bounds (on a bound counts in that bucket, `le` = "≤").
const value = fc.oneof(
  fc.constantFrom(...BUCKETS, 0, 7),
  fc.double({ min: 0, max: 10, noNaN: true }),
)

describe('HotHistogram', () => {
  it('renders exactly the text and JSON a prom-client Histogram fed the same observations renders (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(decision, value), { maxLength: 60 }), async (obs) => {
        const theirs = new Registry()
        const reference = new Histogram({
          name: 'x_seconds',
          help: 'h',
          labelNames: ['decision'],
          buckets: BUCKETS,
          registers: [theirs],
        })
        const ours = new Registry()
        const hot = new HotHistogram<'decision'>({
          name: 'x_seconds',
          help: 'h',
          labelNames: ['decision'],
          buckets: BUCKETS,
          registry: ours,
        })
        for (const [d, v] of obs) {
          reference.observe({ decision: d }, v)
          hot.handle(d, () => ({ decision: d })).observe(v)
        }
        // prom-client only renders label sets it has seen; ours exist from handle() on.
        const seen = new Set(obs.map(([d]) => d))
        for (const d of ['allow', 'deny'] as const)
          if (!seen.has(d)) reference.zero({ decision: d })
        hot.handle('allow', () => ({ decision: 'allow' }))
        hot.handle('deny', () => ({ decision: 'deny' }))
        const sortLines = (t: string): string[] => t.split('\n').sort()
        expect(sortLines(await ours.metrics())).toEqual(sortLines(await theirs.metrics()))
        const json = async (r: Registry): Promise<unknown> =>
          (await r.getMetricsAsJSON()).map((m) => ({
            ...m,
            // prom-client adds `exemplar: null` (exemplars are off): not part of the data.
            values: m.values
              .map((v) => {
                const labels = Object.entries(v.labels).sort(([a], [b]) => a.localeCompare(b))
                return `${(v as { metricName?: string }).metricName ?? ''} ${JSON.stringify(labels)} ${String(v.value)}`
              })
              .sort(),
          }))
        expect(await json(ours)).toEqual(await json(theirs))
      }),
      { numRuns: 200 },
    )
  })

  it('reset() zeroes every series, as Registry.resetMetrics() expects', async () => {
    const registry = new Registry()
    const hot = new HotHistogram<'decision'>({
      name: 'y_seconds',
      help: 'h',
      labelNames: ['decision'],
      buckets: BUCKETS,
      registry,
    })
    hot.handle('allow', () => ({ decision: 'allow' })).observe(0.002)
    registry.resetMetrics()
    expect(await registry.metrics()).toContain('y_seconds_count{decision="allow"} 0')
  })
})

describe('HotCounter', () => {
  it('exports the running totals of each label set at scrape time, like Counter.inc would', async () => {
    const registry = new Registry()
    const hot = new HotCounter<'result'>({
      name: 'c_total',
      help: 'h',
      labelNames: ['result'],
      registry,
    })
    const reference = new Registry()
    const counter = new Counter({
      name: 'c_total',
      help: 'h',
      labelNames: ['result'],
      registers: [reference],
    })
    const hit = hot.handle('hit', () => ({ result: 'hit' }))
    for (let i = 0; i < 5; i++) {
      hit.value++
      counter.inc({ result: 'hit' })
    }
    hot.handle('miss', () => ({ result: 'miss' })).value += 2
    counter.inc({ result: 'miss' }, 2)
    expect(await registry.metrics()).toBe(await reference.metrics())
    hit.value++
    expect(await registry.metrics()).toContain('c_total{result="hit"} 6')
  })
})
