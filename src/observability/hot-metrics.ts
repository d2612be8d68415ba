/**
 * Metrics updated on every check, without prom-client's per-call label work. A prom-client child
 * (`counter.labels(...)`) still hashes and validates its label object on every `inc()`/`observe()`,
 * three times per check; here a check bumps plain numbers in a handle it
 * looked up once, and the numbers reach the registry only when `/metrics` is scraped:
 *
 * - HotCounter: a prom-client Counter whose `collect()` (public API, run at scrape time) copies
 *   the running totals in.
 * - HotHistogram: a metric object the registry renders like a prom-client Histogram (same
 *   `_bucket`/`_sum`/`_count` series, cumulative `le` buckets, `+Inf`). prom-client offers no way
 *   to hand a Histogram precomputed bucket counts, so this implements the registry's metric
 *   interface (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`) itself;
 *   `hot-metrics.test.ts` proves its text identical to a prom-client Histogram fed the same values.
 *
 * Label sets are bounded by the callers (their label values come from bounded vocabularies).
 *
 * @module
 */
import { Counter, type Histogram, type Registry } from 'prom-client'

/** One rendered series line, in the shape prom-client's registry formats. */
interface SeriesValue {
  readonly labels: Readonly<Record<string, string | number>>
  readonly sharedLabels?: Readonly<Record<string, string>>
  readonly value: number
  readonly metricName: string
}

/** What the registry reads from a metric at scrape time. */
interface MetricSnapshot {
  readonly name: string
  readonly help: string
  readonly type: 'histogram'
  readonly values: readonly SeriesValue[]
  readonly aggregator: 'sum'
}

type Labels<L extends string> = Readonly<Record<L, string>>

/** One label set's running total: callers keep it and do `handle.value += n`. */
export interface CounterHandle {
  value: number
}

export class HotCounter<L extends string> {
  readonly #totals = new Map<string, { labels: Labels<L>; handle: CounterHandle }>()

  constructor(opts: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const totals = this.#totals
    new Counter<L>({
      name: opts.name,
      help: opts.help,
      labelNames: opts.labelNames,
      registers: [opts.registry],
      collect() {
        this.reset()
        for (const { labels, handle } of totals.values()) this.inc(labels, handle.value)
      },
    })
  }

  /** The handle for one label set (created at 0, exported from then on). `key` identifies it. */
  handle(key: string, labels: () => Labels<L>): CounterHandle {
    let entry = this.#totals.get(key)
    if (entry === undefined) {
      entry = { labels: labels(), handle: { value: 0 } }
      this.#totals.set(key, entry)
    }
    return entry.handle
  }
}

/** One label set's histogram: non-cumulative bucket counts, sum and count. */
export class HistogramHandle {
  readonly counts: Float64Array
  sum = 0
  count = 0
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length)
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] ?? 0)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1
        break
      }
    }
    this.sum += value
    this.count++
  }
}

export class HotHistogram<L extends string> {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  /** The label names every series carries, as prom-client metrics expose them (for docs). */
  readonly labelNames: readonly L[]
  readonly #bounds: readonly number[]
  readonly #series = new Map<string, { labels: Labels<L>; handle: HistogramHandle }>()

  constructor(opts: {
    name: string
    help: string
    labelNames: readonly L[]
    buckets: readonly number[]
    registry: Registry
  }) {
    this.name = opts.name
    this.help = opts.help
    this.labelNames = opts.labelNames
    this.#bounds = [...opts.buckets].sort((a, b) => a - b)
    // The registry only reads the metric interface implemented here (see the module comment).
    opts.registry.registerMetric(this as unknown as Histogram)
  }

  handle(key: string, labels: () => Labels<L>): HistogramHandle {
    let entry = this.#series.get(key)
    if (entry === undefined) {
      entry = { labels: labels(), handle: new HistogramHandle(this.#bounds) }
      this.#series.set(key, entry)
    }
    return entry.handle
  }

  /** What the registry renders: the series prom-client's Histogram.getForPromString() gives. */
  getForPromString(): Promise<MetricSnapshot> {
    const values: SeriesValue[] = []
    const bucket = `${this.name}_bucket`
    for (const { labels, handle } of this.#series.values()) {
      let acc = 0
      this.#bounds.forEach((bound, i) => {
        acc += handle.counts[i] ?? 0
        values.push(pair({ le: bound }, acc, bucket, labels))
      })
      values.push(
        pair({ le: '+Inf' }, handle.count, bucket, labels),
        pair({}, handle.sum, `${this.name}_sum`, labels),
        pair({}, handle.count, `${this.name}_count`, labels),
      )
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    })
  }

  /** JSON form (`getMetricsAsJSON`): the series' labels merged, as prom-client's get() does. */
  async get(): Promise<MetricSnapshot> {
    const data = await this.getForPromString()
    return {
      ...data,
      values: data.values.map((v) => {
        const { sharedLabels, ...rest } = v
        return { ...rest, labels: { ...rest.labels, ...sharedLabels } }
      }),
    }
  }

  reset(): void {
    for (const { handle } of this.#series.values()) {
      handle.counts.fill(0)
      handle.sum = 0
      handle.count = 0
    }
  }
}

function pair(
  labels: Record<string, string | number>,
  value: number,
  metricName: string,
  sharedLabels: Readonly<Record<string, string>>,
): SeriesValue {
  return { labels, sharedLabels, value, metricName }
}
