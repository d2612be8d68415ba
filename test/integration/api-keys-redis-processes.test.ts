/**
 * Two real Portcullis processes (`portcullis serve --usage-store redis://...`) sharing one REAL
 * redis-server: a quota of N is enforced across both through the gRPC servers, with sequential
 * requests and with many checks in flight on each replica at once (the measured overshoot is
 * printed); under concurrent load a shared token bucket holds within its stated bound; with Redis killed mid-run every check still answers within Envoy's
 * deadline, no unknown or disabled key is ever allowed, counting goes on per replica (metric and
 * /readyz say so), and both go back to shared counting when Redis is restarted. Redis has a
 * password, which never appears in the logs.
 */
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
import { startRedis, type RunningRedis } from '../helpers/redis.js'
import { apiKeyManifests } from '../helpers/api-key-manifests.js'
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js'
import { quotaBlock, quotaLeaseCap, rateBlock } from '../../src/usage/leases.js'

const HOST = 'metered.example.com'
const N = 20
const PASSWORD = 'shared-store-password-1'
const GOLD = 'GoldKeyGoldKeyGoldKey00000001'
const SILVER = 'SilverKeySilverKeySilver00002'
const OFF = 'DisabledKeyDisabledKey0000003'
/** Concurrent quota: a limit large enough for blocks of several units (quotaBlock(1000) = 10). */
const CROWD_N = 1000
const CROWD = 'CrowdKeyCrowdKeyCrowdKey00004'
/** Concurrent throttle: a block of 5 tokens (50 ms at 100/s); no refill-free shortcut. */
const RATE = { rateLimit: 100, burstLimit: 50 }
const RUSH = 'RushKeyRushKeyRushKeyRush0005'
/** Checks in flight at once on each replica. */
const IN_FLIGHT = 16

const CONFIG = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: metered, namespace: shop}
spec:
  hosts: [${HOST}]
  routes: [{path: /data, methods: [GET], apiKeyRequired: true}]
---
${apiKeyManifests('gold', GOLD)}
${apiKeyManifests('silver', SILVER)}
${apiKeyManifests('off', OFF, { enabled: false })}
${apiKeyManifests('crowd', CROWD)}
${apiKeyManifests('rush', RUSH)}
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: crowded, namespace: shop}
spec:
  apiStages: [{apiName: metered, stage: prod}]
  quota: {limit: ${CROWD_N}, period: DAY}
  apiKeys: [crowd]
---
apiVersion: portcullis.dev/v1alpha1
kind: UsagePlan
metadata: {name: rushed, namespace: shop}
spec:
  apiStages: [{apiName: metered, stage: prod}]
  throttle: {rateLimit: ${RATE.rateLimit}, burstLimit: ${RATE.burstLimit}}
  apiKeys: [rush]
---
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
  readonly serve: ServeProcess
  readonly client: OfficialCheckClient
}

let redis: RunningRedis
let dir: string
const replicas: Replica[] = []

async function startReplica(): Promise<Replica> {
  const serve = await startServeProcess({
    configDir: dir,
    env: { PORTCULLIS_USAGE_STORE: redis.url },
  })
  return { serve, client: createOfficialCheckClient(`127.0.0.1:${serve.grpcPort}`) }
}

/** One check with Envoy's deadline: a check that waited on Redis would reject here. */
async function check(r: Replica, apiKey: string): Promise<number> {
  const res = await r.client.check(
    buildCheckRequest({ path: '/data', host: HOST, headers: { 'x-api-key': apiKey } }),
    1000,
  )
  return answer(res).http
}

type Answer = 'allowed' | 'throttled' | 'quota_exceeded'

/** IN_FLIGHT checks sent at once to each replica; the answers per replica, in AWS's terms. */
async function wave(apiKey: string): Promise<Answer[][]> {
  return Promise.all(
    replicas.map((r) =>
      Promise.all(
        Array.from({ length: IN_FLIGHT }, async (): Promise<Answer> => {
          const a = answer(
            await r.client.check(
              buildCheckRequest({ path: '/data', host: HOST, headers: { 'x-api-key': apiKey } }),
              5000,
            ),
          )
          if (a.http === 200) return 'allowed'
          const message = (a.body as { message?: string } | undefined)?.message
          if (a.http === 429 && message === 'Too Many Requests') return 'throttled'
          if (a.http === 429 && message === 'Limit Exceeded') return 'quota_exceeded'
          throw new Error(`unexpected answer ${a.http} ${JSON.stringify(a.body)}`)
        }),
      ),
    ),
  )
}

/** The stated bounds hold while counting is shared: a replica that fell back has its own limits. */
async function expectNoFallback(): Promise<void> {
  for (const r of replicas) {
    const text = await r.serve.metrics()
    expect(text, 'a replica fell back to per-replica counting').toMatch(
      /^portcullis_usage_store_fallback_requests_total 0$/m,
    )
  }
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
    await r.serve.stop()
  }
  await redis?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('two Portcullis processes sharing Redis', () => {
  it('enforce one quota of N across both replicas (overshoot within one block per replica)', async () => {
    const [a, b] = replicas as [Replica, Replica]
    expect(await a.serve.readyz()).toContain('usage-store: shared')
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
    expect(allowed).toBeGreaterThanOrEqual(N - 2 * Math.ceil(1.5 * quotaLeaseCap(N)))
    expect(limited).toBe(6 * N - allowed)
  })

  it('enforce one quota of N across both replicas under concurrent load: N - 1.5 leases per replica <= allowed <= N + one block per replica', async () => {
    // Keep both replicas busy with IN_FLIGHT checks each until every check of a wave on both
    // answers Limit Exceeded: by then each replica has spent or returned its leases, so the count
    // is the whole story (no wall clock involved, only a cap on the number of waves).
    let allowed = 0
    let throttled = 0
    let waves = 0
    for (; waves < 2000; waves++) {
      const answers = await wave(CROWD)
      const flat = answers.flat()
      allowed += flat.filter((a) => a === 'allowed').length
      throttled += flat.filter((a) => a === 'throttled').length
      if (flat.every((a) => a === 'quota_exceeded')) break
    }
    expect(waves, 'the quota was never used up on both replicas').toBeLessThan(2000)
    const block = quotaBlock(CROWD_N)
    console.info(
      `two processes, ${IN_FLIGHT} checks in flight on each, quota N=${CROWD_N}: allowed ${allowed}, ` +
        `overshoot ${allowed - CROWD_N} (bound ${2 * block}), ${throttled} answered 429 Too Many ` +
        `Requests while a lease was in flight, ${waves + 1} waves`,
    )
    await expectNoFallback()
    expect(allowed).toBeLessThanOrEqual(CROWD_N + 2 * block)
    expect(allowed).toBeGreaterThanOrEqual(CROWD_N - 2 * Math.ceil(1.5 * quotaLeaseCap(CROWD_N)))
  })

  it('share one token bucket under concurrent load: allowed <= burst + rate x elapsed + one block per replica', async () => {
    // Send waves until the key has had its burst and 50 refilled tokens more. Whatever the
    // machine's speed, every allowed check was answered between t0 and t1, so the shared bucket
    // cannot have granted more than burst + rate x (t1 - t0), plus the credit each replica may
    // spend before its lease answer arrives. A slow machine only widens the window (never flaky);
    // per-replica buckets would let twice the burst through in the first few waves and fail.
    const target = RATE.burstLimit + 50
    let allowed = 0
    let waves = 0
    const t0 = performance.now()
    for (; waves < 5000 && allowed < target; waves++) {
      allowed += (await wave(RUSH)).flat().filter((a) => a === 'allowed').length
    }
    const elapsedS = (performance.now() - t0) / 1000
    expect(allowed, 'the shared bucket stopped granting tokens').toBeGreaterThanOrEqual(target)
    const block = rateBlock(RATE.rateLimit, RATE.burstLimit)
    const bound = RATE.burstLimit + RATE.rateLimit * elapsedS + 2 * block
    console.info(
      `two processes, ${IN_FLIGHT} checks in flight on each, rate ${RATE.rateLimit}/s burst ` +
        `${RATE.burstLimit}: allowed ${allowed} in ${elapsedS.toFixed(2)} s (bound ${bound.toFixed(1)}), ` +
        `${waves} waves`,
    )
    await expectNoFallback()
    expect(allowed).toBeLessThanOrEqual(bound)
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
        async () => (await r.serve.readyz()).includes('usage-store: fallback'),
        'fallback in /readyz',
      )
      const text = await r.serve.metrics()
      expect(text).toMatch(/^portcullis_usage_store_fallback_requests_total [1-9]/m)
      expect(text).toMatch(/^portcullis_usage_store_shared 0$/m)
    }
    await redis.restart()
    for (const r of replicas) {
      await waitFor(
        async () => (await r.serve.readyz()).includes('usage-store: shared'),
        'shared again',
      )
      expect(await check(r, SILVER)).toBe(200)
    }
    // The logs name the store (they did above: fallback, recovery) but never its password.
    for (const r of replicas) {
      expect(r.serve.log()).toContain('usage store')
      expect(r.serve.log()).not.toContain(PASSWORD)
    }
  })
})
