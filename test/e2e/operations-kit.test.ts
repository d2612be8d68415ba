/**
 * The chart's operations kit against a REAL Prometheus (Debian's package) scraping the real app
 * under load: the quick start configuration with a loopback custom (TOKEN) authorizer and a
 * loopback OIDC issuer, traffic that allows, denies, hits and misses both caches, makes the
 * authorizer fail, verifies tokens, and an invalid object in the watched folder. Proves that
 * - every query of charts/portcullis/dashboards/portcullis.json (the file the ConfigMap ships),
 *   with Grafana's variables set to "All", returns data: no empty panel;
 * - the panels show what their titles say (the invalid Policy is counted not Ready, cache hit
 *   ratios are between 0 and 1, the failing authorizer has an error ratio above 0);
 * - the PrometheusRule rendered by `helm template` loads into Prometheus, every rule evaluates
 *   without error, and PortcullisConfigReloadFailing fires for the invalid object.
 * Prometheus or helm missing = FAIL, never skip.
 */
import { readFileSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { renderChart } from '../helpers/helm.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { LoopbackIssuer, petstoreAccessClaims } from '../helpers/jwt-loopback-issuer.js'
import { startAuthorizerPeer, type AuthorizerPeer } from '../helpers/lambda-authorizer-peer.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'
import { startPrometheus, type PromSample, type RunningPrometheus } from '../helpers/prometheus.js'

const ROOT = resolve(import.meta.dirname, '../..')
const QUICKSTART = join(ROOT, 'examples/quickstart')
const DASHBOARD = join(ROOT, 'charts/portcullis/dashboards/portcullis.json')
const HOST = 'petstore.example.com'

interface Panel {
  readonly type: string
  readonly title: string
  readonly datasource?: { uid: string }
  readonly targets?: { expr: string; datasource?: { uid: string } }[]
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }
const panels = dashboard.panels.filter((p) => p.type !== 'row')

/** Grafana's variables as the dashboard's defaults ("All") would set them, for a plain Prometheus. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$job', 'portcullis')
    .replaceAll('$instance', '.*')
    .replaceAll('$__rate_interval', '20s')
}

let dir: string
let app: RunningApp
let client: OfficialCheckClient
let authorizer: AuthorizerPeer
let prom: RunningPrometheus
const oidc = new LoopbackIssuer({ discovery: true })
let loading = true
let load: Promise<void> = Promise.resolve()

function allowPolicy(event: Record<string, unknown>, effect: string): Record<string, unknown> {
  return {
    principalId: 'user-123',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event['methodArn'] }],
    },
  }
}

/** One round of every kind of request the dashboard has a panel for. */
async function round(i: number, goodToken: string): Promise<void> {
  const checks: object[] = [
    buildCheckRequest({ path: `/pets/${i}`, host: HOST, sourceIp: '203.0.113.5' }),
    buildCheckRequest({ path: '/pets', host: HOST }),
    buildCheckRequest({ path: `/nowhere/${i}`, host: HOST }),
    buildCheckRequest({ path: '/admin/users', host: HOST, sourceIp: '203.0.113.5' }),
    buildCheckRequest({ path: '/pets', host: 'unknown.example' }),
    // CUSTOM: a repeated token (decision cache hits), a new one (miss), deny, failure, 401.
    buildCheckRequest({ path: '/orders', host: HOST, headers: { authorization: 'Bearer allow' } }),
    buildCheckRequest({
      path: '/orders',
      host: HOST,
      headers: { authorization: `Bearer allow-${i}` },
    }),
    buildCheckRequest({ path: '/orders', host: HOST, headers: { authorization: 'Bearer deny' } }),
    buildCheckRequest({
      path: '/orders',
      host: HOST,
      headers: { authorization: `Bearer broken-${i}` },
    }),
    buildCheckRequest({
      path: '/orders',
      host: HOST,
      headers: { authorization: `Bearer nobody-${i}` },
    }),
    // JWT: the same token again and again (token cache hits), a bad one (worked out, 401).
    buildCheckRequest({
      path: '/me',
      host: HOST,
      headers: { authorization: `Bearer ${goodToken}` },
    }),
    buildCheckRequest({ path: '/me', host: HOST, headers: { authorization: 'Bearer not.a.jwt' } }),
  ]
  await Promise.all(checks.map((c) => client.check(c)))
}

beforeAll(async () => {
  authorizer = await startAuthorizerPeer((event) => {
    const token = String(event['authorizationToken'])
    if (token.startsWith('Bearer allow')) return { body: allowPolicy(event, 'Allow') }
    if (token.startsWith('Bearer deny')) return { body: allowPolicy(event, 'Deny') }
    if (token.startsWith('Bearer broken')) return { status: 500, body: { oops: true } }
    return { status: 401, body: { message: 'Unauthorized' } }
  })
  await oidc.start()
  await oidc.addKey('RS256', 'k1')
  dir = await mkdtemp(join(tmpdir(), 'portcullis-e2e-opskit-'))
  await cp(QUICKSTART, dir, { recursive: true })
  const identities = join(dir, 'identities.yaml')
  const text = await readFile(identities, 'utf8')
  if (!text.includes('http://127.0.0.1:9101/')) throw new Error('quick start authorizerUri moved')
  if (!text.includes('issuer: "http://127.0.0.1:9102"')) throw new Error('quick start issuer moved')
  await writeFile(
    identities,
    text
      .replace('http://127.0.0.1:9101/', authorizer.url)
      .replace('issuer: "http://127.0.0.1:9102"', `issuer: "${oidc.issuer}"`),
  )
  app = await startApp({ ...loopbackAppOptions(), configDir: dir })
  client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)

  const rule = renderChart([
    '--set',
    'prometheusRule.enabled=true',
    '--set',
    'prometheusRule.renderMode=always',
  ]).find((d) => d['kind'] === 'PrometheusRule')
  if (rule === undefined) throw new Error('the chart rendered no PrometheusRule')
  const rulesFile = `${dir}-rules.yml`
  await writeFile(rulesFile, stringify(rule['spec']))
  prom = await startPrometheus({
    targets: [`127.0.0.1:${app.metricsPort}`],
    ruleFiles: [rulesFile],
  })

  // Scraped once before the failure, as a long-running Prometheus would have: increase() needs
  // a sample before it.
  await eventually('portcullis_config_reloads_total{result="failure"}', (s) => s.length === 1)
  // An object the compile rejects: counted as a failed reload and as not Ready.
  await writeFile(
    join(dir, 'broken.yaml'),
    [
      'apiVersion: portcullis.dev/v1alpha1',
      'kind: Policy',
      'metadata: {name: broken, namespace: shop}',
      'spec:',
      '  policyDocument: {Version: "2012-10-17", Statement: [{Effect: Maybe, Action: "*", Resource: "*"}]}',
      '',
    ].join('\n'),
  )

  const goodToken = await oidc.sign(
    petstoreAccessClaims({ exp: Math.floor(Date.now() / 1000) + 3600 }),
  )
  load = (async () => {
    for (let i = 0; loading; i++) {
      await round(i, goodToken)
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
}, 60_000)

afterAll(async () => {
  loading = false
  await load.catch(() => undefined)
  client?.close()
  await Promise.allSettled([prom?.stop(), app?.close(), authorizer?.close(), oidc.stop()])
  if (dir) {
    await rm(dir, { recursive: true, force: true })
    await rm(`${dir}-rules.yml`, { force: true })
  }
})

/** Polls an instant query until `accept` holds; fails with the last answer at the deadline. */
async function eventually(
  promql: string,
  accept: (samples: PromSample[]) => boolean,
  timeoutMs = 45_000,
): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const last = await prom.query(promql)
    if (accept(last)) return last
    if (Date.now() > deadline) {
      throw new Error(
        `no acceptable answer for ${promql}: ${JSON.stringify(last)}\ntargets: ${JSON.stringify(await prom.targets())}\n${prom.stderr()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

const hasData = (s: PromSample[]): boolean => s.some((x) => Number.isFinite(x.value))

describe('Grafana dashboard (charts/portcullis/dashboards/portcullis.json)', () => {
  it('has panels, each with at least one query, all on the datasource variable', () => {
    expect(panels.length).toBeGreaterThanOrEqual(15)
    for (const p of panels) {
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0)
      expect(p.datasource?.uid, p.title).toBe('${datasource}')
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, p.title).toBe('${datasource}')
        expect(t.expr, p.title).toMatch(/job=~"\$job"/)
      }
    }
  })

  for (const p of panels) {
    for (const [n, t] of (p.targets ?? []).entries()) {
      it(`panel "${p.title}" query ${n + 1} returns data under load`, async () => {
        await eventually(substitute(t.expr), hasData)
      }, 60_000)
    }
  }

  it('the panels show what they claim: the invalid Policy is not Ready, cache hit ratios and the failing authorizer are measured', async () => {
    const notReady = await eventually(
      'max by (kind) (portcullis_config_objects_not_ready{job=~"portcullis"})',
      (s) => s.some((x) => x.metric['kind'] === 'Policy' && x.value === 1),
    )
    expect(notReady.filter((x) => x.metric['kind'] !== 'Policy').map((x) => x.value)).not.toContain(
      1,
    )
    const byTitle = (title: string): string => {
      const expr = panels.find((p) => p.title === title)?.targets?.[0]?.expr
      if (expr === undefined) throw new Error(`no panel "${title}"`)
      return substitute(expr)
    }
    const within = (s: PromSample[]): boolean => s.some((x) => x.value > 0 && x.value < 1)
    await eventually(byTitle('Decision cache hit ratio'), within)
    const token = await eventually(byTitle('Token cache hit ratio'), within)
    expect(token.map((x) => x.metric['authorizer'])).toEqual(['shop/oidc'])
    const errors = await eventually(byTitle('Authorizer error ratio'), (s) =>
      s.some((x) => x.metric['authorizer'] === 'shop/token-auth' && x.value > 0),
    )
    expect(errors.every((x) => x.value < 1)).toBe(true)
    await eventually(byTitle('Issuer document fetches (1h)'), (s) =>
      s.some((x) => x.metric['outcome'] === 'success' && x.metric['document'] === 'jwks'),
    )
  }, 60_000)
})

describe('PrometheusRule (rendered by helm template) in the same Prometheus', () => {
  it('every alert rule evaluates without error, and PortcullisConfigReloadFailing fires for the invalid object', async () => {
    const deadline = Date.now() + 45_000
    for (;;) {
      const rules = await prom.alertRules()
      const evaluated = rules.length === 8 && rules.every((r) => r.health !== 'unknown')
      const reload = rules.find((r) => r.name === 'PortcullisConfigReloadFailing')
      if (evaluated && reload?.state === 'firing') {
        for (const r of rules) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok')
        expect(reload.alerts[0]?.labels).toMatchObject({ job: 'portcullis', severity: 'warning' })
        // Pending: the object has not been rejected for 10 minutes yet.
        expect(rules.find((r) => r.name === 'PortcullisObjectsNotReady')?.state).toBe('pending')
        break
      }
      if (Date.now() > deadline) throw new Error(`rules never evaluated: ${JSON.stringify(rules)}`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }, 60_000)
})
