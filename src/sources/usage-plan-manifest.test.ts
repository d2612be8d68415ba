import { describe, expect, it } from 'vitest'
import { parseManifestObject } from './manifest.js'
import { parseMethodThrottleKey } from '../api/v1alpha1/validate-semantics.js'

/** Problems reported for one object, as `path: message` lines (empty = loaded). */
function problems(kind: string, spec: unknown): string[] {
  const r = parseManifestObject(
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind,
      metadata: { name: 'x', namespace: 'shop' },
      spec,
    },
    'test.yaml',
  )
  return r.status === 'invalid' ? r.errors.map((e) => `${e.path}: ${e.message}`) : []
}

const stage = { apiName: 'petstore', stage: 'prod' }

describe('ApiKey and UsagePlan schemas', () => {
  it('an ApiKey defaults to enabled and needs a Secret reference', () => {
    const r = parseManifestObject(
      {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'ApiKey',
        metadata: { name: 'partner-a', namespace: 'shop' },
        spec: { valueFrom: { secretKeyRef: { name: 'partner-a-key', key: 'value' } } },
      },
      'k.yaml',
    )
    expect(r.status).toBe('loaded')
    if (r.status === 'loaded')
      expect((r.object as { spec: unknown }).spec).toMatchObject({ enabled: true })
    expect(problems('ApiKey', { enabled: true })).toEqual([expect.stringContaining('valueFrom')])
  })

  it('a UsagePlan accepts the documented shape and defaults quota.offset to 0', () => {
    const spec = {
      apiStages: [
        { ...stage, throttle: { '/pets/{petId}/GET': { rateLimit: 5, burstLimit: 10 } } },
      ],
      throttle: { rateLimit: 100, burstLimit: 200 },
      quota: { limit: 10000, period: 'DAY' },
      apiKeys: ['partner-a'],
    }
    expect(problems('UsagePlan', spec)).toEqual([])
    const r = parseManifestObject(
      {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'UsagePlan',
        metadata: { name: 'gold' },
        spec,
      },
      'p.yaml',
    )
    if (r.status === 'loaded') {
      expect((r.object as { spec: { quota?: unknown } }).spec.quota).toEqual({
        limit: 10000,
        period: 'DAY',
        offset: 0,
      })
    } else expect.unreachable('the plan must load')
  })

  it('quota.offset is bounded per period (DAY 0, WEEK 0–6, MONTH 0–27)', () => {
    const plan = (period: string, offset: number) =>
      problems('UsagePlan', { apiStages: [stage], quota: { limit: 1, period, offset } })
    expect(plan('DAY', 0)).toEqual([])
    expect(plan('DAY', 1)).toEqual([
      'spec.quota.offset: offset must be 0 for DAY, 0–6 for WEEK and 0–27 for MONTH',
    ])
    expect(plan('WEEK', 6)).toEqual([])
    expect(plan('WEEK', 7)).toHaveLength(1)
    expect(plan('MONTH', 27)).toEqual([])
    expect(plan('MONTH', 28)).toHaveLength(1)
  })

  it('refuses a bad per-method throttle key, more than 20 of them, a repeated stage and a repeated key', () => {
    expect(
      problems('UsagePlan', {
        apiStages: [{ ...stage, throttle: { '/pets/FETCH': { rateLimit: 1, burstLimit: 1 } } }],
      }),
    ).toEqual([
      'spec.apiStages[0].throttle: "/pets/FETCH": expected /resource/path/METHOD with METHOD one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, ANY',
    ])
    const many = Object.fromEntries(
      Array.from({ length: 21 }, (_, i) => [`/r${i}/GET`, { rateLimit: 1, burstLimit: 1 }]),
    )
    expect(problems('UsagePlan', { apiStages: [{ ...stage, throttle: many }] })).toHaveLength(1)
    expect(problems('UsagePlan', { apiStages: [stage, stage] })).toEqual([
      'spec.apiStages[1]: duplicate entry for apiName, stage (also at index 0)',
    ])
    expect(problems('UsagePlan', { apiStages: [stage], apiKeys: ['a', 'a'] })).toEqual([
      'spec.apiKeys[1]: duplicate value "a" (also at index 0)',
    ])
  })
})

describe('parseMethodThrottleKey', () => {
  it('splits /resource/path/METHOD, with //GET for the root resource', () => {
    expect(parseMethodThrottleKey('/pets/{petId}/GET')).toEqual({
      ok: true,
      path: '/pets/{petId}',
      method: 'GET',
    })
    expect(parseMethodThrottleKey('//GET')).toEqual({ ok: true, path: '/', method: 'GET' })
    expect(parseMethodThrottleKey('/GET')).toEqual({ ok: true, path: '/', method: 'GET' })
    expect(parseMethodThrottleKey('pets/GET').ok).toBe(false)
    expect(parseMethodThrottleKey('/pets//GET').ok).toBe(false)
    expect(parseMethodThrottleKey('/pets/get').ok).toBe(false)
  })
})
