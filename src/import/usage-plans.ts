/**
 * API keys and usage plans of a template → ImportedApiKeys / ImportedUsagePlans owned by the API
 * whose manifests will carry them: CloudFormation `AWS::ApiGateway::ApiKey`, `UsagePlan` and
 * `UsagePlanKey` (folded into its plan's keys), and SAM's `Auth.UsagePlan`, expanded into the plans
 * and keys SAM's translator generates (one plan and key per API for PER_API, one shared plan and
 * key for SHARED).
 *
 * @module
 */
import { API_KEY_VALUE_PATTERN } from '../api/v1alpha1/api-key.js'
import {
  MAX_QUOTA_LIMIT,
  MAX_QUOTA_OFFSET,
  MAX_THROTTLE_LIMIT,
  QUOTA_PERIODS,
} from '../api/v1alpha1/usage-plan.js'
import type { QuotaSettings, ThrottleSettings } from '../api/v1alpha1/usage-plan.js'
import type {
  ImportedApi,
  ImportedApiKey,
  ImportedKeyValue,
  ImportedPlanStage,
  ImportedUsagePlan,
} from './imported-api.js'
import type { MapperInput } from './import-options.js'
import { refTarget, resolveIntrinsics, type IntrinsicContext } from './intrinsics.js'
import { asArray, asObject, asString, toObjectName, type JsonObject } from './json-shape.js'
import { pointerTo } from './report.js'

/** CloudFormation passes numbers as numbers or numeric strings. */
function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(n) ? n : undefined
}

/** A string the template determines whole; undefined when any part of it is unresolved. */
function resolvedString(v: unknown, ctx: IntrinsicContext): string | undefined {
  const r = resolveIntrinsics(v, ctx)
  return r.unresolved.length > 0 ? undefined : asString(r.value)
}

function resolvedObject(v: unknown, ctx: IntrinsicContext): JsonObject | undefined {
  return asObject(resolveIntrinsics(v, ctx).value)
}

/**
 * `{RateLimit, BurstLimit}` → a throttle. API Gateway accepts one without the other; the kind needs
 * both, so a missing one takes the other's value (a burst of one second's rate), noted.
 */
export function mapThrottle(
  raw: unknown,
  ctx: IntrinsicContext,
  what: string,
  notes: string[],
): ThrottleSettings | undefined {
  const t = resolvedObject(raw, ctx)
  if (t === undefined) {
    notes.push(`${what} not determined by the template: left out`)
    return undefined
  }
  let rate = num(t.RateLimit)
  let burst = num(t.BurstLimit)
  if (rate === undefined && burst === undefined) {
    notes.push(`${what} has neither RateLimit nor BurstLimit: left out`)
    return undefined
  }
  if (burst === undefined) {
    burst = Math.max(1, Math.ceil(rate ?? 0))
    notes.push(`${what} without BurstLimit: burstLimit ${burst} (one second of RateLimit)`)
  }
  if (rate === undefined) {
    rate = burst
    notes.push(`${what} without RateLimit: rateLimit ${rate} (BurstLimit per second)`)
  }
  const rateLimit = Math.min(Math.max(rate, 0), MAX_THROTTLE_LIMIT)
  const burstLimit = Math.min(Math.max(Math.floor(burst), 0), MAX_THROTTLE_LIMIT)
  if (rateLimit !== rate || burstLimit !== burst)
    notes.push(`${what} outside 0–${MAX_THROTTLE_LIMIT} (or a fractional burst): clamped`)
  return { rateLimit, burstLimit }
}

/** `{Limit, Period, Offset}` → a quota; one AWS would refuse is left out, noted. */
export function mapQuota(
  raw: unknown,
  ctx: IntrinsicContext,
  notes: string[],
): QuotaSettings | undefined {
  const q = resolvedObject(raw, ctx)
  const limit = num(q?.Limit)
  const period = asString(q?.Period)
  const offset = q?.Offset === undefined ? 0 : num(q.Offset)
  const known = (QUOTA_PERIODS as readonly string[]).includes(period ?? '')
  if (
    limit === undefined ||
    !Number.isInteger(limit) ||
    limit < 0 ||
    limit > MAX_QUOTA_LIMIT ||
    !known ||
    offset === undefined ||
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset > MAX_QUOTA_OFFSET[period as QuotaSettings['period']]
  ) {
    notes.push(
      `Quota ${JSON.stringify(q ?? raw)} is not a quota API Gateway accepts (Limit an integer 0–${MAX_QUOTA_LIMIT}, Period DAY/WEEK/MONTH, Offset 0 for DAY, 0–6 for WEEK, 0–27 for MONTH) or is not determined: left out`,
    )
    return undefined
  }
  return { limit, period: period as QuotaSettings['period'], offset }
}

function description(v: unknown, ctx: IntrinsicContext): string | undefined {
  return resolvedString(v, ctx)?.slice(0, 1024)
}

/**
 * The stage a plan's `Stage` names, when the template determines it: a literal, a parameter with a
 * default, or a Ref to an `AWS::ApiGateway::Stage` resource (its StageName). A Ref to a stage SAM
 * generates is that API's stage.
 */
function stageName(v: unknown, input: MapperInput): string | undefined {
  const id = refTarget(v)
  const resource = id === undefined ? undefined : asObject(asObject(input.doc.Resources)?.[id])
  if (resource !== undefined) {
    if (resource.Type !== 'AWS::ApiGateway::Stage') return undefined
    v = asObject(resource.Properties)?.StageName
  }
  return resolvedString(v, input.ctx)
}

function stageNote(api: ImportedApi, named: string | undefined, notes: string[]): void {
  if (named !== undefined && named !== api.stage)
    notes.push(
      `stage ${named} of ${api.name}: the RestApi was imported with stage ${api.stage}, which the plan covers`,
    )
}

function keyValue(raw: unknown, ctx: IntrinsicContext): ImportedKeyValue {
  if (raw === undefined) return { kind: 'generated' }
  const r = resolveIntrinsics(raw, ctx)
  if (typeof r.value === 'string' && r.unresolved.length === 0) {
    return API_KEY_VALUE_PATTERN.test(r.value)
      ? { kind: 'literal', value: r.value }
      : { kind: 'placeholder', why: 'the Value is not 20–128 letters and digits' }
  }
  return {
    kind: 'placeholder',
    why: `the Value is not determined by the template (${r.unresolved.join(', ') || 'not a string'})`,
  }
}

/** CloudFormation's `AWS::ApiGateway::ApiKey`, `UsagePlan` and `UsagePlanKey` resources. */
export function mapCloudFormationUsage(
  input: MapperInput,
  apis: ReadonlyMap<string, ImportedApi>,
): void {
  const f = input.file
  const resources = Object.entries(asObject(input.doc.Resources) ?? {}).flatMap(([id, r]) => {
    const o = asObject(r)
    const type = asString(o?.Type)
    return type === 'AWS::ApiGateway::ApiKey' ||
      type === 'AWS::ApiGateway::UsagePlan' ||
      type === 'AWS::ApiGateway::UsagePlanKey'
      ? [{ id, type, props: asObject(o?.Properties) ?? {}, pointer: pointerTo('/Resources', id) }]
      : []
  })
  const first = [...apis.values()][0]
  if (first === undefined) {
    // Plans and keys are written beside a REST API's manifests: without one nothing is written.
    for (const r of resources) {
      const kind = r.type.slice(r.type.lastIndexOf(':') + 1)
      const name = kind === 'UsagePlanKey' ? r.id : toObjectName(r.id)
      input.report.add(
        'not-mapped',
        `${kind} ${name}`,
        f,
        r.pointer,
        'no REST API in this template',
      )
    }
    return
  }
  const keys = new Map<string, ImportedApiKey>()
  const plans = new Map<string, ImportedUsagePlan>()
  const ptr = (base: string, ...t: string[]): string => pointerTo(base, 'Properties', ...t)
  for (const r of resources.filter((x) => x.type === 'AWS::ApiGateway::ApiKey')) {
    const notes: string[] = []
    const desc = description(r.props.Description, input.ctx)
    const enabled = resolveIntrinsics(r.props.Enabled, input.ctx).value
    const customerId = resolvedString(r.props.CustomerId, input.ctx)
    if (r.props.GenerateDistinctId !== undefined)
      notes.push('GenerateDistinctId has no counterpart')
    if (r.props.Tags !== undefined) notes.push('Tags have no counterpart')
    keys.set(r.id, {
      kind: 'ApiKey',
      name: toObjectName(r.id),
      source: { file: f, pointer: r.pointer },
      // CloudFormation's default is a disabled key.
      enabled: enabled === true || enabled === 'true',
      ...(customerId !== undefined ? { customerId: customerId.slice(0, 256) } : {}),
      ...(desc !== undefined ? { description: desc } : {}),
      value: keyValue(r.props.Value, input.ctx),
      notes,
    })
  }
  for (const r of resources.filter((x) => x.type === 'AWS::ApiGateway::UsagePlan')) {
    const notes: string[] = []
    const apiStages: ImportedPlanStage[] = []
    ;(asArray(r.props.ApiStages) ?? []).forEach((raw, i) => {
      const s = asObject(raw) ?? {}
      const p = ptr(r.pointer, 'ApiStages', String(i))
      const api = apis.get(refTarget(s.ApiId) ?? '')
      if (api === undefined) {
        notes.push(`ApiStages[${i}]: ApiId names no REST API of this template: left out`)
        return
      }
      stageNote(api, stageName(s.Stage, input), notes)
      const throttle: Record<string, ThrottleSettings> = {}
      for (const [k, t] of Object.entries(resolvedObject(s.Throttle, input.ctx) ?? {})) {
        const m = mapThrottle(t, input.ctx, `ApiStages[${i}].Throttle ${k}`, notes)
        if (m !== undefined) throttle[k] = m
      }
      apiStages.push({ api, throttle, source: { file: f, pointer: p } })
    })
    if (r.props.Tags !== undefined) notes.push('Tags have no counterpart')
    const throttle =
      r.props.Throttle === undefined
        ? undefined
        : mapThrottle(r.props.Throttle, input.ctx, 'Throttle', notes)
    const quota =
      r.props.Quota === undefined ? undefined : mapQuota(r.props.Quota, input.ctx, notes)
    const desc = description(r.props.Description, input.ctx)
    plans.set(r.id, {
      kind: 'UsagePlan',
      name: toObjectName(r.id),
      source: { file: f, pointer: r.pointer },
      ...(desc !== undefined ? { description: desc } : {}),
      ...(throttle !== undefined ? { throttle } : {}),
      ...(quota !== undefined ? { quota } : {}),
      apiStages,
      apiKeys: [],
      notes,
    })
  }
  const owned = new Set<ImportedApiKey>()
  for (const r of resources.filter((x) => x.type === 'AWS::ApiGateway::UsagePlanKey')) {
    const key = keys.get(refTarget(r.props.KeyId) ?? '')
    const plan = plans.get(refTarget(r.props.UsagePlanId) ?? '')
    const keyType = asString(resolveIntrinsics(r.props.KeyType, input.ctx).value)
    if (key === undefined || plan === undefined || keyType !== 'API_KEY') {
      input.report.add(
        'not-mapped',
        `UsagePlanKey ${r.id}`,
        f,
        r.pointer,
        'KeyId or UsagePlanId names no ApiKey / UsagePlan of this template, or KeyType is not API_KEY: the key is not admitted by the plan',
      )
      continue
    }
    if (!plan.apiKeys.includes(key)) plan.apiKeys.push(key)
    input.report.add(
      'mapped',
      `UsagePlanKey ${r.id}`,
      f,
      r.pointer,
      `ApiKey ${key.name} listed in UsagePlan ${plan.name}'s apiKeys`,
    )
  }
  // A plan is written with the first API it covers; a key with its first plan's.
  for (const plan of plans.values()) {
    const owner = plan.apiStages[0]?.api ?? first
    owner.usage.push(plan)
    for (const k of plan.apiKeys)
      if (!owned.has(k)) {
        owned.add(k)
        owner.usage.push(k)
      }
  }
  for (const k of keys.values()) {
    if (!owned.has(k)) first.usage.push(k)
  }
}

/** One SAM API with its (resolved) `Auth.UsagePlan`. */
export interface SamUsagePlanInput {
  readonly api: ImportedApi
  readonly logicalId: string
  readonly config: JsonObject
  readonly pointer: string
}

/**
 * SAM's `Auth.UsagePlan`: PER_API gives `<Api>UsagePlan` with key `<Api>ApiKey`; SHARED gives one
 * `ServerlessUsagePlan` with key `ServerlessApiKey` over every SHARED API (SAM writes the shared
 * plan once per API, so the last API's limits are the plan's); NONE gives nothing. SAM generates
 * enabled keys without a value: AWS generates it.
 */
export function mapSamUsagePlans(input: MapperInput, entries: readonly SamUsagePlanInput[]): void {
  const f = input.file
  const shared: SamUsagePlanInput[] = []
  const planOf = (
    name: string,
    e: SamUsagePlanInput,
    apiStages: ImportedPlanStage[],
    keyName: string,
  ): { plan: ImportedUsagePlan; key: ImportedApiKey } => {
    const notes: string[] = []
    const c = e.config
    const throttle =
      c.Throttle === undefined ? undefined : mapThrottle(c.Throttle, input.ctx, 'Throttle', notes)
    const quota = c.Quota === undefined ? undefined : mapQuota(c.Quota, input.ctx, notes)
    const desc = description(c.Description, input.ctx)
    if (c.Tags !== undefined) notes.push('Tags have no counterpart')
    const key: ImportedApiKey = {
      kind: 'ApiKey',
      name: toObjectName(keyName),
      source: { file: f, pointer: e.pointer },
      enabled: true,
      value: { kind: 'generated' },
      notes: [],
    }
    const plan: ImportedUsagePlan = {
      kind: 'UsagePlan',
      name: toObjectName(name),
      source: { file: f, pointer: e.pointer },
      ...(desc !== undefined ? { description: desc } : {}),
      ...(throttle !== undefined ? { throttle } : {}),
      ...(quota !== undefined ? { quota } : {}),
      apiStages,
      apiKeys: [key],
      notes,
    }
    return { plan, key }
  }
  for (const e of entries) {
    const mode = resolveIntrinsics(e.config.CreateUsagePlan, input.ctx).value
    const stage: ImportedPlanStage = {
      api: e.api,
      throttle: {},
      source: { file: f, pointer: e.pointer },
    }
    if (mode === 'PER_API') {
      const { plan, key } = planOf(`${e.logicalId}UsagePlan`, e, [stage], `${e.logicalId}ApiKey`)
      e.api.usage.push(plan, key)
    } else if (mode === 'SHARED') {
      shared.push(e)
    } else if (mode !== 'NONE') {
      input.report.add(
        'not-mapped',
        `UsagePlan of ${e.logicalId}`,
        f,
        pointerTo(e.pointer, 'CreateUsagePlan'),
        `CreateUsagePlan ${JSON.stringify(mode)} is not NONE, PER_API or SHARED (or not determined by the template): no plan written, routes keep apiKeyRequired`,
      )
    } else {
      input.report.add(
        'mapped',
        `UsagePlan of ${e.logicalId}`,
        f,
        e.pointer,
        'CreateUsagePlan NONE: SAM creates no plan',
      )
    }
  }
  const [firstShared] = shared
  const last = shared.at(-1)
  if (firstShared !== undefined && last !== undefined) {
    const stages = shared.map((e) => ({
      api: e.api,
      throttle: {},
      source: { file: f, pointer: e.pointer },
    }))
    const { plan, key } = planOf('ServerlessUsagePlan', last, stages, 'ServerlessApiKey')
    if (shared.some((e) => JSON.stringify(e.config) !== JSON.stringify(last.config)))
      plan.notes.push(
        `shared by ${shared.length} APIs with different settings; SAM writes it once per API, so the settings of the last one (${last.pointer}) are the plan's`,
      )
    firstShared.api.usage.push(plan, key)
  }
}
