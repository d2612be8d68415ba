/**
 * Every Prometheus metric Portcullis exports (DESIGN §6), on a private registry. Label values are
 * clamped to bounded vocabularies here, so no caller can leak a principal, token or path into a
 * label by mistake.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Decision fields the check metrics read; a CheckOutcome satisfies it. */
export interface CheckMetricInput {
  readonly allowed: boolean
  readonly code: string
  readonly api: string | undefined
}

export type CacheResult = 'hit' | 'miss'
export type ReloadResult = 'success' | 'failure'

export interface MetricsOptions {
  /** Also export prom-client's Node.js process metrics. Default true. */
  readonly defaultMetrics?: boolean
}

/** Check latency buckets in seconds: 50 µs (a cache hit) to 5 s (a slow custom authorizer). */
const CHECK_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
]
/** Authorizer call buckets in seconds: 1 ms to 10 s (timeoutMillis is at most a few seconds). */
const AUTHORIZER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * prom-client default gauges whose names end in `_total`, which `promtool check metrics` rejects
 * ("non-counter metrics should not have _total suffix"). Their un-suffixed twins carry the same data.
 */
const REJECTED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

const CODE_LABEL = /^[A-Z][A-Z0-9_]{0,63}$/
const API_LABEL = /^[a-z0-9]([a-z0-9.-]{0,252})?\/[a-z0-9]([a-z0-9.-]{0,252})?$/
const NAME_LABEL = /^[a-z0-9]([a-z0-9.\/-]{0,252})?$/
const OUTCOME_LABEL = /^[a-z][a-z0-9_]{0,31}$/
const KIND_LABEL = /^[A-Za-z][A-Za-z0-9]{0,62}$/

/** Reason code label: `ERR_...`/`ALLOW_...` style codes pass; anything else is `OTHER`. */
function codeLabel(code: string): string {
  return CODE_LABEL.test(code) ? code : 'OTHER'
}
/** API label: `namespace/name` (Kubernetes names) or `none`; anything else is `invalid`. */
function apiLabel(api: string | undefined): string {
  if (api === undefined || api === '') return 'none'
  return API_LABEL.test(api) ? api : 'invalid'
}
function nameLabel(name: string): string {
  return NAME_LABEL.test(name) ? name : 'invalid'
}
function outcomeLabel(outcome: string): string {
  return OUTCOME_LABEL.test(outcome) ? outcome : 'other'
}

export class Metrics {
  /** The registry `/metrics` renders; private to this instance (never prom-client's global one). */
  readonly registry: Registry

  private readonly checkRequests: Counter<'api' | 'decision' | 'code'>
  private readonly checkDuration: Histogram<'decision'>
  private readonly cacheRequests: Counter<'result'>
  private readonly authorizerRequests: Counter<'authorizer' | 'outcome'>
  private readonly authorizerDuration: Histogram<'authorizer'>
  private readonly configReloads: Counter<'result'>
  private readonly configObjects: Gauge<'kind'>
  private readonly jwksFetches: Counter<'authorizer' | 'outcome'>
  /**
   * Label children of the per-check metrics, by label values: prom-client hashes the label object
   * on every call otherwise, which costs more than the decision itself on the hot path. Bounded by
   * the label cardinality (APIs × decisions × codes, all bounded by configuration).
   */
  private readonly checkChildren = new Map<string, { inc(): void }>()
  private readonly durationChildren = new Map<string, { observe(v: number): void }>()

  constructor(options: MetricsOptions = {}) {
    const registers = [(this.registry = new Registry())]
    this.checkRequests = new Counter({
      name: 'portcullis_check_requests_total',
      help: 'Authorization checks answered, by API (namespace/name), decision and reason code.',
      labelNames: ['api', 'decision', 'code'],
      registers,
    })
    this.checkDuration = new Histogram({
      name: 'portcullis_check_duration_seconds',
      help: 'Time from a decoded check request to its answer, in seconds.',
      labelNames: ['decision'],
      buckets: CHECK_BUCKETS,
      registers,
    })
    this.cacheRequests = new Counter({
      name: 'portcullis_decision_cache_requests_total',
      help: 'Decision cache lookups, by result (hit|miss).',
      labelNames: ['result'],
      registers,
    })
    this.authorizerRequests = new Counter({
      name: 'portcullis_authorizer_requests_total',
      help: 'Calls to custom, Cognito and JWT authorizers, by authorizer name and outcome.',
      labelNames: ['authorizer', 'outcome'],
      registers,
    })
    this.authorizerDuration = new Histogram({
      name: 'portcullis_authorizer_duration_seconds',
      help: 'Authorizer call latency in seconds, by authorizer name.',
      labelNames: ['authorizer'],
      buckets: AUTHORIZER_BUCKETS,
      registers,
    })
    this.configReloads = new Counter({
      name: 'portcullis_config_reloads_total',
      help: 'Configuration snapshot compilations, by result (success|failure).',
      labelNames: ['result'],
      registers,
    })
    this.configObjects = new Gauge({
      name: 'portcullis_config_objects',
      help: 'Objects in the serving configuration snapshot, by kind.',
      labelNames: ['kind'],
      registers,
    })
    this.jwksFetches = new Counter({
      name: 'portcullis_jwks_fetches_total',
      help: 'JWKS document fetches, by authorizer name and outcome.',
      labelNames: ['authorizer', 'outcome'],
      registers,
    })
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry })
      for (const name of REJECTED_DEFAULT_METRICS) this.registry.removeSingleMetric(name)
    }
  }

  /** One answered check: counter by api/decision/code and latency by decision. */
  observeCheck(outcome: CheckMetricInput, seconds: number): void {
    const decision = outcome.allowed ? 'allow' : 'deny'
    const key = `${outcome.api ?? ''}\u0000${decision}\u0000${outcome.code}`
    let counter = this.checkChildren.get(key)
    if (counter === undefined) {
      counter = this.checkRequests.labels({
        api: apiLabel(outcome.api),
        decision,
        code: codeLabel(outcome.code),
      })
      if (this.checkChildren.size < 10_000) this.checkChildren.set(key, counter)
    }
    counter.inc()
    let duration = this.durationChildren.get(decision)
    if (duration === undefined) {
      duration = this.checkDuration.labels({ decision })
      this.durationChildren.set(decision, duration)
    }
    duration.observe(seconds)
  }

  cacheRequest(result: CacheResult): void {
    this.cacheRequests.inc({ result })
  }

  /** One authorizer call; `outcome` is a short snake_case word (`allow`, `deny`, `unauthorized`, `error`, `timeout`). */
  authorizerCall(authorizer: string, outcome: string, seconds: number): void {
    const name = nameLabel(authorizer)
    this.authorizerRequests.inc({ authorizer: name, outcome: outcomeLabel(outcome) })
    this.authorizerDuration.observe({ authorizer: name }, seconds)
  }

  configReload(result: ReloadResult): void {
    this.configReloads.inc({ result })
  }

  /** Objects of one kind (`RestApi`, `Authorizer`, ...) in the serving snapshot. */
  setConfigObjects(kind: string, count: number): void {
    this.configObjects.set({ kind: KIND_LABEL.test(kind) ? kind : 'Other' }, count)
  }

  /** One JWKS fetch for an authorizer; `outcome` e.g. `success`, `error`, `timeout`. */
  jwksFetch(authorizer: string, outcome: string): void {
    this.jwksFetches.inc({ authorizer: nameLabel(authorizer), outcome: outcomeLabel(outcome) })
  }

  /** Prometheus text exposition of the registry. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
