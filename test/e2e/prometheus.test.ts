/**
 * End to end with a REAL Prometheus (Debian's package) scraping the real app's `/metrics` on
 * loopback every second: after a known set of checks (gRPC like Envoy, plain HTTP like nginx),
 * Prometheus's HTTP query API reports `portcullis_check_requests_total` equal to exactly the
 * requests made, per decision, per api and per code — and no label carries a path or principal.
 * Prometheus missing = FAIL, never skip.
 */
import { request } from 'node:http'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { startPrometheus, type PromSample, type RunningPrometheus } from '../helpers/prometheus.js'

const QUICKSTART = join(resolve(import.meta.dirname, '../..'), 'examples/quickstart')
const HOST = 'petstore.example.com'
const API = 'shop/petstore'

let t: TestApp
let prom: RunningPrometheus

/** One plain-HTTP check the way nginx's auth_request sends it; resolves to the HTTP status. */
function httpCheck(uri: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.app.httpPort,
        path: '/auth',
        headers: { 'x-original-uri': uri, 'x-original-method': 'GET', 'x-forwarded-host': HOST },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          resolvePromise(res.statusCode ?? 0)
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Polls an instant query until `accept` holds; fails with the last answer at the deadline. */
async function eventually(
  promql: string,
  accept: (samples: PromSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs
  let last: PromSample[] = []
  for (;;) {
    last = await prom.query(promql)
    if (accept(last)) return last
    if (Date.now() > deadline) {
      throw new Error(
        `Prometheus never answered as expected for ${promql}: ${JSON.stringify(last)}\ntargets: ${JSON.stringify(await prom.targets())}\n${prom.stderr()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

function byLabel(samples: PromSample[], label: string): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.metric[label] ?? '', s.value]))
}

beforeAll(async () => {
  t = await startTestApp(QUICKSTART)
  prom = await startPrometheus({ targets: [`127.0.0.1:${t.app.metricsPort}`] })
}, 60_000)

afterAll(async () => {
  await Promise.allSettled([prom?.stop(), t?.stop()])
})

describe('Prometheus scrapes Portcullis /metrics', () => {
  it('the scrape target is up (a real scrape of the text format, not a mock)', async () => {
    await eventually('up{job="portcullis"}', (s) => s.length === 1 && s[0]?.value === 1)
  })

  it('portcullis_check_requests_total matches exactly the checks made (gRPC + HTTP), by decision, api and code', async () => {
    // 5 NONE allows and 3 unknown-route denials over gRPC, 2 resource-policy denials (admin
    // from outside the office network) and 4 allows over plain HTTP, 1 unknown host (no api).
    const grpcAnswers: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await t.client.check(
        buildCheckRequest({ path: `/pets/${i}`, host: HOST, sourceIp: '203.0.113.5' }),
      )
      grpcAnswers.push(answer(res).http)
    }
    for (let i = 0; i < 3; i++) {
      const res = await t.client.check(buildCheckRequest({ path: `/nowhere/${i}`, host: HOST }))
      grpcAnswers.push(answer(res).http)
    }
    const noApi = await t.client.check(buildCheckRequest({ path: '/pets', host: 'other.example' }))
    grpcAnswers.push(answer(noApi).http)
    expect(grpcAnswers).toEqual([200, 200, 200, 200, 200, 403, 403, 403, 403])
    const httpAnswers: number[] = []
    for (let i = 0; i < 2; i++) httpAnswers.push(await httpCheck(`/admin/x${i}`))
    for (let i = 0; i < 4; i++) httpAnswers.push(await httpCheck(`/pets?page=${i}`))
    expect(httpAnswers).toEqual([403, 403, 200, 200, 200, 200])

    const decisions = await eventually(
      'sum by (decision) (portcullis_check_requests_total)',
      (s) => {
        const d = byLabel(s, 'decision')
        return d['allow'] === 9 && d['deny'] === 6
      },
    )
    expect(byLabel(decisions, 'decision')).toEqual({ allow: 9, deny: 6 })

    const perApi = await prom.query('sum by (api, decision) (portcullis_check_requests_total)')
    const apiTable = Object.fromEntries(
      perApi.map((s) => [`${s.metric['api'] ?? ''}/${s.metric['decision'] ?? ''}`, s.value]),
    )
    expect(apiTable[`${API}/allow`]).toBe(9)
    expect(apiTable[`${API}/deny`]).toBe(5)
    // The unknown host has no api: its label is the bounded placeholder, never the host.
    const otherDeny = perApi.filter((s) => s.metric['api'] !== API)
    expect(otherDeny.map((s) => s.value)).toEqual([1])
    expect(JSON.stringify(otherDeny)).not.toContain('other.example')

    const codes = byLabel(
      await prom.query('sum by (code) (portcullis_check_requests_total{decision="deny"})'),
      'code',
    )
    expect(Object.values(codes).reduce((a, b) => a + b, 0)).toBe(6)
    expect(Object.keys(codes).length).toBeGreaterThanOrEqual(3)

    // Every series' labels are bounded: api/decision/code/enforcement plus Prometheus's job/instance.
    const series = await prom.query('portcullis_check_requests_total')
    for (const s of series) {
      expect(Object.keys(s.metric).sort()).toEqual(
        ['__name__', 'api', 'code', 'decision', 'enforcement', 'instance', 'job'].sort(),
      )
      expect(JSON.stringify(s.metric)).not.toMatch(/\/pets\/|\/admin|nowhere|page=|203\.0\.113/)
    }

    // The histogram counts the same checks.
    const durations = await prom.query(
      'sum by (decision) (portcullis_check_duration_seconds_count)',
    )
    expect(byLabel(durations, 'decision')).toEqual({ allow: 9, deny: 6 })
  })
})
