/**
 * The snapshot's usage index: API keys by value digest and, per API and key, the usage plan that
 * admits the key there with its limits. Built by compile/kinds/usage-plan.ts; read by the API key
 * step, `/usage` and `portcullis check`.
 *
 * @module
 */
import { ApiKeyIndex, type ApiKeyEntry } from '../usage/api-key-index.js'
import type { Quota, Throttle } from '../usage/usage-counter.js'

export interface CompiledUsagePlan {
  /** `namespace/name`. */
  readonly ref: string
  readonly throttle: Throttle | undefined
  readonly quota: Quota | undefined
  /** Ids of the keys the plan admits (compiled keys only). */
  readonly keys: readonly string[]
}

export interface MethodThrottle {
  /** Stable id of the method inside the plan: `<api ref> <METHOD> <resource path>`. */
  readonly id: string
  readonly limits: Throttle
}

/** One plan as it applies to one API stage. */
export interface PlanForApi {
  readonly plan: CompiledUsagePlan
  /** `<METHOD> <resource path>` (the route's declared method, `ANY` included) → throttle. */
  readonly methodThrottles: ReadonlyMap<string, MethodThrottle>
}

export interface UsageIndex {
  readonly keys: ApiKeyIndex
  /** Key id → entry, for read-outs. */
  readonly keysById: ReadonlyMap<string, ApiKeyEntry>
  /** `<api ref>\n<key id>` → the plan admitting the key on that API's stage. */
  readonly plans: ReadonlyMap<string, PlanForApi>
  /** Every compiled plan, by ref order (for `/usage`). */
  readonly planList: readonly CompiledUsagePlan[]
}

export const EMPTY_USAGE_INDEX: UsageIndex = Object.freeze({
  keys: new ApiKeyIndex(),
  keysById: new Map(),
  plans: new Map(),
  planList: Object.freeze([]),
})

export function planKey(apiRef: string, keyId: string): string {
  return `${apiRef}\n${keyId}`
}
