/**
 * One real `portcullis serve --usage-store redis://...` on a REAL redis-server, saturated by h2load
 * (a separate process: many HTTP/2 connections, each with many gRPC Check calls in flight), every
 * call an `apiKeyRequired` check of one key whose plan's rate, burst and quota are far above what
 * the load can reach. Proves, by counts only: no check is refused (no 429 Too Many Requests, no
 * Limit Exceeded), none is counted per replica (the store is never judged down while it answers),
 * and every check is counted by the plan.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHECK_PATH, encodeCheckRequest, grpcFrame } from '../../bench/grpc-frame.js'
import { startRedis, type RunningRedis } from '../helpers/redis.js'
import { apiKeyManifests } from '../helpers/api-key-manifests.js'
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js'

const HOST = 'saturated.example.com'
const KEY = 'SaturatedKeySaturatedKey00001'
/** 16 connections x 128 streams: the load that gave false 429s before leases followed demand. */
const CLIENTS = 16
const STREAMS = 128
const REQUESTS = 80_000

const CONFIG = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: saturated, namespace: shop}
spec:
  hosts: [${HOST}]
  routes: [{path: /data, methods: [GET], apiKeyRequired: true}]
---
${apiKeyManifests('busy', KEY)}
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: roomy, namespace: shop}
spec:
  apiStages: [{apiName: saturated, stage: prod}]
  throttle: {rateLimit: 1000000, burstLimit: 1000000}
  quota: {limit: 1000000000, period: DAY}
  apiKeys: [busy]
`

let redis: RunningRedis
let dir: string
let serve: ServeProcess | undefined

/** `portcullis_usage_plan_requests_total` of one plan, by result (every result it exposes). */
function planResults(text: string, plan: string): Record<string, number> {
  const out: Record<string, number> = {}
  const re = /^portcullis_usage_plan_requests_total\{(.*)\} (\d+)$/gm
  for (const m of text.matchAll(re)) {
    const labels = m[1] ?? ''
    const result = /result="([^"]*)"/.exec(labels)?.[1]
    if (labels.includes(`plan="${plan}"`) && result !== undefined) out[result] = Number(m[2])
  }
  return out
}

function h2load(dataFile: string, grpcPort: number): Promise<string> {
  const args = [
    ...['-t', '1', '-c', String(CLIENTS), '-m', String(STREAMS), '-n', String(REQUESTS)],
    // Connections open one every 100 ms, as clients arrive: before its first lease answer a cold
    // replica has only one block of credit (1000 units here, the overshoot bound), so a flood of
    // more checks than that on the first turn is refused by design; this test is about a replica
    // in service whose load climbs to saturation.
    ...['--rate', '1', '--rate-period', '100ms'],
    ...['-d', dataFile, '-H', 'content-type: application/grpc', '-H', 'te: trailers'],
    `http://127.0.0.1:${String(grpcPort)}${CHECK_PATH}`,
  ]
  return new Promise((resolve, reject) => {
    const p = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (out += d.toString()))
    p.once('error', (err) => {
      reject(
        new Error(`h2load did not start (scripts/ensure-tools.sh installs it): ${err.message}`),
      )
    })
    p.once('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`h2load exited ${String(code)}:\n${out}`))
    })
  })
}

beforeAll(async () => {
  redis = await startRedis()
  dir = await mkdtemp(join(tmpdir(), 'portcullis-saturated-'))
  await mkdir(join(dir, 'config'))
  await writeFile(join(dir, 'config', 'config.yaml'), CONFIG)
  await writeFile(
    join(dir, 'check.bin'),
    grpcFrame(encodeCheckRequest({ path: '/data', host: HOST, headers: { 'x-api-key': KEY } })),
  )
  serve = await startServeProcess({
    configDir: join(dir, 'config'),
    args: ['--usage-store', redis.url],
    readyWhen: (text) => text.includes('usage-store: shared'),
  })
}, 60_000)

afterAll(async () => {
  await serve?.stop()
  await redis?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('a saturated replica on Redis, limits far above the load', () => {
  it(`${CLIENTS} connections x ${STREAMS} checks in flight: every check allowed, none counted per replica`, async () => {
    if (serve === undefined) throw new Error('portcullis serve did not start')
    const out = await h2load(join(dir, 'check.bin'), serve.grpcPort)
    const done = Number(/requests: \d+ total, \d+ started, (\d+) done/.exec(out)?.[1] ?? NaN)
    const ok = Number(/status codes: (\d+) 2xx/.exec(out)?.[1] ?? NaN)
    expect(done, out).toBe(REQUESTS)
    expect(ok, out).toBe(REQUESTS)
    const text = await serve.metrics()
    const results = planResults(text, 'shop/roomy')
    const fallback = /^portcullis_usage_store_fallback_requests_total (\d+)$/m.exec(text)?.[1]
    console.info(
      `saturated (${CLIENTS}x${STREAMS} in flight): ${REQUESTS} checks, by result ` +
        `${JSON.stringify(results)}, counted per replica ${String(fallback)}`,
    )
    // Every check is counted once under its result: all of them allowed means no 429 of either
    // kind (Too Many Requests, Limit Exceeded).
    expect(Object.values(results).reduce((x, y) => x + y, 0)).toBe(REQUESTS)
    expect(results, 'checks refused while every limit is far above the load').toEqual({
      allowed: REQUESTS,
    })
    expect(fallback, 'checks counted per replica (store judged down)').toBe('0')
    expect(text).toMatch(/^portcullis_usage_store_shared 1$/m)
  }, 180_000)
})
