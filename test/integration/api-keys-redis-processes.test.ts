/**
 * Two real Portcullis processes (`portcullis serve --usage-store redis://...`) sharing one REAL
 * redis-server: a quota of N is enforced across both through the gRPC servers (the measured
 * overshoot is printed); with Redis killed mid-run every check still answers within Envoy's
 * deadline, no unknown or disabled key is ever allowed, counting goes on per replica (metric and
 * /readyz say so), and both go back to shared counting when Redis is restarted. Redis has a
 * password, which never appears in the logs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer } from '../helpers/portcullis-app.js'
import { freePort } from '../helpers/nginx.js'
import { startRedis, type RunningRedis } from '../helpers/redis.js'
import { stopChild } from '../helpers/stop-child.js'
import { quotaBlock } from '../../src/usage/leases.js'

const HOST = 'metered.example.com'
const N = 20
const PASSWORD = 'shared-store-password-1'
const GOLD = 'GoldKeyGoldKeyGoldKey00000001'
const SILVER = 'SilverKeySilverKeySilver00002'
const OFF = 'DisabledKeyDisabledKey0000003'

const key = (name: string, value: string, enabled = true) => `
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: shop}
stringData: {value: ${value}}
---
apiVersion: portcullis.dev/v1alpha1
kind: ApiKey
metadata: {name: ${name}, namespace: shop}
spec: {valueFrom: {secretKeyRef: {name: ${name}, key: value}}, enabled: ${enabled}}
---`

const CONFIG = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: metered, namespace: shop}
spec:
  hosts: [${HOST}]
  routes: [{path: /data, methods: [GET], apiKeyRequired: true}]
---
${key('gold', GOLD)}
${key('silver', SILVER)}
${key('off', OFF, false)}
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: small, namespace: shop}
spec:
  apiStages: [{apiName: metered, stage: prod}]
  quota: {limit: ${N}, period: DAY}
  apiKeys: [gold, off]
---
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: large, namespace: shop}
spec:
  apiStages: [{apiName: metered, stage: prod}]
  quota: {limit: 100000, period: DAY}
  apiKeys: [silver]
`

interface Replica {
  readonly child: ChildProcess
  readonly client: OfficialCheckClient
  readonly metricsPort: number
  log: string
}

let redis: RunningRedis
let dir: string
const replicas: Replica[] = []

async function startReplica(): Promise<Replica> {
  const [grpc, http, metrics] = [await freePort(), await freePort(), await freePort()]
  const child = spawn(
    process.execPath,
    [
      'bin/portcullis.js',
      'serve',
      '--config',
      dir,
      '--bind-address',
      '127.0.0.1',
      '--grpc-port',
      String(grpc),
      '--http-port',
      String(http),
      '--metrics-port',
      String(metrics),
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, PORTCULLIS_USAGE_STORE: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const r: Replica = {
    child,
    client: createOfficialCheckClient(`127.0.0.1:${grpc}`),
    metricsPort: metrics,
    log: '',
  }
  child.stdout?.on('data', (d: Buffer) => (r.log += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (r.log += d.toString()))
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`portcullis exited: ${r.log}`)
    const ready = await readyz(r).catch(() => '')
    if (ready.startsWith('ready')) return r
    await new Promise((res) => setTimeout(res, 50))
  }
  throw new Error(`portcullis did not become ready: ${r.log}`)
}

async function readyz(r: Replica): Promise<string> {
  return (await fetch(`http://127.0.0.1:${r.metricsPort}/readyz`)).text()
}

/** One check with Envoy's deadline: a check that waited on Redis would reject here. */
async function check(r: Replica, apiKey: string): Promise<number> {
  const res = await r.client.check(
    buildCheckRequest({ path: '/data', host: HOST, headers: { 'x-api-key': apiKey } }),
    1000,
  )
  return answer(res).http
}

async function waitFor(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await cond()) return
    await new Promise((res) => setTimeout(res, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD })
  dir = await mkdtemp(join(tmpdir(), 'portcullis-shared-'))
  await writeFile(join(dir, 'config.yaml'), CONFIG)
  replicas.push(await startReplica(), await startReplica())
}, 60_000)

afterAll(async () => {
  for (const r of replicas) {
    r.client.close()
    await stopChild(r.child, 3000)
  }
  await redis?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('two Portcullis processes sharing Redis', () => {
  it('enforce one quota of N across both replicas (overshoot within one block per replica)', async () => {
    const [a, b] = replicas as [Replica, Replica]
    expect(await readyz(a)).toContain('usage-store: shared')
    let allowed = 0
    let limited = 0
    for (let i = 0; i < 3 * N; i++) {
      for (const r of [a, b]) {
        const status = await check(r, GOLD)
        if (status === 200) allowed++
        else if (status === 429) limited++
        else throw new Error(`unexpected ${status}`)
      }
    }
    const bound = 2 * quotaBlock(N)
    console.info(
      `two processes, quota N=${N}: allowed ${allowed}, overshoot ${allowed - N} (bound ${bound})`,
    )
    expect(allowed).toBeLessThanOrEqual(N + bound)
    expect(allowed).toBeGreaterThanOrEqual(N - 2 * Math.ceil(1.5 * quotaBlock(N)))
    expect(limited).toBe(6 * N - allowed)
  })

  it('with Redis killed: every check answers in time, invalid and disabled keys stay refused, counting goes on per replica; shared again after a restart', async () => {
    await redis.kill()
    for (let i = 0; i < 20; i++) {
      for (const r of replicas) {
        expect(await check(r, SILVER)).toBe(200)
        expect(await check(r, OFF)).toBe(403)
        expect(await check(r, 'UnknownUnknownUnknown000000')).toBe(403)
      }
    }
    for (const r of replicas) {
      await waitFor(
        async () => (await readyz(r)).includes('usage-store: fallback'),
        'fallback in /readyz',
      )
      const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text()
      expect(text).toMatch(/^portcullis_usage_store_fallback_requests_total [1-9]/m)
      expect(text).toMatch(/^portcullis_usage_store_shared 0$/m)
    }
    await redis.restart()
    for (const r of replicas) {
      await waitFor(async () => (await readyz(r)).includes('usage-store: shared'), 'shared again')
      expect(await check(r, SILVER)).toBe(200)
    }
    // The logs name the store (they did above: fallback, recovery) but never its password.
    for (const r of replicas) {
      expect(r.log).toContain('usage store')
      expect(r.log).not.toContain(PASSWORD)
    }
  })
})
