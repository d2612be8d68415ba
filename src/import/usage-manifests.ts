/**
 * The API keys and usage plans an imported API owns → Secret + ApiKey and UsagePlan manifests. A
 * key's value goes into a Secret named after the key: the template's literal (reported, so it is
 * not committed unnoticed), else a random value (reported as generated, or as a placeholder to
 * replace when the template gave a value it does not determine). Values never reach the report.
 *
 * @module
 */
import { randomInt } from 'node:crypto'
import type { ApiKeySpec } from '../api/v1alpha1/api-key.js'
import {
  MAX_METHOD_THROTTLES,
  type ThrottleSettings,
  type UsagePlanSpec,
} from '../api/v1alpha1/usage-plan.js'
import { parseMethodThrottleKey } from '../api/v1alpha1/validate-semantics.js'
import type { ImportedApi, ImportedApiKey, ImportedUsagePlan } from './imported-api.js'
import { toObjectName } from './json-shape.js'
import type { Manifest } from './manifest.js'
import type { ImportReport } from './report.js'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** 40 alphanumerics: about 238 bits, within API Gateway's 20–128. */
const GENERATED_LENGTH = 40
/** The Secret key holding the value. */
export const SECRET_VALUE_KEY = 'value'

function randomValue(): string {
  let s = ''
  for (let i = 0; i < GENERATED_LENGTH; i++)
    s += ALPHANUMERIC.charAt(randomInt(ALPHANUMERIC.length))
  return s
}

export function keySecretName(key: ImportedApiKey): string {
  return toObjectName(`${key.name}-value`)
}

function keyManifests(key: ImportedApiKey, namespace: string, report: ImportReport): Manifest[] {
  const secret = keySecretName(key)
  const where = `Secret ${secret} (key ${SECRET_VALUE_KEY})`
  let value: string
  let todo = false
  let detail: string
  switch (key.value.kind) {
    case 'literal':
      value = key.value.value
      todo = true
      detail = `the template's literal Value is written into ${where}: keep that file out of version control, or move the value to your secret store`
      break
    case 'generated':
      value = randomValue()
      detail = `no Value in the source (API Gateway generates one): a random value was generated into ${where}; give it to the key's callers`
      break
    case 'placeholder':
      value = randomValue()
      todo = true
      detail = `${key.value.why}: a random placeholder was written into ${where}; put the key's real value there`
      break
  }
  report.add(
    todo ? 'todo' : key.notes.length > 0 ? 'approximated' : 'mapped',
    `ApiKey ${key.name}`,
    key.source.file,
    key.source.pointer,
    [detail, ...key.notes].join('; '),
  )
  const spec: ApiKeySpec = {
    valueFrom: { secretKeyRef: { name: secret, key: SECRET_VALUE_KEY } },
    enabled: key.enabled,
    ...(key.customerId !== undefined ? { customerId: key.customerId } : {}),
    ...(key.description !== undefined ? { description: key.description } : {}),
  }
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace },
      type: 'Opaque',
      stringData: { [SECRET_VALUE_KEY]: value },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'ApiKey',
      metadata: { name: key.name, namespace },
      spec,
    },
  ]
}

function planManifest(
  plan: ImportedUsagePlan,
  namespace: string,
  report: ImportReport,
  nameOf: (api: ImportedApi) => string,
): Manifest[] {
  const notes = [...plan.notes]
  const apiStages: UsagePlanSpec['apiStages'] = []
  for (const s of plan.apiStages) {
    const apiName = nameOf(s.api)
    if (s.api.routes.length === 0) {
      notes.push(`API ${apiName} left out: no RestApi was written for it`)
      continue
    }
    if (apiStages.some((x) => x.apiName === apiName)) continue
    const routes = new Set(s.api.routes.map((r) => `${r.method} ${r.path}`))
    const throttle: Record<string, ThrottleSettings> = {}
    for (const [k, t] of Object.entries(s.throttle)) {
      const parsed = parseMethodThrottleKey(k)
      if (!parsed.ok || !routes.has(`${parsed.method} ${parsed.path}`)) {
        notes.push(
          `throttle "${k}" of ${apiName} left out: it names no route and method of the RestApi`,
        )
        continue
      }
      if (Object.keys(throttle).length >= MAX_METHOD_THROTTLES) {
        notes.push(
          `throttle "${k}" of ${apiName} left out: at most ${MAX_METHOD_THROTTLES} per stage`,
        )
        continue
      }
      throttle[k] = t
    }
    apiStages.push({
      apiName,
      stage: s.api.stage,
      ...(Object.keys(throttle).length > 0 ? { throttle } : {}),
    })
  }
  if (apiStages.length === 0) {
    report.add(
      'not-mapped',
      `UsagePlan ${plan.name}`,
      plan.source.file,
      plan.source.pointer,
      [
        `covers no API that was written, so no UsagePlan is written (its keys are admitted nowhere)`,
        ...notes,
      ].join('; '),
    )
    return []
  }
  report.add(
    notes.length > 0 ? 'approximated' : 'mapped',
    `UsagePlan ${plan.name}`,
    plan.source.file,
    plan.source.pointer,
    notes.length > 0 ? notes.join('; ') : undefined,
  )
  const spec: UsagePlanSpec = {
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    apiStages,
    ...(plan.throttle !== undefined ? { throttle: plan.throttle } : {}),
    ...(plan.quota !== undefined ? { quota: plan.quota } : {}),
    ...(plan.apiKeys.length > 0 ? { apiKeys: plan.apiKeys.map((k) => k.name) } : {}),
  }
  return [
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'UsagePlan',
      metadata: { name: plan.name, namespace },
      spec,
    },
  ]
}

/** Keys first (Secret, then ApiKey), then plans, in source order. */
export function usageManifests(
  api: ImportedApi,
  namespace: string,
  report: ImportReport,
  nameOf: (api: ImportedApi) => string,
): Manifest[] {
  const out: Manifest[] = []
  for (const u of api.usage)
    if (u.kind === 'ApiKey') out.push(...keyManifests(u, namespace, report))
  for (const u of api.usage)
    if (u.kind === 'UsagePlan') out.push(...planManifest(u, namespace, report, nameOf))
  return out
}
