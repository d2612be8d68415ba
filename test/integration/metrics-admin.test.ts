/**
 * The admin server and metrics, scraped for real: /healthz, /readyz 503→200, /metrics parsed after
 * real gRPC and HTTP checks went through, label hygiene (no path/principal/token in any label), and
 * `promtool check metrics` (Prometheus's own linter) on the scrape. promtool missing = FAIL.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Metrics } from '../../src/observability/metrics.js'
import { startAdminServer, type RunningAdminServer } from '../../src/servers/admin-http.js'
import { startGrpcServer, type RunningGrpcServer } from '../../src/servers/ext-authz-grpc.js'
import { startHttpAuthServer, type RunningHttpServer } from '../../src/servers/ext-authz-http.js'
import { buildCheckRequest, createOfficialCheckClient } from '../helpers/envoy-client.js'
import { allowOutcome, denyOutcome, RecordingChecker } from '../helpers/recording-checker.js'

const PROMTOOL = '/usr/bin/promtool'

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks).toString(),
        })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}
/** Minimal Prometheus text-format parser (what a scraper reads). */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ')
      types.set(name!, type!)
      continue
    }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`unparseable metrics line: ${line}`)
    const labels: Record<string, string> = {}
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[lm[1]!] = lm[2]!
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return { types, samples }
}

const checker = new RecordingChecker()
const metrics = new Metrics()
let admin: RunningAdminServer
let grpcServer: RunningGrpcServer
let httpServer: RunningHttpServer

beforeAll(async () => {
  checker.isReady = false
  admin = await startAdminServer({
    port: 0,
    host: '127.0.0.1',
    ready: () => checker.ready(),
    metrics,
  })
  grpcServer = await startGrpcServer({ checker, port: 0, host: '127.0.0.1', metrics })
  httpServer = await startHttpAuthServer({ checker, port: 0, host: '127.0.0.1', metrics })
})
afterAll(async () => {
  await Promise.all([admin.close(), grpcServer.close(), httpServer.close()])
})

describe('health endpoints', () => {
  it('/healthz is 200 while serving; /readyz is 503 until the checker is ready, then 200', async () => {
    expect((await get(admin.port, '/healthz')).status).toBe(200)
    expect((await get(admin.port, '/readyz')).status).toBe(503)
    checker.isReady = true
    expect((await get(admin.port, '/readyz')).status).toBe(200)
    expect((await get(admin.port, '/readyz?verbose')).status).toBe(200)
  })
  it('unknown paths are 404, other methods 405', async () => {
    expect((await get(admin.port, '/nope')).status).toBe(404)
    expect((await get(admin.port, '/metrics', 'POST')).status).toBe(405)
  })
})

describe('/metrics after real checks', () => {
  let text: string
  beforeAll(async () => {
    const client = createOfficialCheckClient(`127.0.0.1:${grpcServer.port}`)
    try {
      checker.next = allowOutcome()
      await client.check(buildCheckRequest({ path: '/secret/path/alice' }))
      await client.check(buildCheckRequest({ path: '/secret/path/alice' }))
      checker.next = denyOutcome()
      await client.check(buildCheckRequest({ headers: { authorization: 'Bearer eyJtoken' } }))
      await client.check({}) // malformed → boundary deny
      checker.next = allowOutcome({
        api: 'Not A Valid/api label!',
        code: 'lower-case code with spaces',
      })
      await client.check(buildCheckRequest())
    } finally {
      client.close()
    }
    checker.next = denyOutcome({ httpStatus: 403, grpcCode: 7, code: 'ERR_POLICY_EXPLICIT_DENY' })
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: httpServer.port, path: '/x' }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
        .on('error', reject)
        .end()
    })
    metrics.cacheRequest('hit')
    metrics.cacheRequest('miss')
    metrics.authorizerCall('shop/token-auth', 'allow', 0.012)
    metrics.authorizerCall('shop/token-auth', 'timeout', 3)
    metrics.configReload('success')
    metrics.configReload('failure')
    metrics.setConfigObjects('RestApi', 3)
    metrics.jwksFetch(
      'https://cognito-idp.us-east-1.amazonaws.com/p/.well-known/jwks.json',
      'jwks',
      'success',
    )
    const tokenCounters = metrics.tokenAuthorizerCounters('shop/users')
    tokenCounters.cacheHit.value += 3
    tokenCounters.forbidden.value++
    metrics.signatureCheckCounters().pool.value += 2
    const res = await get(admin.port, '/metrics')
    expect(res.status).toBe(200)
    expect(res.type).toContain('text/plain')
    text = res.body
  })

  it('exposes every documented core metric with its type', () => {
    const { types } = parse(text)
    expect(types.get('portcullis_check_requests_total')).toBe('counter')
    expect(types.get('portcullis_check_duration_seconds')).toBe('histogram')
    expect(types.get('portcullis_decision_cache_requests_total')).toBe('counter')
    expect(types.get('portcullis_authorizer_requests_total')).toBe('counter')
    expect(types.get('portcullis_authorizer_duration_seconds')).toBe('histogram')
    expect(types.get('portcullis_config_reloads_total')).toBe('counter')
    expect(types.get('portcullis_config_objects')).toBe('gauge')
    expect(types.get('portcullis_jwks_fetches_total')).toBe('counter')
    expect(types.get('portcullis_token_cache_hits_total')).toBe('counter')
    expect(types.get('portcullis_jwt_signature_checks_total')).toBe('counter')
    expect(types.get('process_cpu_seconds_total')).toBe('counter')
  })

  it('counts checks by api/decision/code with the documented labels and bucketed latency', () => {
    const { samples } = parse(text)
    const checks = samples.filter((s) => s.name === 'portcullis_check_requests_total')
    const find = (labels: Record<string, string>) =>
      checks.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(find({ api: 'shop/petstore', decision: 'allow', code: 'ALLOW_IAM' })).toBe(2)
    expect(
      find({ api: 'shop/petstore', decision: 'deny', code: 'ERR_AUTHORIZER_UNAUTHORIZED' }),
    ).toBe(1)
    expect(find({ api: 'none', decision: 'deny', code: 'ERR_REQUEST_MALFORMED' })).toBe(1)
    expect(find({ api: 'invalid', decision: 'allow', code: 'OTHER' })).toBe(1)
    expect(find({ api: 'shop/petstore', decision: 'deny', code: 'ERR_POLICY_EXPLICIT_DENY' })).toBe(
      1,
    )
    for (const s of checks) {
      expect(Object.keys(s.labels).sort()).toEqual(['api', 'code', 'decision', 'enforcement'])
      // No API of this configuration is in dry-run: every answer was enforced.
      expect(s.labels.enforcement).toBe('enforce')
    }
    const count = samples.find(
      (s) => s.name === 'portcullis_check_duration_seconds_count' && s.labels.decision === 'allow',
    )
    expect(count?.value).toBe(3)
    const smallest = samples.find(
      (s) => s.name === 'portcullis_check_duration_seconds_bucket' && s.labels.le === '0.00005',
    )
    expect(smallest).toBeDefined()
    expect(
      samples.find(
        (s) => s.name === 'portcullis_authorizer_requests_total' && s.labels.outcome === 'timeout',
      )?.labels.authorizer,
    ).toBe('shop/token-auth')
    expect(samples.find((s) => s.name === 'portcullis_config_objects')?.labels.kind).toBe('RestApi')
    // Token authorizers: hits in their own family, worked-out tokens by outcome, fetches by host.
    const value = (name: string, labels: Record<string, string>) =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value
    expect(value('portcullis_token_cache_hits_total', { authorizer: 'shop/users' })).toBe(3)
    expect(
      value('portcullis_authorizer_requests_total', {
        authorizer: 'shop/users',
        outcome: 'forbidden',
      }),
    ).toBe(1)
    expect(value('portcullis_jwt_signature_checks_total', { where: 'pool' })).toBe(2)
    expect(
      value('portcullis_jwks_fetches_total', {
        host: 'cognito-idp.us-east-1.amazonaws.com',
        document: 'jwks',
        outcome: 'success',
      }),
    ).toBe(1)
  })

  it('no label carries a path, principal or token', () => {
    for (const s of parse(text).samples) {
      for (const v of Object.values(s.labels)) {
        expect(v).not.toMatch(/secret|alice|eyJ|Bearer|arn:aws/)
      }
    }
  })

  it('passes `promtool check metrics`', () => {
    if (!existsSync(PROMTOOL)) {
      throw new Error(
        `${PROMTOOL} missing: install the Debian package "prometheus" (promtool) — this test must not skip`,
      )
    }
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(r.error).toBeUndefined()
    expect(`${r.stdout}${r.stderr}`).toBe('')
    expect(r.status).toBe(0)
  })
})
