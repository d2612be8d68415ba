/**
 * Runs custom ("Lambda") authorizers over HTTP for the check path: identity sources and TOKEN
 * regex first (401 without a call), then the bounded output cache, then one bounded HTTP call.
 *
 * - Cache: the whole output (policy or simple answer, Allow or Deny) per
 *   (authorizer, revision, identity values) for `ttlSeconds`; `Unauthorized` and errors are never
 *   cached; lru-cache bounded by `cacheMaxEntries`. Nothing is cached, and calls are not merged,
 *   when TTL is 0 or the authorizer has no identity sources (AWS requires identity sources for
 *   caching; one shared entry for every caller would be wrong). Our decisions where AWS is
 *   silent: docs/aws-semantics.md#authorizer-cache.
 * - Concurrent identical misses share one HTTP call (in-flight map); the joiners get `cached: true`.
 * - Calls: keep-alive Agent per authorizer; `timeoutMs` covers the whole call; response bytes are
 *   capped; at most `maxConcurrency` calls in flight per authorizer. At the limit a call fails fast
 *   with ERR_LAMBDA_BUSY (→ 500, fail closed) rather than queueing: a queue behind a slow authorizer
 *   would only turn into timeouts later, and each authorizer has its own limit and Agent, so a slow
 *   or dead authorizer never delays another one.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { LRUCache } from 'lru-cache'
import { authorizerCacheKey } from './authorizer-cache-key.js'
import type { AuthorizerRequest } from './authorizer-request.js'
import { buildAuthorizerEvent } from './build-authorizer-event.js'
import type { LambdaAuthorizerConfig } from './lambda-authorizer-config.js'
import type { InvokeOutcomeLabel, LambdaOutcome } from './lambda-outcome.js'
import { parseAuthorizerResponse, type CompilePolicyFn } from './parse-authorizer-response.js'
import { postJson } from './post-json.js'
import { resolveIdentityValues } from './resolve-identity-values.js'

export interface LambdaAuthorizerRuntimeOptions<P> {
  /** The policy engine's compile, bound to `{kind: 'authorizer'}` by the caller. */
  readonly compilePolicy: CompilePolicyFn<P>
  /** Bound on cached outputs across all authorizers. Default 10 000. */
  readonly cacheMaxEntries?: number
  /** Clock for cache TTLs (epoch or monotonic ms). Default `performance.now`. */
  readonly now?: () => number
  /** Called once per HTTP call attempt (and per busy rejection) with its duration. */
  readonly onInvoke?: (authorizerId: string, outcome: InvokeOutcomeLabel, seconds: number) => void
  /** Called for every lookup of a cacheable output. */
  readonly onCache?: (result: 'hit' | 'miss') => void
}

type Answer<P> = LambdaOutcome<P>
type Success<P> = Extract<LambdaOutcome<P>, { kind: 'policy' } | { kind: 'simple' }>

// Idle keep-alive sockets are dropped before common server keep-alive timeouts (Node: 5 s).
const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 32, timeout: 4000 } as const

function label<P>(o: LambdaOutcome<P>): InvokeOutcomeLabel {
  switch (o.kind) {
    case 'policy':
    case 'simple':
      return 'answered'
    case 'unauthorized':
      return 'unauthorized'
    case 'error':
      switch (o.code) {
        case 'ERR_LAMBDA_TIMEOUT':
          return 'timeout'
        case 'ERR_LAMBDA_TOO_LARGE':
          return 'too_large'
        case 'ERR_LAMBDA_BAD_RESPONSE':
        case 'ERR_LAMBDA_POLICY_INVALID':
          return 'invalid_response'
        case 'ERR_LAMBDA_BUSY':
          return 'rejected_busy'
        case 'ERR_LAMBDA_FUNCTION_ERROR':
        case 'ERR_LAMBDA_STATUS':
        case 'ERR_LAMBDA_UNREACHABLE':
        case 'ERR_LAMBDA_INTERNAL':
          return 'error'
      }
  }
}

function unexpected<P>(err: unknown): LambdaOutcome<P> {
  return {
    kind: 'error',
    code: 'ERR_LAMBDA_INTERNAL',
    detail: `unexpected: ${(err as Error).message}`.slice(0, 200),
  }
}

function asCached<P>(o: Answer<P>): Answer<P> {
  return o.kind === 'policy' || o.kind === 'simple' ? { ...o, cached: true } : o
}

export class LambdaAuthorizerRuntime<P> {
  readonly #compilePolicy: CompilePolicyFn<P>
  readonly #cache: LRUCache<string, Success<P>>
  readonly #inflight = new Map<string, Promise<Answer<P>>>()
  readonly #agents = new Map<string, http.Agent>()
  readonly #active = new Map<string, number>()
  readonly #onInvoke: LambdaAuthorizerRuntimeOptions<P>['onInvoke']
  readonly #onCache: LambdaAuthorizerRuntimeOptions<P>['onCache']
  #closed = false

  constructor(opts: LambdaAuthorizerRuntimeOptions<P>) {
    const max = opts.cacheMaxEntries ?? 10_000
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError('cacheMaxEntries must be a positive integer')
    }
    this.#compilePolicy = opts.compilePolicy
    this.#onInvoke = opts.onInvoke
    this.#onCache = opts.onCache
    const now = opts.now ?? (() => performance.now())
    // ttlResolution 0: read the (possibly injected) clock on every lookup, no 1 ms memo.
    this.#cache = new LRUCache<string, Success<P>>({ max, perf: { now }, ttlResolution: 0 })
  }

  /**
   * Never throws or rejects: every failure is an outcome (fail closed). Answers synchronously
   * when nothing has to be called (missing identity, cache hit); a Promise only for a real call.
   */
  authorize(
    config: LambdaAuthorizerConfig,
    input: AuthorizerRequest,
  ): LambdaOutcome<P> | Promise<LambdaOutcome<P>>
  /**
   * `cachedOnly`: answer only from what is known without a call (the cache, a missing identity);
   * undefined when a call would be needed. Used to decide again with a candidate policy, which
   * must not call authorizers a second time.
   */
  authorize(
    config: LambdaAuthorizerConfig,
    input: AuthorizerRequest,
    cachedOnly: boolean,
  ): LambdaOutcome<P> | Promise<LambdaOutcome<P>> | undefined
  authorize(
    config: LambdaAuthorizerConfig,
    input: AuthorizerRequest,
    cachedOnly = false,
  ): LambdaOutcome<P> | Promise<LambdaOutcome<P>> | undefined {
    try {
      if (cachedOnly) return this.#cached(config, input)
      const out = this.#authorize(config, input)
      return out instanceof Promise ? out.catch((err: unknown) => unexpected<P>(err)) : out
    } catch (err) {
      return unexpected(err)
    }
  }

  /** Drops every cached output (e.g. after a configuration reload that removed authorizers). */
  clearCache(): void {
    this.#cache.clear()
  }

  /** Closes keep-alive sockets; later calls fail with ERR_LAMBDA_UNREACHABLE. */
  close(): void {
    this.#closed = true
    for (const agent of this.#agents.values()) agent.destroy()
    this.#agents.clear()
    this.#cache.clear()
  }

  /** The answer known without a call, if any; no cache metrics (this is not a request's lookup). */
  #cached(config: LambdaAuthorizerConfig, input: AuthorizerRequest): LambdaOutcome<P> | undefined {
    const identity = resolveIdentityValues(config, input)
    if (!identity.ok) return { kind: 'unauthorized', reason: identity.reason }
    if (!(config.ttlSeconds > 0 && config.identitySources.length > 0)) return undefined
    return this.#cache.get(authorizerCacheKey(config, identity.values))
  }

  #authorize(
    config: LambdaAuthorizerConfig,
    input: AuthorizerRequest,
  ): LambdaOutcome<P> | Promise<LambdaOutcome<P>> {
    const identity = resolveIdentityValues(config, input)
    if (!identity.ok) return { kind: 'unauthorized', reason: identity.reason }
    const values = identity.values

    const cacheable = config.ttlSeconds > 0 && config.identitySources.length > 0
    if (!cacheable) return this.#invoke(config, input, values)

    const key = authorizerCacheKey(config, values)
    const hit = this.#cache.get(key)
    if (hit !== undefined) {
      this.#onCache?.('hit')
      return hit
    }
    const pending = this.#inflight.get(key)
    if (pending !== undefined) {
      this.#onCache?.('hit')
      return pending.then((o) => asCached(o))
    }
    this.#onCache?.('miss')
    const call = this.#invoke(config, input, values).then(
      (out) => {
        // Store before leaving the in-flight map, in the same tick: no window where a request
        // finds neither and calls again.
        if (out.kind === 'policy' || out.kind === 'simple') {
          // Stored as hits will see it (`cached: true`), so a hit allocates nothing.
          this.#cache.set(key, Object.freeze({ ...out, cached: true }), {
            ttl: config.ttlSeconds * 1000,
          })
        }
        this.#inflight.delete(key)
        return out
      },
      (err: unknown) => {
        this.#inflight.delete(key)
        throw err
      },
    )
    this.#inflight.set(key, call)
    return call
  }

  #agent(config: LambdaAuthorizerConfig): http.Agent {
    const https_ = config.uri.startsWith('https:')
    const key = `${https_ ? 'https' : 'http'} ${config.id}`
    let agent = this.#agents.get(key)
    if (agent === undefined) {
      agent = https_ ? new https.Agent(AGENT_OPTIONS) : new http.Agent(AGENT_OPTIONS)
      this.#agents.set(key, agent)
    }
    return agent
  }

  async #invoke(
    config: LambdaAuthorizerConfig,
    input: AuthorizerRequest,
    values: readonly string[],
  ): Promise<Answer<P>> {
    const started = performance.now()
    const report = (o: Answer<P>): Answer<P> => {
      this.#onInvoke?.(config.id, label(o), (performance.now() - started) / 1000)
      return o
    }
    if (this.#closed) {
      return report({ kind: 'error', code: 'ERR_LAMBDA_UNREACHABLE', detail: 'runtime closed' })
    }
    const active = this.#active.get(config.id) ?? 0
    if (active >= config.maxConcurrency) {
      return report({
        kind: 'error',
        code: 'ERR_LAMBDA_BUSY',
        detail: `${active} calls already in flight (maxConcurrency ${config.maxConcurrency})`,
      })
    }
    this.#active.set(config.id, active + 1)
    try {
      const event = buildAuthorizerEvent(config, input, values)
      const res = await postJson(config.uri, Buffer.from(JSON.stringify(event), 'utf8'), {
        agent: this.#agent(config),
        timeoutMs: config.timeoutMs,
        maxResponseBytes: config.maxResponseBytes,
      })
      if (!res.ok) return report({ kind: 'error', code: res.code, detail: res.detail })
      return report(
        parseAuthorizerResponse(config, res.status, res.headers, res.body, this.#compilePolicy),
      )
    } finally {
      const n = (this.#active.get(config.id) ?? 1) - 1
      if (n <= 0) this.#active.delete(config.id)
      else this.#active.set(config.id, n)
    }
  }
}
