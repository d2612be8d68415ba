import { describe, expect, it } from 'vitest'
import { compileSnapshot } from '../compile-snapshot.js'
import type { ApiKeySpec, UsagePlanSpec } from '../../api/v1alpha1/index.js'
import { emptyCompileInput, type CompileInput, type Manifest } from '../compile-input.js'
import { apiKeySpec, restApiSpec, usagePlanSpec, type Loose } from '../../../test/helpers/specs.js'
import { planKey } from '../usage-index.js'

const VALUE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa01'
const VALUE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb02'

const key = (name: string, enabled = true): Manifest<ApiKeySpec> => ({
  ref: { kind: 'ApiKey', namespace: 'shop', name },
  file: 'keys.yaml',
  spec: apiKeySpec({ valueFrom: { secretKeyRef: { name: `${name}-key`, key: 'value' } }, enabled }),
})
const plan = (name: string, spec: Loose<UsagePlanSpec>): Manifest<UsagePlanSpec> => ({
  ref: { kind: 'UsagePlan', namespace: 'shop', name },
  file: 'plans.yaml',
  spec: usagePlanSpec({ apiStages: [{ apiName: 'petstore', stage: 'prod' }], ...spec }),
})
const secret = (name: string, value: string) => ({
  ref: { kind: 'Secret', namespace: 'shop', name },
  file: 'secrets.yaml',
  data: { value },
})

const input = (over: Partial<CompileInput>): CompileInput => ({
  ...emptyCompileInput(),
  restApis: [
    {
      ref: { kind: 'RestApi', namespace: 'shop', name: 'petstore' },
      file: 'api.yaml',
      spec: restApiSpec({
        hosts: ['pets.example.com'],
        stage: 'prod',
        routes: [
          { path: '/pets', methods: ['GET', 'POST'], apiKeyRequired: true },
          { path: '/pets/{petId}', methods: ['ANY'], apiKeyRequired: true },
        ],
      }),
    },
  ],
  secrets: [secret('a-key', VALUE_A), secret('b-key', VALUE_B)],
  ...over,
})
const opts = { defaults: { accountId: '111122223333', region: 'us-east-1' }, generation: 1 }
const problems = (r: ReturnType<typeof compileSnapshot>): string[] =>
  r.errors.map((e) => `${e.ref.kind}/${e.ref.name}: ${e.path}: ${e.message}`)

describe('compiling ApiKeys and UsagePlans', () => {
  it('indexes keys by value and resolves plan, stage and per-method throttles per API and key', () => {
    const r = compileSnapshot(
      input({
        apiKeys: [key('a'), key('b', false)],
        usagePlans: [
          plan('gold', {
            apiStages: [
              {
                apiName: 'petstore',
                stage: 'prod',
                throttle: { '/pets/{petId}/ANY': { rateLimit: 1, burstLimit: 2 } },
              },
            ],
            throttle: { rateLimit: 10, burstLimit: 20 },
            quota: { limit: 100, period: 'MONTH', offset: 4 },
            apiKeys: ['a', 'b'],
          }),
        ],
      }),
      opts,
    )
    expect(problems(r)).toEqual([])
    const usage = r.snapshot.usage
    expect(usage.keys.lookup(VALUE_A)).toEqual({
      id: 'shop/a',
      enabled: true,
      customerId: undefined,
    })
    expect(usage.keys.lookup(VALUE_B)?.enabled).toBe(false)
    const forA = usage.plans.get(planKey('shop/petstore', 'shop/a'))
    expect(forA?.plan).toMatchObject({
      ref: 'shop/gold',
      throttle: { rateLimit: 10, burstLimit: 20 },
      quota: { limit: 100, period: 'MONTH', offset: 4 },
      keys: ['shop/a', 'shop/b'],
    })
    expect(forA?.methodThrottles.get('ANY /pets/{petId}')).toEqual({
      id: 'shop/petstore ANY /pets/{petId}',
      limits: { rateLimit: 1, burstLimit: 2 },
    })
    expect(r.snapshot.objectCounts).toMatchObject({ ApiKey: 2, UsagePlan: 1 })
  })

  it('refuses a key value that is not 20–128 alphanumerics, without quoting it, and a missing Secret', () => {
    const r = compileSnapshot(
      input({
        apiKeys: [key('a'), key('short'), key('nosecret')],
        secrets: [secret('a-key', VALUE_A), secret('short-key', 'tooShort123')],
      }),
      opts,
    )
    expect(problems(r)).toEqual([
      'ApiKey/nosecret: spec.valueFrom.secretKeyRef: Secret shop/nosecret-key not found',
      "ApiKey/short: spec.valueFrom.secretKeyRef: the value in Secret shop/short-key key 'value' must be 20–128 alphanumeric characters",
    ])
    expect(JSON.stringify(r.errors)).not.toContain('tooShort123')
    expect(r.snapshot.usage.keysById.size).toBe(1)
  })

  it('refuses two keys with one value (the second by name order)', () => {
    const r = compileSnapshot(
      input({
        apiKeys: [key('a'), key('b')],
        secrets: [secret('a-key', VALUE_A), secret('b-key', VALUE_A)],
      }),
      opts,
    )
    expect(problems(r)).toEqual([
      'ApiKey/b: spec.valueFrom.secretKeyRef: the same value as ApiKey shop/a',
    ])
  })

  it('a key may be in only one plan per API stage; on reload the plan that had it keeps it', () => {
    const gold = plan('gold', { apiKeys: ['a'] })
    const bronze = plan('bronze', { apiKeys: ['a'] })
    const first = compileSnapshot(input({ apiKeys: [key('a')], usagePlans: [gold] }), opts)
    expect(problems(first)).toEqual([])
    const r = compileSnapshot(input({ apiKeys: [key('a')], usagePlans: [gold, bronze] }), {
      ...opts,
      previous: first.snapshot,
    })
    expect(problems(r)).toEqual([
      'UsagePlan/bronze: spec.apiKeys[0]: ApiKey shop/a is already in UsagePlan shop/gold for RestApi shop/petstore',
    ])
    expect(r.snapshot.usage.plans.get(planKey('shop/petstore', 'shop/a'))?.plan.ref).toBe(
      'shop/gold',
    )
    // Without history, name order decides: bronze sorts first.
    const fresh = compileSnapshot(input({ apiKeys: [key('a')], usagePlans: [gold, bronze] }), opts)
    expect(fresh.snapshot.usage.plans.get(planKey('shop/petstore', 'shop/a'))?.plan.ref).toBe(
      'shop/bronze',
    )
  })

  it('a key moved from one plan to another in one reload belongs to the new plan', () => {
    const first = compileSnapshot(
      input({
        apiKeys: [key('a')],
        usagePlans: [plan('gold', { apiKeys: ['a'] }), plan('silver', {})],
      }),
      opts,
    )
    const r = compileSnapshot(
      input({
        apiKeys: [key('a')],
        usagePlans: [plan('gold', { apiKeys: [] }), plan('silver', { apiKeys: ['a'] })],
      }),
      { ...opts, previous: first.snapshot },
    )
    expect(problems(r)).toEqual([])
    expect(r.snapshot.usage.plans.get(planKey('shop/petstore', 'shop/a'))?.plan.ref).toBe(
      'shop/silver',
    )
  })

  it('refuses an unknown API, a stage the API does not serve and a throttle for a missing route', () => {
    const r = compileSnapshot(
      input({
        apiKeys: [key('a')],
        usagePlans: [
          plan('p1', { apiStages: [{ apiName: 'nope', stage: 'prod' }], apiKeys: ['a'] }),
          plan('p2', { apiStages: [{ apiName: 'petstore', stage: 'beta' }] }),
          plan('p3', {
            apiStages: [
              {
                apiName: 'petstore',
                stage: 'prod',
                throttle: { '/pets/DELETE': { rateLimit: 1, burstLimit: 1 } },
              },
            ],
          }),
        ],
      }),
      opts,
    )
    expect(problems(r)).toEqual([
      'UsagePlan/p1: spec.apiStages[0].apiName: RestApi shop/nope not found',
      'UsagePlan/p2: spec.apiStages[0].stage: RestApi shop/petstore serves stage prod, not beta',
      'UsagePlan/p3: spec.apiStages[0].throttle: "/pets/DELETE": RestApi shop/petstore has no route DELETE /pets',
    ])
    expect(r.snapshot.usage.planList).toEqual([])
  })

  it('a plan naming a missing key serves its other keys and warns', () => {
    const r = compileSnapshot(
      input({ apiKeys: [key('a')], usagePlans: [plan('gold', { apiKeys: ['ghost', 'a'] })] }),
      opts,
    )
    expect(problems(r)).toEqual([])
    expect(r.warnings).toEqual([
      'plans.yaml: UsagePlan/shop/gold: spec.apiKeys[0]: ApiKey shop/ghost not found or invalid; it is admitted nowhere',
    ])
    expect(r.snapshot.usage.plans.has(planKey('shop/petstore', 'shop/a'))).toBe(true)
  })
})
