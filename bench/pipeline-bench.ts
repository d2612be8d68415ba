/**
 * In-process micro-bench of the check pipeline per bench row, stage by stage: the request bytes of
 * each row of scenarios.ts through decodeCheckRequest → Decider.check → outcomeProblem →
 * encodeOutcome → Metrics.observeCheck, without gRPC. It says where a row's microseconds go, which
 * the h2load bench (bench/run.ts) cannot; the h2load bench remains the measure of throughput.
 * "protobufjs decode" is what the do-nothing baseline spends decoding the same bytes (grpc-js's
 * generic deserializer), for comparison. CPU time per operation (process.cpuUsage), best of 5
 * rounds after a warm-up; "full ×128" runs 128 checks concurrently, as under load.
 * Each row's peers (demo authorizer, OpenID provider, redis-server) run in a child process:
 * oidc-provider turns on async hooks, which would slow every Promise of the measured process.
 * A row served with `--usage-store` counts on that Redis as `serve` does (leased blocks).
 *
 * Run: `npx tsx bench/pipeline-bench.ts [name filter]`.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createAuthnRuntime } from '../src/app/authn-runtime.js'
import { ConfigRuntime } from '../src/app/config-runtime.js'
import { startUsageCounting } from '../src/app/usage-runtime.js'
import { createLogger } from '../src/observability/logger.js'
import type { CheckOutcome } from '../src/decision/check-outcome.js'
import { Decider } from '../src/decision/decide.js'
import { Metrics } from '../src/observability/metrics.js'
import { decodeCheckRequest } from '../src/request/decode-check-request.js'
import type { RequestContext } from '../src/request/request-context.js'
import { encodeOutcome } from '../src/servers/encode-check-response.js'
import { loadProtos } from '../src/request/load-protos.js'
import { outcomeProblem } from '../src/servers/validate-outcome.js'
import { FolderSource } from '../src/sources/folder-source.js'
import { StsService } from '../src/sts/assume-role-with-web-identity.js'
import { parseSessionKeyRing, type SessionKeyRing } from '../src/sts/session-keys.js'
import { startStsServer, type RunningStsServer } from '../src/sts/sts-server.js'
import { EMPTY_STS_DIRECTORY } from '../src/compile/sts-directory.js'
import { buildCheckRequest, officialAuthDefinition } from '../test/helpers/envoy-client.js'
import {
  BENCH_CONFIG_DIR,
  BENCH_STS_PORT,
  QUICKSTART_DIR,
  SCENARIOS,
  type Scenario,
} from './scenarios.js'

interface Codec {
  requestSerialize(v: object): Buffer
  requestDeserialize(b: Buffer): unknown
}
const codecOf = (pkg: object): Codec => {
  const check = (pkg as Record<string, Record<string, Codec> | undefined>)[
    'envoy.service.auth.v3.Authorization'
  ]?.Check
  if (check === undefined) throw new Error('Authorization.Check missing')
  return check
}

const ROUNDS = 5
const N = 20_000

/** Best CPU µs per call of `fn` over ROUNDS rounds of `n` calls, after a warm-up. */
async function cpuMicros(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 2000; i++) await fn()
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage()
    for (let i = 0; i < n; i++) await fn()
    const used = process.cpuUsage(start)
    best = Math.min(best, (used.user + used.system) / n)
  }
  return best
}

/** Starts the row's peers in a child process (this file with PIPELINE_BENCH_PEERS=<row name>). */
async function startPeersAside(s: Scenario): Promise<() => Promise<void>> {
  if (s.startPeers === undefined) return () => Promise.resolve()
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, PIPELINE_BENCH_PEERS: s.name },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => {
      resolve()
    })
    child.once('exit', (code) => {
      reject(new Error(`peers for ${s.name} exited (${String(code)})`))
    })
  })
  // Disconnecting lets the child close its peers (a redis-server is a process of its own, which
  // a plain kill of the child would leave running); a child that does not exit soon is killed.
  return async () => {
    child.removeAllListeners('exit')
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve()
      })
    })
    child.disconnect()
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

async function benchRow(s: Scenario): Promise<string> {
  const stopPeers = await startPeersAside(s)
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pipeline-'))
  try {
    await cp(QUICKSTART_DIR, dir, { recursive: true })
    await cp(BENCH_CONFIG_DIR, dir, { recursive: true })
    for (const extra of s.configDirs) await cp(extra, dir, { recursive: true })
    const metrics = new Metrics({ defaultMetrics: false })
    const args = s.serverArgs ?? []
    const tokenCacheOff = args.join(' ').includes('--token-cache-max-entries 0')
    // A row serving STS (--sts-key-file): its session keys, and its STS endpoint in process, so
    // the row's request can be minted and its session credentials verified as `serve` does.
    const keyFile = args[args.indexOf('--sts-key-file') + 1]
    let ring: SessionKeyRing | undefined
    if (args.includes('--sts-key-file') && keyFile !== undefined) {
      const parsed = parseSessionKeyRing(await readFile(keyFile, 'utf8'))
      if (!parsed.ok) throw new Error(`${s.name}: ${parsed.error}`)
      ring = parsed.ring
    }
    const authn = createAuthnRuntime({
      metrics,
      ...(tokenCacheOff ? { tokenCacheMax: 0 } : {}),
      ...(ring !== undefined ? { sessionKeys: () => ring } : {}),
    })
    const config = new ConfigRuntime({
      source: new FolderSource(dir),
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
      metrics,
    })
    config.subscribe((result, previous) => {
      authn.onSnapshot(result.snapshot, previous)
    })
    await config.reload()
    const storeAt = args.indexOf('--usage-store')
    const storeUrl = storeAt >= 0 ? args[storeAt + 1] : undefined
    const usage = await startUsageCounting(
      storeUrl === undefined ? undefined : { url: storeUrl },
      metrics,
      createLogger({ level: 'warn' }),
    )
    if (usage.detail().some((d) => d.includes('fallback'))) {
      throw new Error(`${s.name}: ${usage.detail().join(', ')}`)
    }
    let sts: RunningStsServer | undefined
    if (ring !== undefined) {
      sts = await startStsServer({
        port: BENCH_STS_PORT,
        host: '127.0.0.1',
        service: new StsService({
          ring: () => ring,
          directory: () => config.current()?.sts ?? EMPTY_STS_DIRECTORY,
          registry: authn.jwks,
        }),
      })
    }
    const decider = new Decider({
      snapshot: config.current,
      flows: authn.flows,
      ...(authn.privateGateIdentity ? { privateGateIdentity: authn.privateGateIdentity } : {}),
      usage: {
        counter: usage.counter,
        observe: (plan, result) => {
          metrics.usagePlanRequest(plan, result)
        },
      },
    })
    const bytes = codecOf(officialAuthDefinition()).requestSerialize(
      buildCheckRequest(await s.request()),
    )
    await sts?.close()
    const generic = codecOf(loadProtos())
    const parsed = decodeCheckRequest(bytes)
    if (!parsed.ok) throw new Error(`${s.name}: request does not decode: ${parsed.detail}`)
    const req: RequestContext = parsed.request
    const outcome: CheckOutcome = await decider.check(req)
    const decision = outcome.allowed ? 'allow' : 'deny'
    if (decision !== s.expect) {
      throw new Error(`${s.name}: ${decision} (${outcome.code}), expected ${s.expect}`)
    }
    const full = async (): Promise<Buffer> => {
      const p = decodeCheckRequest(bytes)
      if (!p.ok) throw new Error('decode failed')
      const o = await decider.check(p.request)
      if (outcomeProblem(o) !== undefined) throw new Error('malformed outcome')
      const encoded = encodeOutcome(o, p.request.requestId)
      metrics.observeCheck(o, 0.0001)
      return encoded
    }
    const figures = [
      await cpuMicros(N, () => generic.requestDeserialize(bytes)),
      await cpuMicros(N, () => decodeCheckRequest(bytes)),
      await cpuMicros(N, () => decider.check(req)),
      await cpuMicros(N, () => encodeOutcome(outcome, req.requestId)),
      await cpuMicros(N, () => {
        metrics.observeCheck(outcome, 0.0001)
      }),
      await cpuMicros(N, full),
      (await cpuMicros(200, () => Promise.all(Array.from({ length: 128 }, full)))) / 128,
    ]
    authn.close()
    const counting = usage.detail().join(', ')
    await usage.close()
    return [
      s.name.padEnd(34),
      String(bytes.length).padStart(6),
      ...figures.map((f) => f.toFixed(2).padStart(9)),
      `  ${outcome.code}`,
      counting === '' ? '' : ` [${counting}]`,
    ].join(' ')
  } finally {
    await stopPeers()
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const peersFor = process.env.PIPELINE_BENCH_PEERS
  if (peersFor !== undefined) {
    // Child: serve one row's peers until the parent goes away.
    const peer = await SCENARIOS.find((s) => s.name === peersFor)?.startPeers?.()
    let closing = false
    const closeAndExit = (): void => {
      if (closing) return
      closing = true
      void (peer?.close() ?? Promise.resolve()).finally(() => process.exit(0))
    }
    process.on('disconnect', closeAndExit)
    process.once('SIGTERM', closeAndExit)
    process.send?.('ready')
    return
  }
  const filter = process.argv[2] ?? ''
  const rows = SCENARIOS.filter((s) => s.enabled && s.name.includes(filter))
  if (rows.length === 0) throw new Error(`no enabled scenario matches '${filter}'`)
  console.log(
    `CPU µs per operation (best of ${String(ROUNDS)}), node ${process.version}; "pbjs decode" = the baseline's generic decode of the same bytes`,
  )
  console.log(
    [
      'scenario'.padEnd(34),
      ' bytes',
      'pbjs dec',
      '   decode',
      '   decide',
      '   encode',
      '  metrics',
      '     full',
      ' full×128',
      '  outcome',
    ].join(' '),
  )
  for (const s of rows) console.log(await benchRow(s))
  process.exit(0)
}

await main()
