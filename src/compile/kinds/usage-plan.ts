/**
 * Compiles ApiKey and UsagePlan objects into the snapshot's usage index (usage-index.ts): the key
 * index (by value digest) and, per API and key, the one plan that admits the key there with its
 * limits. Everything a request needs is resolved here, so the decision step does two map lookups.
 *
 * @module
 */
import { API_KEY_VALUE_PATTERN } from '../../api/v1alpha1/api-key.js'
import { parseMethodThrottleKey } from '../../api/v1alpha1/validate-semantics.js'
import { ApiKeyIndex, type ApiKeyEntry } from '../../usage/api-key-index.js'
import {
  planKey,
  type CompiledUsagePlan,
  type MethodThrottle,
  type PlanForApi,
  type UsageIndex,
} from '../usage-index.js'
import type { CompileInput, ObjectRef } from '../compile-input.js'
import type { CompiledApi } from '../snapshot.js'
import type { CompileContext } from './compile-context.js'

const refOf = (r: ObjectRef): string => `${r.namespace}/${r.name}`

/**
 * Problems go to `err` (the object is then not served) or `warn`. A plan naming an ApiKey that does
 * not exist or is invalid still serves its other keys: that key is simply admitted nowhere.
 */
export function compileUsagePlans(
  input: CompileInput,
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>,
  apisByRef: ReadonlyMap<string, CompiledApi>,
  ctx: CompileContext,
): UsageIndex {
  const previous = ctx.opts.previous?.usage
  const err = (e: { file: string; ref: ObjectRef; path: string; message: string }): void => {
    ctx.err(e.file, e.ref, e.path, e.message)
  }
  const keys = new ApiKeyIndex()
  const keysById = new Map<string, ApiKeyEntry>()
  for (const m of [...input.apiKeys].sort((a, b) => cmp(refOf(a.ref), refOf(b.ref)))) {
    const { ref, file, spec } = m
    const secretRef = spec.valueFrom.secretKeyRef
    const path = 'spec.valueFrom.secretKeyRef'
    const data = secrets.get(`${ref.namespace}/${secretRef.name}`)
    const value = data?.[secretRef.key]
    if (data === undefined) {
      err({ file, ref, path, message: `Secret ${ref.namespace}/${secretRef.name} not found` })
      continue
    }
    if (value === undefined || value === '') {
      err({
        file,
        ref,
        path: `${path}.key`,
        message: `Secret ${ref.namespace}/${secretRef.name} has no key '${secretRef.key}'`,
      })
      continue
    }
    // The message never quotes the value: status conditions and logs are readable by many.
    if (!API_KEY_VALUE_PATTERN.test(value)) {
      err({
        file,
        ref,
        path,
        message: `the value in Secret ${ref.namespace}/${secretRef.name} key '${secretRef.key}' must be 20–128 alphanumeric characters`,
      })
      continue
    }
    const id = refOf(ref)
    const entry: ApiKeyEntry = { id, enabled: spec.enabled, customerId: spec.customerId }
    const clash = keys.add(value, entry)
    if (clash !== undefined) {
      err({ file, ref, path, message: `the same value as ApiKey ${clash}` })
      continue
    }
    keysById.set(id, entry)
  }

  const routesByApi = new Map(
    input.restApis.map((m) => [
      refOf(m.ref),
      new Set(m.spec.routes.flatMap((r) => r.methods.map((method) => `${method} ${r.path}`))),
    ]),
  )
  const plans = new Map<string, PlanForApi>()
  const planList: CompiledUsagePlan[] = []
  const manifests = [...input.usagePlans].sort((a, b) => cmp(refOf(a.ref), refOf(b.ref)))
  // On a reload, plans that already served go first, so a newcomer that claims one of their keys
  // on the same API is the one refused.
  const incumbent = (planRef: string): boolean =>
    previous?.planList.some((p) => p.ref === planRef) ?? false
  manifests.sort((a, b) => Number(incumbent(refOf(b.ref))) - Number(incumbent(refOf(a.ref))))
  for (const m of manifests) {
    const { ref, file, spec } = m
    const planRef = refOf(ref)
    let failed = false
    const fail = (path: string, message: string): void => {
      err({ file, ref, path, message })
      failed = true
    }
    const admitted: string[] = []
    ;(spec.apiKeys ?? []).forEach((name, i) => {
      const id = `${ref.namespace}/${name}`
      if (keysById.has(id)) admitted.push(id)
      else
        ctx.warn(
          file,
          ref,
          `spec.apiKeys[${i}]`,
          `ApiKey ${id} not found or invalid; it is admitted nowhere`,
        )
    })
    const plan: CompiledUsagePlan = Object.freeze({
      ref: planRef,
      throttle: spec.throttle === undefined ? undefined : Object.freeze({ ...spec.throttle }),
      quota:
        spec.quota === undefined
          ? undefined
          : Object.freeze({
              limit: spec.quota.limit,
              period: spec.quota.period,
              offset: spec.quota.offset,
            }),
      keys: Object.freeze(admitted),
    })
    const stages: { apiRef: string; methodThrottles: Map<string, MethodThrottle> }[] = []
    spec.apiStages.forEach((s, i) => {
      const base = `spec.apiStages[${i}]`
      const apiRef = `${ref.namespace}/${s.apiName}`
      const routes = routesByApi.get(apiRef)
      if (routes === undefined) {
        fail(`${base}.apiName`, `RestApi ${apiRef} not found`)
        return
      }
      const api = apisByRef.get(apiRef)
      // An API that did not compile serves nothing; its own status says why.
      if (api === undefined) return
      if (api.stage !== s.stage) {
        fail(`${base}.stage`, `RestApi ${apiRef} serves stage ${api.stage}, not ${s.stage}`)
        return
      }
      const methodThrottles = new Map<string, MethodThrottle>()
      for (const [k, limits] of Object.entries(s.throttle ?? {})) {
        const parsed = parseMethodThrottleKey(k)
        if (!parsed.ok) {
          fail(`${base}.throttle`, parsed.message)
          continue
        }
        const method = `${parsed.method} ${parsed.path}`
        if (!routes.has(method)) {
          fail(`${base}.throttle`, `"${k}": RestApi ${apiRef} has no route ${method}`)
          continue
        }
        methodThrottles.set(method, Object.freeze({ id: `${apiRef} ${method}`, limits }))
      }
      stages.push({ apiRef, methodThrottles })
    })
    // AWS: a key may be in only one usage plan per API stage.
    for (const { apiRef } of stages) {
      for (const id of admitted) {
        const other = plans.get(planKey(apiRef, id))?.plan.ref
        if (other !== undefined) {
          fail(
            `spec.apiKeys[${(spec.apiKeys ?? []).indexOf(id.slice(ref.namespace.length + 1))}]`,
            `ApiKey ${id} is already in UsagePlan ${other} for RestApi ${apiRef}`,
          )
        }
      }
    }
    if (failed) continue
    for (const { apiRef, methodThrottles } of stages) {
      const forApi: PlanForApi = Object.freeze({ plan, methodThrottles })
      for (const id of admitted) plans.set(planKey(apiRef, id), forApi)
    }
    planList.push(plan)
  }
  planList.sort((a, b) => cmp(a.ref, b.ref))
  ctx.counts.ApiKey = keysById.size
  ctx.counts.UsagePlan = planList.length
  return Object.freeze({ keys, keysById, plans, planList: Object.freeze(planList) })
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
