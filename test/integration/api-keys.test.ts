/**
 * API keys and usage plans through the real gRPC server (Envoy's official protos) and the metrics
 * port: AWS's 403/429 answers and bodies, the key id (never the value) upstream, a client copy of
 * that header overwritten, per-method throttles narrower than the plan's, quota periods on a fake
 * clock, a disabled key, a key moved between plans by hot reload, the AUTHORIZER key source fed by
 * a real HTTP authorizer's usageIdentifierKey, the usage metric and `/usage`.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiKeyManifests } from '../helpers/api-key-manifests.js'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { startAuthorizerPeer, type AuthorizerPeer } from '../helpers/lambda-authorizer-peer.js'

const HOST = 'pets.example.com'
const AUTH_HOST = 'partners.example.com'
const GOLD = 'goldgoldgoldgoldgold0000000001'
const SILVER = 'silversilversilversilver000002'
const OFF = 'disableddisableddisabled000003'
const LOOSE = 'nplannoplannoplannoplan0000004'
const FROM_AUTHORIZER = 'authorizerkeyauthorizerkey0005'

let t: TestApp
let peer: AuthorizerPeer

const secret = (name: string, value: string): string =>
  apiKeyManifests(name, value, { enabled: name !== 'off', customerId: `cust-${name}` })

const config = (goldKeys: string, silverKeys: string, goldQuota = 5) => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: petstore, namespace: shop}
spec:
  hosts: [${HOST}]
  routes:
    - {path: /pets, methods: [GET, POST], apiKeyRequired: true}
    - {path: "/pets/{petId}", methods: [GET], apiKeyRequired: true}
    - {path: /health, methods: [GET]}
---
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: partners, namespace: shop}
spec:
  hosts: [${AUTH_HOST}]
  apiKeySource: AUTHORIZER
  routes:
    - {path: /orders, methods: [GET], authorizationType: CUSTOM, authorizerName: partner-auth, apiKeyRequired: true}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: partner-auth, namespace: shop}
spec:
  type: TOKEN
  authorizerUri: ${peer.url}
  identitySource: method.request.header.Authorization
  authorizerResultTtlInSeconds: 0
---
${secret('gold', GOLD)}
${secret('silver', SILVER)}
${secret('off', OFF)}
${secret('loose', LOOSE)}
${secret('fromauth', FROM_AUTHORIZER)}
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: gold, namespace: shop}
spec:
  apiStages:
    - apiName: petstore
      stage: prod
      throttle: {"/pets/{petId}/GET": {rateLimit: 0, burstLimit: 2}}
  throttle: {rateLimit: 0, burstLimit: 1000}
  quota: {limit: ${goldQuota}, period: DAY}
  apiKeys: [${goldKeys}]
---
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: silver, namespace: shop}
spec:
  apiStages: [{apiName: petstore, stage: prod}, {apiName: partners, stage: prod}]
  throttle: {rateLimit: 0, burstLimit: 3}
  apiKeys: [${silverKeys}]
`

beforeAll(async () => {
  // The authorizer names the caller's API key in usageIdentifierKey (AWS's AUTHORIZER source).
  peer = await startAuthorizerPeer((event) => {
    const token = String(event['authorizationToken'])
    const allow = {
      principalId: 'partner-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
      },
    }
    if (token === 'with-key') return { body: { ...allow, usageIdentifierKey: FROM_AUTHORIZER } }
    if (token === 'unknown-key') return { body: { ...allow, usageIdentifierKey: 'x'.repeat(30) } }
    return { body: allow }
  })
  t = await startTestApp()
  await writeFile(join(t.dir, 'config.yaml'), config('gold, off', 'silver, fromauth'))
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
  await peer.close()
})
afterEach(() => {
  vi.useRealTimers()
})

const call = async (
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  host = HOST,
) => answer(await t.client.check(buildCheckRequest({ method, path, host, headers })))

const FORBIDDEN = { grpc: 7, http: 403, body: { message: 'Forbidden' } }

describe('API key checks (HEADER source)', () => {
  it('refuses a missing, unknown, disabled or plan-less key with 403 Forbidden (ForbiddenException)', async () => {
    for (const headers of [
      {},
      { 'x-api-key': 'wrongwrongwrongwrongwrong' },
      { 'x-api-key': OFF },
      { 'x-api-key': LOOSE },
      { 'x-api-key': `${GOLD},${GOLD}` },
    ]) {
      const a = await call('/pets', headers)
      expect(a).toMatchObject(FORBIDDEN)
      expect(a.headers['x-amzn-errortype']).toBe('ForbiddenException')
    }
  })

  it('a route without apiKeyRequired needs no key, and removes a client copy of the key id header', async () => {
    const a = await call('/health', { 'x-portcullis-api-key-id': 'shop/gold' })
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-api-key-id']).toBeUndefined()
    expect(a.removed).toContain('x-portcullis-api-key-id')
  })

  it('allows a key of the plan; the key id, never the value, goes upstream, overwriting a client copy', async () => {
    const a = await call('/pets', { 'x-api-key': SILVER, 'x-portcullis-api-key-id': 'shop/gold' })
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-api-key-id']).toBe('shop/silver')
    expect(a.removed).not.toContain('x-portcullis-api-key-id')
    expect(JSON.stringify(a)).not.toContain(SILVER)
  })

  it('throttles past the burst with 429 Too Many Requests (TooManyRequestsException)', async () => {
    // silver: burst 3, no refill; one request was spent above.
    expect((await call('/pets', { 'x-api-key': SILVER })).http).toBe(200)
    expect((await call('/pets/1', { 'x-api-key': SILVER })).http).toBe(200)
    const a = await call('/pets', { 'x-api-key': SILVER })
    expect(a).toMatchObject({ grpc: 7, http: 429, body: { message: 'Too Many Requests' } })
    expect(a.headers['x-amzn-errortype']).toBe('TooManyRequestsException')
  })

  it('a per-method throttle wins over the wider plan throttle', async () => {
    expect((await call('/pets/1', { 'x-api-key': GOLD })).http).toBe(200)
    expect((await call('/pets/2', { 'x-api-key': GOLD })).http).toBe(200)
    expect((await call('/pets/3', { 'x-api-key': GOLD })).body).toEqual({
      message: 'Too Many Requests',
    })
    // The plan's own bucket still has tokens for another method.
    expect((await call('/pets', { 'x-api-key': GOLD })).http).toBe(200)
  })
})

describe('quota', () => {
  it('answers 429 Limit Exceeded (LimitExceededException) once the DAY quota is used, and starts again at midnight UTC', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-06-01T23:59:00Z'))
    await writeFile(join(t.dir, 'config.yaml'), config('gold', 'silver, fromauth', 2))
    expect((await t.app.config.reload()).allErrors).toEqual([])
    expect((await call('/pets', { 'x-api-key': GOLD }, 'POST')).http).toBe(200)
    expect((await call('/pets', { 'x-api-key': GOLD }, 'POST')).http).toBe(200)
    const a = await call('/pets', { 'x-api-key': GOLD }, 'POST')
    expect(a).toMatchObject({ grpc: 7, http: 429, body: { message: 'Limit Exceeded' } })
    expect(a.headers['x-amzn-errortype']).toBe('LimitExceededException')
    const usage = (await (await fetch(`http://127.0.0.1:${t.app.metricsPort}/usage`)).json()) as {
      plans: { plan: string; keys: unknown[] }[]
    }
    expect(usage.plans.find((p) => p.plan === 'shop/gold')?.keys).toEqual([
      {
        key: 'shop/gold',
        customerId: 'cust-gold',
        used: 2,
        remaining: 0,
        period: 'DAY',
        periodStart: '2030-06-01T00:00:00.000Z',
      },
    ])
    expect(JSON.stringify(usage)).not.toContain(GOLD)
    vi.setSystemTime(new Date('2030-06-02T00:00:00Z'))
    expect((await call('/pets', { 'x-api-key': GOLD }, 'POST')).http).toBe(200)
  })
})

describe('hot reload', () => {
  it('a key moved from one plan to another gets the new plan at once; a key removed from every plan is refused', async () => {
    await writeFile(join(t.dir, 'config.yaml'), config('', 'silver, fromauth, gold'))
    expect((await t.app.config.reload()).allErrors).toEqual([])
    // silver has burst 3 for this fresh pair: three pass, the fourth is throttled.
    const results = []
    for (let i = 0; i < 4; i++)
      results.push((await call('/pets', { 'x-api-key': GOLD }, 'POST')).http)
    expect(results).toEqual([200, 200, 200, 429])
    await writeFile(join(t.dir, 'config.yaml'), config('', 'fromauth'))
    expect((await t.app.config.reload()).allErrors).toEqual([])
    expect(await call('/pets', { 'x-api-key': GOLD })).toMatchObject(FORBIDDEN)
  })
})

describe('AUTHORIZER source', () => {
  it("takes the key from the authorizer's usageIdentifierKey, not from x-api-key", async () => {
    const a = await call('/orders', { authorization: 'with-key' }, 'GET', AUTH_HOST)
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-api-key-id']).toBe('shop/fromauth')
    expect(a.headers['x-portcullis-principal']).toBe('partner-1')
    // An x-api-key header is not the source here.
    expect(
      await call('/orders', { authorization: 'no-key', 'x-api-key': SILVER }, 'GET', AUTH_HOST),
    ).toMatchObject(FORBIDDEN)
    expect(await call('/orders', { authorization: 'unknown-key' }, 'GET', AUTH_HOST)).toMatchObject(
      FORBIDDEN,
    )
  })
})

describe('metrics', () => {
  it('counts requests per plan and result, with no key values or ids as labels', async () => {
    const text = await (await fetch(`http://127.0.0.1:${t.app.metricsPort}/metrics`)).text()
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith('portcullis_usage_plan_requests_total{'))
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^portcullis_usage_plan_requests_total\{plan="shop\/silver",result="allowed"\} [1-9]/,
        ),
        expect.stringMatching(
          /^portcullis_usage_plan_requests_total\{plan="shop\/silver",result="throttled"\} [1-9]/,
        ),
        expect.stringMatching(
          /^portcullis_usage_plan_requests_total\{plan="shop\/gold",result="quota_exceeded"\} [1-9]/,
        ),
        expect.stringMatching(
          /^portcullis_usage_plan_requests_total\{plan="none",result="invalid_key"\} [1-9]/,
        ),
      ]),
    )
    for (const v of [GOLD, SILVER, OFF, LOOSE, FROM_AUTHORIZER]) expect(text).not.toContain(v)
  })
})
