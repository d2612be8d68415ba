/**
 * The API key step of `apiKeyRequired` methods (after authorization, as AWS runs it): the key from
 * `x-api-key` or from the CUSTOM authorizer's `usageIdentifierKey`, its usage plan for this API
 * stage, then the plan's throttle and quota. Denials use AWS's answers: 403 Forbidden for any key
 * problem, 429 Too Many Requests, 429 Limit Exceeded. The key's id (never its value) goes upstream.
 *
 * @module
 */
import type { AllowOutcome, CheckOutcome, HeaderEntry } from './check-outcome.js'
import type { CompiledApi, Snapshot } from '../compile/snapshot.js'
import type { RouteMatch } from '../compile/route-table.js'
import type { CompiledRoute } from '../compile/snapshot.js'
import type { RequestContext } from '../request/request-context.js'
import { planKey, type MethodThrottle } from '../compile/usage-index.js'
import type { UsageCounter, UsageResult } from '../usage/usage-counter.js'
import { denyFixed, type DenyContext } from './deny-response.js'
import { INJECTED_PREFIX } from './allow-response.js'
import type { API_KEY_CODES } from '../api/decision-codes.js'

/** The 403 codes of the step (the 429s come from the counter's answer). */
type ApiKeyRefusal = Exclude<keyof typeof API_KEY_CODES, 'ERR_THROTTLED' | 'ERR_QUOTA_EXCEEDED'>

export const API_KEY_HEADER = 'x-api-key'
export const API_KEY_ID_HEADER = `${INJECTED_PREFIX}api-key-id`

/** `portcullis_usage_plan_requests_total{result}` values. */
export type UsageMetricResult = UsageResult | 'invalid_key'

/** Plan label of requests refused before a plan was found (no key, unknown key, no plan). */
export const NO_PLAN = 'none'

export interface ApiKeyStepOptions {
  readonly counter: UsageCounter
  readonly now: () => number
  /** Called once per request that reached the step (metrics). */
  readonly observe?: (plan: string, result: UsageMetricResult) => void
}

export interface ApiKeyStepInput {
  readonly req: RequestContext
  readonly snapshot: Snapshot
  readonly api: CompiledApi
  readonly match: RouteMatch<CompiledRoute>
  readonly deny: DenyContext
  /** Absent when no explanation is built: then no note text (nor closure) is made. */
  readonly note?: ((make: () => string) => void) | undefined
  /** False to check the key and plan only (a repeat of a counted request): no counting, no metric. */
  readonly count?: boolean
}

export function applyApiKeyStep(
  allow: AllowOutcome,
  input: ApiKeyStepInput,
  opts: ApiKeyStepOptions,
): CheckOutcome {
  const { req, snapshot, api, match, deny, note } = input
  const fromAuthorizer = api.apiKeySource === 'AUTHORIZER'
  const value = fromAuthorizer ? allow.usageIdentifierKey : req.headers.get(API_KEY_HEADER)
  if (value === undefined || value === '')
    return refuseKey(input, opts, 'ERR_API_KEY_MISSING', 'none sent')
  const key = snapshot.usage.keys.lookup(value)
  if (key === undefined) return refuseKey(input, opts, 'ERR_API_KEY_INVALID', 'not a known key')
  if (!key.enabled) return refuseKey(input, opts, 'ERR_API_KEY_DISABLED', `${key.id} is disabled`)
  const forApi = snapshot.usage.plans.get(planKey(api.ref, key.id))
  if (forApi === undefined) {
    return refuseKey(
      input,
      opts,
      'ERR_API_KEY_NOT_IN_PLAN',
      `${key.id} is in no usage plan for ${api.ref} stage ${api.stage}`,
    )
  }
  const plan = forApi.plan
  if (input.count === false) return withKeyId(allow, key.id)
  const result = opts.counter.consume(
    {
      plan: plan.ref,
      key: key.id,
      planThrottle: plan.throttle,
      methodThrottle: methodThrottleFor(forApi.methodThrottles, req.method, match.resourcePath),
      quota: plan.quota,
    },
    opts.now(),
  )
  opts.observe?.(plan.ref, result)
  note?.(() => `API key ${key.id}, usage plan ${plan.ref}: ${result}`)
  switch (result) {
    case 'throttled':
      return denyFixed('throttled', 'ERR_THROTTLED', deny)
    case 'quota_exceeded':
      return denyFixed('quota_exceeded', 'ERR_QUOTA_EXCEEDED', deny)
    case 'allowed':
      return withKeyId(allow, key.id)
  }
}

/** A 403 of the step: counted as invalid_key, noted with where the key was looked for. */
function refuseKey(
  input: ApiKeyStepInput,
  opts: ApiKeyStepOptions,
  code: ApiKeyRefusal,
  why: string,
): CheckOutcome {
  if (input.count !== false) opts.observe?.(NO_PLAN, 'invalid_key')
  input.note?.(() => {
    const source = input.api.apiKeySource === 'AUTHORIZER' ? 'usageIdentifierKey' : API_KEY_HEADER
    return `API key (${source}): ${why}`
  })
  return denyFixed('forbidden', code, input.deny)
}

function methodThrottleFor(
  throttles: ReadonlyMap<string, MethodThrottle>,
  method: string,
  resourcePath: string,
): MethodThrottle | undefined {
  if (throttles.size === 0) return undefined
  return throttles.get(`${method} ${resourcePath}`) ?? throttles.get(`ANY ${resourcePath}`)
}

/**
 * Header lists with the key id appended, per base list and key: the base lists are shared frozen
 * arrays (the encoder caches their bytes), so the extended lists are built once per key too.
 */
const WITH_KEY = new WeakMap<readonly HeaderEntry[], Map<string, readonly HeaderEntry[]>>()
const WITH_KEY_MAX = 4096

function withKeyId(allow: AllowOutcome, keyId: string): AllowOutcome {
  const base = allow.upstreamHeaders
  let byKey = WITH_KEY.get(base)
  let headers = byKey?.get(keyId)
  if (headers === undefined) {
    headers = Object.freeze([
      ...base.filter((h) => h.name !== API_KEY_ID_HEADER),
      Object.freeze({ name: API_KEY_ID_HEADER, value: keyId }),
    ])
    if (Object.isFrozen(base)) {
      if (byKey === undefined)
        WITH_KEY.set(base, (byKey = new Map<string, readonly HeaderEntry[]>()))
      if (byKey.size >= WITH_KEY_MAX) byKey.clear()
      byKey.set(keyId, headers)
    }
  }
  // We now set this header: a client copy is overwritten, so it must not also be removed (Envoy
  // removes after it sets).
  const remove = allow.headersToRemove.includes(API_KEY_ID_HEADER)
    ? allow.headersToRemove.filter((h) => h !== API_KEY_ID_HEADER)
    : allow.headersToRemove
  // usageIdentifierKey is left behind: the outcome carries the key's id from here on, not its value.
  const out: { -readonly [K in keyof AllowOutcome]: AllowOutcome[K] } = {
    ...allow,
    upstreamHeaders: headers,
    headersToRemove: remove,
    metadata: { ...allow.metadata, api_key: keyId },
  }
  delete out.usageIdentifierKey
  return out
}
