/**
 * Every Prometheus metric Portcullis exports (docs/reference/metrics.md), on a private registry.
 * Label values are clamped to bounded vocabularies here, so no caller can leak a principal, token
 * or path into a label by mistake.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { isDecisionCode, type DecisionCode } from '../api/decision-codes.js'
import {
  HotCounter,
  HotHistogram,
  type CounterHandle,
  type HistogramHandle,
} from './hot-metrics.js'

/** Decision fields the check metrics read; a CheckOutcome satisfies it. */
export interface CheckMetricInput {
  readonly allowed: boolean
  readonly code: DecisionCode
  readonly api: string | undefined
  /** Dry-run: the decision as decided, counted with `enforcement="dry_run"`. */
  readonly dryRun?: { readonly decision: 'allow' | 'deny' }
}

export type CacheResult = 'hit' | 'miss'
export type ReloadResult = 'success' | 'failure'

export interface MetricsOptions {
  /** Also export prom-client's Node.js process metrics. Default true. */
  readonly defaultMetrics?: boolean
}

/** Check latency buckets in seconds: 50 µs (cache hits land low) to 5 s (a slow custom authorizer). */
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

const API_LABEL = /^[a-z0-9]([a-z0-9.-]{0,252})?\/[a-z0-9]([a-z0-9.-]{0,252})?$/
const NAME_LABEL = /^[a-z0-9]([a-z0-9.\/-]{0,252})?$/
const HOST_LABEL = /^[a-z0-9.[\]:-]{1,262}$/
const OUTCOME_LABEL = /^[a-z][a-z0-9_]{0,31}$/
const KIND_LABEL = /^[A-Za-z][A-Za-z0-9]{0,62}$/

/** Reason code label: the listed decision codes (src/api/decision-codes.ts); anything else is `OTHER`. */
function codeLabel(code: string): string {
  return isDecisionCode(code) ? code : 'OTHER'
}
/** API label: `namespace/name` (Kubernetes names) or `none`; anything else is `invalid`. */
function apiLabel(api: string | undefined): string {
  if (api === undefined || api === '') return 'none'
  return API_LABEL.test(api) ? api : 'invalid'
}
/** `host[:port]` of an http(s) URL, else `invalid`. */
function hostLabel(url: string): string {
  try {
    const { protocol, host } = new URL(url)
    // The cluster issuer's keys, read through the connected API server (no host of its own).
    if (protocol === 'kubernetes-apiserver:') return 'kubernetes-apiserver'
    return (protocol === 'https:' || protocol === 'http:') && HOST_LABEL.test(host)
      ? host
      : 'invalid'
  } catch {
    return 'invalid'
  }
}
function nameLabel(name: string): string {
  return NAME_LABEL.test(name) ? name : 'invalid'
}
function outcomeLabel(outcome: string): string {
  return OUTCOME_LABEL.test(outcome) ? outcome : 'other'
}

export type UsagePlanResult = 'allowed' | 'throttled' | 'quota_exceeded' | 'invalid_key'

export class Metrics {
  /** The registry `/metrics` renders; private to this instance (never prom-client's global one). */
  readonly registry: Registry

  private readonly checkRequests: HotCounter<'api' | 'decision' | 'code' | 'enforcement'>
  private readonly decisionLogDropped: HotCounter<never>
  private readonly decisionLogDroppedHandle: CounterHandle
  private readonly decisionLogWritten: HotCounter<never>
  private readonly decisionLogWrittenHandle: CounterHandle
  private readonly candidateDisagreements: HotCounter<'api' | 'live' | 'candidate'>
  private readonly candidateChecks: HotCounter<'api' | 'result'>
  private readonly checkDuration: HotHistogram<'decision'>
  private readonly cacheRequests: HotCounter<'result'>
  private readonly authorizerRequests: HotCounter<'authorizer' | 'outcome'>
  private readonly authorizerDuration: Histogram<'authorizer'>
  private readonly configReloads: Counter<'result'>
  private readonly configObjects: Gauge<'kind'>
  private readonly configObjectsNotReady: Gauge<'kind'>
  private readonly jwksFetches: Counter<'host' | 'document' | 'outcome'>
  private readonly tokenCacheHits: HotCounter<'authorizer'>
  private readonly signatureChecks: HotCounter<'where'>
  private readonly usagePlanRequests: HotCounter<'plan' | 'result'>
  private readonly usagePlanHandles = new Map<string, CounterHandle>()
  private readonly usageStoreFallback: HotCounter<never>
  private readonly usageStoreShared: Gauge
  private readonly stsRequests: Counter<'action' | 'result'>
  private readonly stsDuration: Histogram<'action'>
  /**
   * Per-check metric handles by decision → api → code: a check bumps numbers in handles found by
   * two Map lookups (no label hashing, no string building). Bounded by the label cardinality
   * (APIs × codes, both bounded by configuration); past the bound, handles are looked up anew.
   */
  private readonly checkHandles = {
    allow: new Map<string | undefined, Map<string, CounterHandle>>(),
    deny: new Map<string | undefined, Map<string, CounterHandle>>(),
    dry_run_allow: new Map<string | undefined, Map<string, CounterHandle>>(),
    dry_run_deny: new Map<string | undefined, Map<string, CounterHandle>>(),
  }
  private readonly durationHandles: Record<'allow' | 'deny', HistogramHandle>
  private readonly cacheHandles: Record<CacheResult, CounterHandle>

  constructor(options: MetricsOptions = {}) {
    const registers = [(this.registry = new Registry())]
    const registry = this.registry
    this.checkRequests = new HotCounter({
      name: 'portcullis_check_requests_total',
      help: 'Authorization checks answered, by API (namespace/name), decision, reason code and enforcement (enforce|dry_run; under dry_run the decision and code are the would-be answer, and the request was allowed).',
      labelNames: ['api', 'decision', 'code', 'enforcement'],
      registry,
    })
    this.decisionLogDropped = new HotCounter({
      name: 'portcullis_decision_log_dropped_total',
      help: 'Decision-log lines dropped because the stream could not keep up (its queue was full).',
      labelNames: [],
      registry,
    })
    this.decisionLogDroppedHandle = this.decisionLogDropped.handle('', () => ({}))
    this.decisionLogWritten = new HotCounter({
      name: 'portcullis_decision_log_lines_total',
      help: 'Decision-log lines handed to the stream.',
      labelNames: [],
      registry,
    })
    this.decisionLogWrittenHandle = this.decisionLogWritten.handle('', () => ({}))
    this.candidateDisagreements = new HotCounter({
      name: 'portcullis_candidate_disagreements_total',
      help: 'Requests the candidates (an API candidatePolicy, a Principal or Authorizer candidate) decide otherwise than the live configuration, by API and the two decisions (allow|deny).',
      labelNames: ['api', 'live', 'candidate'],
      registry,
    })
    this.candidateChecks = new HotCounter({
      name: 'portcullis_candidate_checks_total',
      help: 'Requests that met a candidate, by API and result: agree, disagree, or skipped (not compared: the live decision failed, the candidate needed a call or a token no longer cached, or too many were waiting).',
      labelNames: ['api', 'result'],
      registry,
    })
    this.checkDuration = new HotHistogram({
      name: 'portcullis_check_duration_seconds',
      help: 'Time from a decoded check request to its answer, in seconds.',
      labelNames: ['decision'],
      buckets: CHECK_BUCKETS,
      registry,
    })
    this.durationHandles = {
      allow: this.checkDuration.handle('allow', () => ({ decision: 'allow' })),
      deny: this.checkDuration.handle('deny', () => ({ decision: 'deny' })),
    }
    this.cacheRequests = new HotCounter({
      name: 'portcullis_decision_cache_requests_total',
      help: 'Decision cache lookups, by result (hit|miss).',
      labelNames: ['result'],
      registry,
    })
    this.cacheHandles = {
      hit: this.cacheRequests.handle('hit', () => ({ result: 'hit' })),
      miss: this.cacheRequests.handle('miss', () => ({ result: 'miss' })),
    }
    this.authorizerRequests = new HotCounter({
      name: 'portcullis_authorizer_requests_total',
      help:
        'Calls to custom authorizers, and tokens worked out (not answered from the token cache) ' +
        'by Cognito and JWT authorizers, by authorizer name and outcome.',
      labelNames: ['authorizer', 'outcome'],
      registry,
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
    // Both series exist from the start: a series born at 1 by the first failure would be invisible
    // to increase() and rate(), so an alert on reload failures would miss a pod's first one.
    for (const result of ['success', 'failure'] as const) this.configReloads.inc({ result }, 0)
    this.configObjects = new Gauge({
      name: 'portcullis_config_objects',
      help: 'Objects in the serving configuration snapshot, by kind.',
      labelNames: ['kind'],
      registers,
    })
    this.configObjectsNotReady = new Gauge({
      name: 'portcullis_config_objects_not_ready',
      help:
        'Objects the last compile rejected (their Ready condition is False), by kind; each keeps ' +
        'serving its last valid version, if it had one.',
      labelNames: ['kind'],
      registers,
    })
    this.jwksFetches = new Counter({
      name: 'portcullis_jwks_fetches_total',
      help:
        'Fetches of issuer documents (OIDC discovery, JWKS), by issuer host, document and ' +
        'outcome. One document serves every authorizer naming it.',
      labelNames: ['host', 'document', 'outcome'],
      registers,
    })
    this.stsRequests = new Counter({
      name: 'portcullis_sts_requests_total',
      help:
        'Requests to the STS endpoint (--sts-port), by action (AssumeRoleWithWebIdentity, or ' +
        'other for anything else) and result (success, or the STS error code answered).',
      labelNames: ['action', 'result'],
      registers,
    })
    this.stsDuration = new Histogram({
      name: 'portcullis_sts_request_duration_seconds',
      help:
        'STS endpoint latency in seconds (request read to answer; includes issuer key fetches), ' +
        'by action.',
      labelNames: ['action'],
      buckets: AUTHORIZER_BUCKETS,
      registers,
    })
    this.tokenCacheHits = new HotCounter({
      name: 'portcullis_token_cache_hits_total',
      help: 'Requests of Cognito and JWT authorizers answered from the verified-token cache.',
      labelNames: ['authorizer'],
      registry,
    })
    this.signatureChecks = new HotCounter({
      name: 'portcullis_jwt_signature_checks_total',
      help: 'Token signature checks, by where they ran (pool: libuv thread pool, inline: event loop).',
      labelNames: ['where'],
      registry,
    })
    this.usagePlanRequests = new HotCounter({
      name: 'portcullis_usage_plan_requests_total',
      help: 'Requests of apiKeyRequired methods by usage plan and result (allowed, throttled, quota_exceeded, invalid_key; plan "none" when no plan was found).',
      labelNames: ['plan', 'result'],
      registry,
    })
    this.usageStoreFallback = new HotCounter<never>({
      name: 'portcullis_usage_store_fallback_requests_total',
      help: 'apiKeyRequired requests counted with per-replica limits because the shared usage store (Redis) was down or slow.',
      labelNames: [],
      registry,
    })
    this.usageStoreShared = new Gauge({
      name: 'portcullis_usage_store_shared',
      help: 'Whether usage plans are counted on the shared store (1) or per replica (0); absent without --usage-store.',
      registers: [registry],
    })
    this.registry.removeSingleMetric('portcullis_usage_store_shared')
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry })
      for (const name of REJECTED_DEFAULT_METRICS) this.registry.removeSingleMetric(name)
    }
  }

  /**
   * One answered check: counter by api/decision/code/enforcement and latency by the decision
   * answered.
   */
  observeCheck(outcome: CheckMetricInput, seconds: number): void {
    const answered = outcome.allowed ? 'allow' : 'deny'
    const dry = outcome.dryRun
    const decision = dry === undefined ? answered : dry.decision
    const byApi = this.checkHandles[dry === undefined ? decision : (`dry_run_${decision}` as const)]
    let byCode = byApi.get(outcome.api)
    if (byCode === undefined) {
      byCode = new Map()
      if (byApi.size < 1_000) byApi.set(outcome.api, byCode)
    }
    let counter = byCode.get(outcome.code)
    if (counter === undefined) {
      const api = apiLabel(outcome.api)
      const code = codeLabel(outcome.code)
      const enforcement = dry === undefined ? 'enforce' : 'dry_run'
      // Keyed by the clamped labels, so unbounded raw values share the `invalid`/`OTHER` series.
      counter = this.checkRequests.handle(
        `${api}\u0000${decision}\u0000${code}\u0000${enforcement}`,
        () => ({ api, decision, code, enforcement }),
      )
      if (byCode.size < 1_000) byCode.set(outcome.code, counter)
    }
    counter.value++
    this.durationHandles[answered].observe(seconds)
  }

  /** One decision-log line dropped (queue full or stream broken). */
  decisionLogDrop(): void {
    this.decisionLogDroppedHandle.value++
  }

  /** Decision-log lines written, as a running total read at scrape time. */
  decisionLogLines(n: number): void {
    this.decisionLogWrittenHandle.value += n
  }

  /** The candidates of `api` decided `candidate` where the live configuration decided `live`. */
  candidateDisagreement(api: string, live: 'allow' | 'deny', candidate: 'allow' | 'deny'): void {
    const a = apiLabel(api)
    this.candidateDisagreements.handle(`${a}\u0000${live}\u0000${candidate}`, () => ({
      api: a,
      live,
      candidate,
    })).value++
  }

  /** One request of `api` that met a candidate, compared or not. */
  candidateCheck(api: string, result: 'agree' | 'disagree' | 'skipped'): void {
    const a = apiLabel(api)
    this.candidateChecks.handle(`${a}\u0000${result}`, () => ({ api: a, result })).value++
  }

  /**
   * One request through the API key step. `plan` is a UsagePlan ref (configuration-bounded) or
   * `none`; key ids and values are never labels.
   */
  usagePlanRequest(plan: string, result: UsagePlanResult): void {
    const id = `${plan}\u0000${result}`
    let handle = this.usagePlanHandles.get(id)
    if (handle === undefined) {
      const label = nameLabel(plan)
      handle = this.usagePlanRequests.handle(`${label}\u0000${result}`, () => ({
        plan: label,
        result,
      }))
      if (this.usagePlanHandles.size < 10_000) this.usagePlanHandles.set(id, handle)
    }
    handle.value++
  }

  /** The counter the shared usage store bumps per request counted in fallback. */
  usageStoreFallbackCounter(): CounterHandle {
    return this.usageStoreFallback.handle('', () => ({}))
  }

  /** Shared (1) or per-replica (0) counting; registers the gauge on first use (--usage-store only). */
  setUsageStoreShared(shared: boolean): void {
    if (this.registry.getSingleMetric('portcullis_usage_store_shared') === undefined) {
      this.registry.registerMetric(this.usageStoreShared)
    }
    this.usageStoreShared.set(shared ? 1 : 0)
  }

  cacheRequest(result: CacheResult): void {
    this.cacheHandles[result].value++
  }

  /** One authorizer call; `outcome` is a short snake_case word (`allow`, `deny`, `unauthorized`, `error`, `timeout`). */
  authorizerCall(authorizer: string, outcome: string, seconds: number): void {
    const name = nameLabel(authorizer)
    this.#authorizerRequest(name, outcomeLabel(outcome)).value++
    this.authorizerDuration.observe({ authorizer: name }, seconds)
  }

  #authorizerRequest(authorizer: string, outcome: string): CounterHandle {
    return this.authorizerRequests.handle(`${authorizer}\u0000${outcome}`, () => ({
      authorizer,
      outcome,
    }))
  }

  /**
   * The per-request counters of one Cognito/JWT authorizer (JwtVerifierSet bumps them): cache
   * hits, and tokens worked out by outcome (`allow`, `unauthorized`, `forbidden`).
   */
  tokenAuthorizerCounters(authorizer: string): {
    readonly cacheHit: CounterHandle
    readonly allow: CounterHandle
    readonly unauthorized: CounterHandle
    readonly forbidden: CounterHandle
  } {
    const name = nameLabel(authorizer)
    return {
      cacheHit: this.tokenCacheHits.handle(name, () => ({ authorizer: name })),
      allow: this.#authorizerRequest(name, 'allow'),
      unauthorized: this.#authorizerRequest(name, 'unauthorized'),
      forbidden: this.#authorizerRequest(name, 'forbidden'),
    }
  }

  /** The counters of token signature checks by where they ran (SignatureOffload bumps them). */
  signatureCheckCounters(): { readonly pool: CounterHandle; readonly inline: CounterHandle } {
    return {
      pool: this.signatureChecks.handle('pool', () => ({ where: 'pool' })),
      inline: this.signatureChecks.handle('inline', () => ({ where: 'inline' })),
    }
  }

  configReload(result: ReloadResult): void {
    this.configReloads.inc({ result })
  }

  /** Objects of one kind (`RestApi`, `Authorizer`, ...) in the serving snapshot. */
  setConfigObjects(kind: string, count: number): void {
    this.configObjects.set({ kind: KIND_LABEL.test(kind) ? kind : 'Other' }, count)
  }

  /**
   * Objects of each kind the last compile rejected (Ready=False). Replaces the previous counts, so
   * a kind whose objects became valid again reads 0.
   */
  setConfigObjectsNotReady(counts: Readonly<Record<string, number>>): void {
    this.configObjectsNotReady.reset()
    for (const [kind, n] of Object.entries(counts)) {
      this.configObjectsNotReady.inc({ kind: KIND_LABEL.test(kind) ? kind : 'Other' }, n)
    }
  }

  /**
   * Exports `portcullis_leader`, read from `isLeader` at each scrape (so a leader that has lost its
   * lease without noticing yet reads 0 as soon as it would itself).
   */
  watchLeader(isLeader: () => boolean): void {
    // Registered only here (Kubernetes mode): in file mode there is no election, and a constant
    // would make a "no leader" alert meaningless.
    this.registry.removeSingleMetric('portcullis_leader')
    new Gauge({
      name: 'portcullis_leader',
      help: 'Whether this replica holds the leader lease (1) or not (0); absent outside Kubernetes mode.',
      registers: [this.registry],
      collect() {
        this.set(isLeader() ? 1 : 0)
      },
    })
  }

  /**
   * One fetch of an issuer document at `url`; `outcome` e.g. `success`, `error`, `timeout`. The
   * label is the URL's host (configuration-bounded, no path or query).
   */
  jwksFetch(url: string, document: 'discovery' | 'jwks', outcome: string): void {
    this.jwksFetches.inc({ host: hostLabel(url), document, outcome: outcomeLabel(outcome) })
  }

  /**
   * One answered STS request. `action` and `result` are bounded by the caller: the one action
   * served or `other`, and `success` or an STS error code.
   */
  stsRequest(action: string, result: string, seconds: number): void {
    this.stsRequests.inc({ action, result })
    this.stsDuration.observe({ action }, seconds)
  }

  /** Prometheus text exposition of the registry. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
