/**
 * API keys and usage plans in Kubernetes mode against a REAL kube-apiserver (+ etcd) on loopback:
 * a Secret, an ApiKey, a UsagePlan and a RestApi with an `apiKeyRequired` route are created through
 * the API server, and Portcullis (with the chart's own ServiceAccount and RBAC, as its pod would
 * run) answers over gRPC with Envoy's official protos: 403 without the key, 200 with it and the
 * key's id upstream, 429 Limit Exceeded after the quota; disabling the key through the API server
 * refuses it after the reload. The objects carry Ready conditions: an ApiKey whose Secret value is
 * not a valid key is Ready=False with the reason (never the value); a plan naming a missing key is
 * Ready (it serves its other keys) and its message names the missing key until it is created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app/app.js'
import { buildCheckRequest, type OfficialCheckClient } from '../helpers/envoy-client.js'
import type { KubeApiServer } from '../helpers/kube-apiserver.js'
import { getIfExists, PORTCULLIS_NS, startKubernetesModeApp } from '../helpers/kubernetes-app.js'
import { answer } from '../helpers/portcullis-app.js'

const CRD_BASE = '/apis/portcullis.dev/v1alpha1/namespaces/shop'
const HOST = 'metered.example.com'
const KEY = 'PartnerKeyPartnerKey00000001'
/** Letters and digits, but too short for an API key: the ApiKey is invalid. */
const SHORT = 'TooShortKey01'
/** Named by the plan before it exists. */
const GHOST = 'GhostKeyGhostKeyGhost0000001'
const QUOTA = 3

let kube: KubeApiServer
let app: RunningApp
let client: OfficialCheckClient
let stop: (() => Promise<void>) | undefined
const logLines: string[] = []

async function create(path: string, body: Record<string, unknown>): Promise<void> {
  await kube.client.request({ method: 'POST', path, body })
}

const secretOf = (name: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'shop' },
  stringData: { value },
})

const apiKeyOf = (name: string) => ({
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'ApiKey',
  metadata: { name, namespace: 'shop' },
  spec: { valueFrom: { secretKeyRef: { name, key: 'value' } }, enabled: true, customerId: 'acme' },
})

const get = (path: string) => getIfExists(kube, path)

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  withinMs = 15_000,
): Promise<T> {
  // The deadline only bounds a broken watch; how fast a change lands is not asserted here.
  const deadline = Date.now() + withinMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function ready(obj: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const status = obj?.['status'] as { conditions?: Record<string, unknown>[] } | undefined
  return status?.conditions?.find((c) => c['type'] === 'Ready')
}

const call = async (apiKey?: string) =>
  answer(
    await client.check(
      buildCheckRequest({
        method: 'GET',
        path: '/data',
        host: HOST,
        headers: apiKey === undefined ? {} : { 'x-api-key': apiKey },
      }),
    ),
  )

beforeAll(async () => {
  ;({ kube, app, client, stop } = await startKubernetesModeApp({
    namespaces: ['shop', PORTCULLIS_NS],
    seed: async (k) => {
      kube = k // create() writes through it
      await create('/api/v1/namespaces/shop/secrets', secretOf('partner', KEY))
      await create('/api/v1/namespaces/shop/secrets', secretOf('short', SHORT))
      await create(`${CRD_BASE}/apikeys`, apiKeyOf('partner'))
      await create(`${CRD_BASE}/apikeys`, apiKeyOf('short'))
      await create(`${CRD_BASE}/usageplans`, {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'UsagePlan',
        metadata: { name: 'gold', namespace: 'shop' },
        spec: {
          apiStages: [{ apiName: 'metered', stage: 'prod' }],
          quota: { limit: QUOTA, period: 'DAY' },
          apiKeys: ['partner', 'ghost'],
        },
      })
      await create(`${CRD_BASE}/restapis`, {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'RestApi',
        metadata: { name: 'metered', namespace: 'shop' },
        spec: {
          stage: 'prod',
          hosts: [HOST],
          routes: [
            { path: '/data', methods: ['GET'], authorizationType: 'NONE', apiKeyRequired: true },
          ],
        },
      })
    },
    logLines,
  }))
}, 180_000)

afterAll(() => stop?.(), 60_000)

describe('API keys and usage plans in Kubernetes mode (real kube-apiserver)', () => {
  it('the test API server has the ApiKey and UsagePlan CRDs established (applied by the helper)', async () => {
    for (const name of ['apikeys.portcullis.dev', 'usageplans.portcullis.dev']) {
      const crd = await get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)
      const conditions = (crd?.['status'] as { conditions?: Record<string, unknown>[] } | undefined)
        ?.conditions
      expect(conditions?.find((c) => c['type'] === 'Established')?.['status'], name).toBe('True')
    }
  })

  it('403 without the key or with an unknown one, 200 with it (key id upstream), 429 Limit Exceeded after the quota', async () => {
    const none = await call()
    expect(none.http).toBe(403)
    expect(none.body).toEqual({ message: 'Forbidden' })
    expect((await call('UnknownUnknownUnknown0000')).http).toBe(403)
    for (let i = 0; i < QUOTA; i++) {
      const ok = await call(KEY)
      expect(ok.http, `request ${i + 1} of a quota of ${QUOTA}`).toBe(200)
      expect(ok.headers['x-portcullis-api-key-id']).toBe('shop/partner')
    }
    const over = await call(KEY)
    expect(over.http).toBe(429)
    expect(over.body).toEqual({ message: 'Limit Exceeded' })
    expect(over.headers['x-amzn-errortype']).toBe('LimitExceededException')
    // Counted per plan and key (GetUsage's read-out), under ids, never the value.
    const usage = await (await fetch(`http://127.0.0.1:${app.metricsPort}/usage`)).text()
    expect(JSON.parse(usage)).toMatchObject({
      plans: [{ plan: 'shop/gold', keys: [{ key: 'shop/partner', used: QUOTA, remaining: 0 }] }],
    })
    expect(usage).not.toContain(KEY)
  })

  it('Ready conditions: the valid ApiKey and RestApi are Ready=True; an ApiKey whose Secret holds no valid key is Ready=False with the reason (not the value); the plan naming a missing key serves and says so', async () => {
    for (const path of [`${CRD_BASE}/apikeys/partner`, `${CRD_BASE}/restapis/metered`]) {
      await eventually(
        `${path} Ready=True`,
        async () => ready(await get(path))?.['status'] === 'True',
      )
    }
    const short = await eventually('short Ready=False', async () => {
      const c = ready(await get(`${CRD_BASE}/apikeys/short`))
      return c?.['status'] === 'False' ? c : undefined
    })
    expect(short['reason']).toBe('Invalid')
    expect(String(short['message'])).toMatch(/20.128/)
    expect(String(short['message'])).not.toContain(SHORT)
    // The plan serves its other keys, so it is Ready, and its message names the missing one.
    const plan = await eventually('gold has a Ready condition', async () =>
      ready(await get(`${CRD_BASE}/usageplans/gold`)),
    )
    expect(plan['status']).toBe('True')
    expect(String(plan['message'])).toMatch(
      /^served, with warnings: spec\.apiKeys\[1\]: ApiKey shop\/ghost not found/,
    )
    // Once the key exists the warning goes (and the key is admitted).
    await create('/api/v1/namespaces/shop/secrets', secretOf('ghost', GHOST))
    await create(`${CRD_BASE}/apikeys`, apiKeyOf('ghost'))
    await eventually(
      'gold valid and served',
      async () =>
        ready(await get(`${CRD_BASE}/usageplans/gold`))?.['message'] === 'valid and served',
    )
    await eventually('ghost key admitted', async () => (await call(GHOST)).http === 200)
    for (const value of [KEY, SHORT, GHOST]) expect(logLines.join('')).not.toContain(value)
  })

  it('disabling the key through the API server refuses it (403 Forbidden) after the reload', async () => {
    await kube.client.request({
      method: 'PATCH',
      path: `${CRD_BASE}/apikeys/partner`,
      body: { spec: { enabled: false } },
      contentType: 'application/merge-patch+json',
    })
    const refused = await eventually('disabled key refused', async () => {
      const a = await call(KEY)
      return a.http === 403 ? a : undefined
    })
    expect(refused.body).toEqual({ message: 'Forbidden' })
    expect(refused.headers['x-amzn-errortype']).toBe('ForbiddenException')
    await eventually(
      'partner still Ready=True (disabled is valid)',
      async () => ready(await get(`${CRD_BASE}/apikeys/partner`))?.['status'] === 'True',
    )
  })
})
