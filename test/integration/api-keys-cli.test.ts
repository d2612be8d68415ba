/**
 * `portcullis check` (in process) on the quick start's apiKeyRequired method: 403 without a key,
 * allowed with the example key, the key id upstream, and the usage read-out in `--json` — never
 * the key value.
 */
import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateCommand } from '../../src/cli/validate.js'
import { runCheck } from '../helpers/cli.js'

const KEY = 'PartnerAExampleKey0000000000001'
const BASE = [
  '--config',
  'examples/quickstart',
  '--method',
  'POST',
  '--url',
  'http://petstore.example.com/pets',
]

describe('portcullis check on an apiKeyRequired method', () => {
  it('denies without a key: 403 Forbidden, ForbiddenException, exit 1', async () => {
    const r = await runCheck([...BASE, '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out)).toMatchObject({
      decision: 'deny',
      code: 'ERR_API_KEY_MISSING',
      httpStatus: 403,
      headers: { 'x-amzn-errortype': 'ForbiddenException' },
      body: '{"message":"Forbidden"}',
    })
  })

  it('allows with the key and prints the usage read-out of its plan, by key id only', async () => {
    const r = await runCheck([...BASE, '-H', `x-api-key: ${KEY}`, '--json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.out) as Record<string, unknown>
    expect(json).toMatchObject({
      decision: 'allow',
      upstreamHeaders: { 'x-portcullis-api-key-id': 'shop/partner-a' },
      usage: {
        plan: 'shop/gold',
        key: 'shop/partner-a',
        customerId: 'acme',
        used: 1,
        remaining: 999,
        period: 'DAY',
      },
    })
    expect(r.out).not.toContain(KEY)
  })

  it('explains a wrong key without echoing it', async () => {
    const wrong = 'NotTheKeyNotTheKeyNotTheKey0001'
    const r = await runCheck([...BASE, '-H', `x-api-key: ${wrong}`])
    expect(r.code).toBe(1)
    expect(r.out).toContain('DENY 403 (ERR_API_KEY_INVALID)')
    expect(r.out).toContain('API key (x-api-key): not a known key')
    expect(r.out).not.toContain(wrong)
  })
})

describe('portcullis validate on ApiKeys and UsagePlans', () => {
  it('reports a short key value (without printing it) and a key in two plans of one stage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-keys-'))
    try {
      await writeFile(
        join(dir, 'keys.yaml'),
        `apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.example.com]
  routes: [{path: /x, methods: [GET], apiKeyRequired: true}]
---
apiVersion: v1
kind: Secret
metadata: {name: k, namespace: shop}
stringData: {short: tooShort1, good: GoodKeyGoodKeyGoodKey0001}
---
apiVersion: portcullis.dev/v1alpha1
kind: ApiKey
metadata: {name: short, namespace: shop}
spec: {valueFrom: {secretKeyRef: {name: k, key: short}}}
---
apiVersion: portcullis.dev/v1alpha1
kind: ApiKey
metadata: {name: good, namespace: shop}
spec: {valueFrom: {secretKeyRef: {name: k, key: good}}}
---
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: a, namespace: shop}
spec: {apiStages: [{apiName: api, stage: prod}], apiKeys: [good]}
---
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: b, namespace: shop}
spec: {apiStages: [{apiName: api, stage: prod}], apiKeys: [good]}
`,
      )
      let out = ''
      const code = await validateCommand(
        [dir],
        (s) => (out += `${s}\n`),
        () => undefined,
      )
      expect(code).toBe(1)
      expect(out).toContain(
        "ApiKey/shop/short: spec.valueFrom.secretKeyRef: the value in Secret shop/k key 'short' must be 20–128 alphanumeric characters",
      )
      expect(out).toContain(
        'UsagePlan/shop/b: spec.apiKeys[0]: ApiKey shop/good is already in UsagePlan shop/a for RestApi shop/api',
      )
      expect(out).not.toContain('tooShort1')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
