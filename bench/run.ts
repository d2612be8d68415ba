/**
 * `npm run bench`: Portcullis (built, separate process) against a do-nothing grpc-js Check server,
 * same load generator (h2load) and settings, one after the other, per scenario of
 * bench/scenarios.ts: saturation throughput, then latency percentiles at the same fixed offered
 * load, then resident memory. Prints figures and targets side by side; never fails on a target,
 * exits non-zero only on a setup error (including a wrong decision or a failed request).
 *
 * Each measurement is --rounds N (default 5) interleaved runs per server (baseline, Portcullis,
 * then Portcullis, baseline, ...) of --duration S (3) after --warm-up S (1); throughput is the
 * median round (and the best round, reported beside it), latency percentiles are over all rounds' requests. Other flags: --prime S (2;
 * unmeasured load on both servers before each scenario, 0 = off), --clients N (4), --streams N (32),
 * --latency-streams N (128: in-flight cap per client in the open-loop runs, high so that a slow
 * server queues — and shows it in its percentiles — instead of being offered less),
 * --latency-load F (0.55 of the baseline's max req/s), --only TEXT (scenario name filter),
 * --skip-build (reuse dist/ when present), --skip-policy-bench, --cpu-prof DIR (V8 CPU profiles of
 * the Portcullis processes, written when they are stopped).
 *
 * @module
 */
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { fixed, formatTable } from './format-table.js'
import { callWithBytes, describeDecision, encodeCheckRequest, grpcFrame } from './grpc-frame.js'
import {
  assertClean,
  ensureH2load,
  latencyFromLogs,
  runH2load,
  type H2loadSummary,
  type Latency,
} from './h2load.js'
import {
  readCpuSeconds,
  readMemory,
  removeAtExit,
  stopAll,
  type MemoryStatus,
} from './processes.js'
import { BENCH_CONFIG_DIR, QUICKSTART_DIR, SCENARIOS, type Scenario } from './scenarios.js'
import {
  buildPortcullis,
  checkCounts,
  startBaseline,
  startPortcullis,
  type RunningBaseline,
  type RunningPortcullis,
} from './servers.js'

const out = (s: string): void => void process.stdout.write(`${s}\n`)
const T0 = Date.now()
/** Progress on stderr, stamped with seconds since start (the whole bench should take ~5–6 min with 5 rows at the defaults). */
const log = (s: string): void =>
  void process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(0).padStart(3)} s] ${s}\n`)

const RSS_TARGET_MB = 150
/** Pause between /readyz and the idle memory reading. */
const IDLE_SETTLE_MS = 2000

interface Settings {
  readonly rounds: number
  readonly durationS: number
  readonly warmUpS: number
  readonly primeS: number
  readonly clients: number
  readonly streams: number
  readonly latencyStreams: number
  readonly latencyLoad: number
  readonly only: string | undefined
  readonly skipBuild: boolean
  readonly skipPolicyBench: boolean
  /** Folder for V8 CPU profiles of the Portcullis processes (`node --cpu-prof`), or undefined. */
  readonly cpuProfDir: string | undefined
}

function settingsFromArgv(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '3' },
      'warm-up': { type: 'string', default: '1' },
      prime: { type: 'string', default: '2' },
      'skip-policy-bench': { type: 'boolean', default: false },
      clients: { type: 'string', default: '4' },
      streams: { type: 'string', default: '32' },
      'latency-streams': { type: 'string', default: '128' },
      'latency-load': { type: 'string', default: '0.55' },
      only: { type: 'string' },
      'skip-build': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  })
  const positive = (name: string, v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: a positive number, got ${v}`)
    return n
  }
  return {
    rounds: Math.round(positive('rounds', values.rounds)),
    durationS: positive('duration', values.duration),
    warmUpS: positive('warm-up', values['warm-up']),
    primeS: Number(values.prime) > 0 ? positive('prime', values.prime) : 0,
    clients: Math.round(positive('clients', values.clients)),
    streams: Math.round(positive('streams', values.streams)),
    latencyStreams: Math.round(positive('latency-streams', values['latency-streams'])),
    latencyLoad: positive('latency-load', values['latency-load']),
    only: values.only,
    skipBuild: values['skip-build'],
    skipPolicyBench: values['skip-policy-bench'],
    cpuProfDir: values['cpu-prof'],
  }
}

/** The colleague's policy-engine micro-bench (bench/policy-bench.ts), printed first when present. */
async function runPolicyBenchFirst(): Promise<void> {
  out('== policy engine (bench/policy-bench.ts) ==')
  const file = fileURLToPath(new URL('./policy-bench.ts', import.meta.url))
  if (!existsSync(file)) {
    out('!!! POLICY BENCH MISSING: bench/policy-bench.ts does not exist; continuing without it')
    return
  }
  try {
    // A variable specifier: the file is someone else's and may not exist when this one compiles.
    const spec = './policy-bench.js'
    const mod = (await import(spec)) as { runPolicyBench?: unknown }
    if (typeof mod.runPolicyBench !== 'function') {
      out(
        '!!! POLICY BENCH BROKEN: bench/policy-bench.ts does not export runPolicyBench(); continuing',
      )
      return
    }
    const t0 = Date.now()
    const table: unknown = await (mod.runPolicyBench as () => Promise<unknown>)()
    out(
      typeof table === 'string'
        ? table
        : `!!! POLICY BENCH: runPolicyBench() returned ${typeof table}, not a string`,
    )
    out(`(policy bench took ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  } catch (err) {
    out(`!!! POLICY BENCH FAILED: ${(err as Error).stack ?? String(err)}`)
  }
  out('')
}

/** One flat folder holding the quick start, bench/config/ and each enabled row's extra folders. */
async function makeConfigDir(scenarios: readonly Scenario[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-'))
  const sources = new Set([
    QUICKSTART_DIR,
    BENCH_CONFIG_DIR,
    ...scenarios.flatMap((s) => s.configDirs),
  ])
  for (const src of sources) {
    const prefix = basename(src.replace(/\/+$/, ''))
    for (const name of await readdir(src)) {
      if (!/\.(ya?ml|json)$/.test(name)) continue
      await copyFile(join(src, name), join(dir, `${prefix}-${name}`))
    }
  }
  return dir
}

/** One server's runs of one kind (throughput or latency), all rounds. */
interface Runs {
  readonly runs: readonly Measured[]
  /** Median req/s over the rounds. */
  readonly reqPerSec: number
  /**
   * Best round's req/s: on a shared machine other work only ever takes throughput away, so the
   * best round is the least disturbed estimate of what a server can do.
   */
  readonly bestReqPerSec: number
  /** Median CPU µs the server spent per answered request. */
  readonly cpuUsPerRequest: number
}

interface ScenarioResult {
  readonly scenario: Scenario
  /** Which Portcullis process served the row ('main' or its extra serve arguments). */
  readonly process: string
  readonly baseThroughput: Runs
  readonly pcThroughput: Runs
  readonly offeredRps: number
  readonly baseLatencyRuns: Runs
  readonly pcLatencyRuns: Runs
  readonly baseLatency: Latency
  readonly pcLatency: Latency
  readonly memory: MemoryStatus
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

const runsOf = (runs: readonly Measured[]): Runs => ({
  runs,
  reqPerSec: median(runs.map((r) => r.reqPerSec)),
  bestReqPerSec: Math.max(...runs.map((r) => r.reqPerSec)),
  cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
})

interface Servers {
  readonly pc: RunningPortcullis
  readonly base: RunningBaseline
  /** 'main', or the extra `serve` arguments of a row's own process. */
  readonly pcLabel: string
}

/** One h2load run and the server's CPU time per request it answered during the run. */
interface Measured extends H2loadSummary {
  readonly cpuUsPerRequest: number
}

function cpuPerRequest(cpuSeconds: number, answered: number): number {
  return answered > 0 ? (cpuSeconds * 1e6) / answered : Number.NaN
}

/** Load on the baseline, with proof that the do-nothing handler answered every counted request. */
async function loadBaseline(
  servers: Servers,
  label: string,
  run: Omit<Parameters<typeof runH2load>[0], 'port'>,
): Promise<Measured> {
  const before = await servers.base.answered()
  const cpuBefore = readCpuSeconds(servers.base.pid)
  const summary = await runH2load({ ...run, port: servers.base.port })
  const cpu = readCpuSeconds(servers.base.pid) - cpuBefore
  assertClean(summary, label)
  const answered = (await servers.base.answered()) - before
  if (answered < summary.succeeded) {
    throw new Error(
      `${label}: h2load counted ${String(summary.succeeded)} successes but the handler answered ${String(answered)}`,
    )
  }
  return { ...summary, cpuUsPerRequest: cpuPerRequest(cpu, answered) }
}

/** Load on Portcullis, with proof from /metrics that every request got the expected decision. */
async function loadPortcullis(
  servers: Servers,
  scenario: Scenario,
  label: string,
  run: Omit<Parameters<typeof runH2load>[0], 'port'>,
): Promise<Measured> {
  const before = await checkCounts(servers.pc.metricsPort)
  const cpuBefore = readCpuSeconds(servers.pc.pid)
  const summary = await runH2load({ ...run, port: servers.pc.grpcPort })
  const cpu = readCpuSeconds(servers.pc.pid) - cpuBefore
  assertClean(summary, label)
  const after = await checkCounts(servers.pc.metricsPort)
  const expected =
    scenario.expect === 'allow' ? after.allow - before.allow : after.deny - before.deny
  const other = scenario.expect === 'allow' ? after.deny - before.deny : after.allow - before.allow
  if (other !== 0 || expected < summary.succeeded) {
    throw new Error(
      `${label}: /metrics counted ${String(expected)} ${scenario.expect} and ${String(other)} other decisions for ${String(summary.succeeded)} requests`,
    )
  }
  if (scenario.expectAuthorizerCacheHits === true) {
    const hits = after.cacheHit - before.cacheHit
    const misses = after.cacheMiss - before.cacheMiss
    const calls = after.authorizerCalls - before.authorizerCalls
    if (misses !== 0 || calls !== 0 || hits < summary.succeeded) {
      throw new Error(
        `${label}: not all cache hits: /metrics counted ${String(hits)} hits, ${String(misses)} misses and ${String(calls)} authorizer calls for ${String(summary.succeeded)} requests`,
      )
    }
  }
  // The /metrics scrapes around the run cost CPU too, but two scrapes over tens of thousands of
  // requests are noise; every answered check counts (warm-up included, as in the CPU time).
  return { ...summary, cpuUsPerRequest: cpuPerRequest(cpu, expected) }
}

type LoadRun = Omit<Parameters<typeof runH2load>[0], 'port'>

/**
 * `rounds` × (baseline, Portcullis), alternating which goes first, so that a change in the
 * machine's background load (this machine is shared) hits both sides alike.
 */
async function interleaved(
  servers: Servers,
  scenario: Scenario,
  s: Settings,
  what: string,
  run: (round: number, side: 'base' | 'pc') => LoadRun,
): Promise<{ base: Measured[]; pc: Measured[] }> {
  const base: Measured[] = []
  const pc: Measured[] = []
  for (let round = 0; round < s.rounds; round++) {
    const doBase = async (): Promise<void> => {
      base.push(
        await loadBaseline(
          servers,
          `baseline ${what} round ${String(round + 1)}`,
          run(round, 'base'),
        ),
      )
    }
    const doPc = async (): Promise<void> => {
      const label = `portcullis ${what} round ${String(round + 1)}`
      pc.push(await loadPortcullis(servers, scenario, label, run(round, 'pc')))
    }
    if (round % 2 === 0) {
      await doBase()
      await doPc()
    } else {
      await doPc()
      await doBase()
    }
    log(
      `bench:   ${what} round ${String(round + 1)}/${String(s.rounds)}: baseline ${fixed(base[round]?.reqPerSec, 0)} req/s, portcullis ${fixed(pc[round]?.reqPerSec, 0)} req/s`,
    )
  }
  return { base, pc }
}

async function runScenario(
  servers: Servers,
  scenario: Scenario,
  s: Settings,
  workDir: string,
): Promise<ScenarioResult> {
  log(`bench: scenario "${scenario.name}"`)
  const message = encodeCheckRequest(await scenario.request())
  const slug = scenario.name.replace(/[^a-z0-9]+/gi, '-')
  const dataFile = join(workDir, `${slug}.grpc`)
  await writeFile(dataFile, grpcFrame(message))

  // Pre-flight with the exact bytes h2load will send: never measure an error path by accident.
  const pcAnswer = describeDecision(
    await callWithBytes(`127.0.0.1:${String(servers.pc.grpcPort)}`, message),
  )
  if (pcAnswer.allowed !== (scenario.expect === 'allow')) {
    throw new Error(
      `"${scenario.name}": Portcullis answered ${pcAnswer.text}, expected ${scenario.expect}`,
    )
  }
  const baseAnswer = describeDecision(
    await callWithBytes(`127.0.0.1:${String(servers.base.port)}`, message),
  )
  if (!baseAnswer.allowed)
    throw new Error(`"${scenario.name}": baseline answered ${baseAnswer.text}`)
  log(
    `bench:   pre-flight: Portcullis ${pcAnswer.text} (expected ${scenario.expect}), baseline ${baseAnswer.text}; ${String(message.length)}-byte CheckRequest`,
  )

  const closed: LoadRun = {
    dataFile,
    clients: s.clients,
    streams: s.streams,
    durationS: s.durationS,
    warmUpS: s.warmUpS,
  }
  if (s.primeS > 0) {
    // JIT and caches warm on both servers before anything is measured (a cold Node process is
    // several times slower for its first seconds, longer than h2load's --warm-up-time).
    log(`bench:   priming both servers for ${String(s.primeS)} s each ...`)
    const prime = { ...closed, durationS: s.primeS, warmUpS: 0 }
    await loadBaseline(servers, 'baseline priming', prime)
    await loadPortcullis(servers, scenario, 'portcullis priming', prime)
  }

  const throughput = await interleaved(servers, scenario, s, 'throughput', () => closed)
  const baseThroughput = runsOf(throughput.base)
  const pcThroughput = runsOf(throughput.pc)

  // Same fixed offered load for both: a fraction of the baseline's saturated throughput.
  const rpsPerClient = Math.max(
    1,
    Math.floor((baseThroughput.reqPerSec * s.latencyLoad) / s.clients),
  )
  const offeredRps = rpsPerClient * s.clients
  // One log file per run: h2load appends to an existing --log-file.
  const logFile = (who: string, round: number): string =>
    join(workDir, `${slug}.${who}.latency-${String(round)}.log`)
  const logs = { base: [] as string[], pc: [] as string[] }
  const latency = await interleaved(
    servers,
    scenario,
    s,
    `latency at ${String(offeredRps)} req/s`,
    (round, side) => {
      const file = logFile(side, round)
      logs[side].push(file)
      return { ...closed, streams: s.latencyStreams, rpsPerClient, logFile: file }
    },
  )
  const maxUnknown = s.clients * s.latencyStreams
  return {
    scenario,
    process: servers.pcLabel,
    baseThroughput,
    pcThroughput,
    offeredRps,
    baseLatencyRuns: runsOf(latency.base),
    pcLatencyRuns: runsOf(latency.pc),
    baseLatency: await latencyFromLogs(logs.base, maxUnknown),
    pcLatency: await latencyFromLogs(logs.pc, maxUnknown),
    memory: readMemory(servers.pc.pid),
  }
}

/** Memory of one Portcullis process: right after start (settled) and after its rows' load. */
interface ProcessMemory {
  /** 'main', or the extra serve arguments of a row's own process. */
  readonly label: string
  readonly idle: MemoryStatus
  readonly final: MemoryStatus
}

function printResults(
  results: readonly ScenarioResult[],
  skipped: readonly Scenario[],
  memory: readonly ProcessMemory[],
  baseMem: MemoryStatus,
  inFlight: number,
): void {
  const yesNo = (ok: boolean): string => (ok ? 'yes' : 'NO')
  const rows: string[][] = [
    [
      'scenario',
      'target',
      'req/s (base)',
      'req/s (portcullis)',
      'ratio',
      'best-round ratio',
      'CPU µs/req base',
      'CPU µs/req pc',
      'CPU ratio',
      'p99 ms base',
      'p99 ms pc',
      'p99 ratio',
      'RSS MB',
      'meets',
    ],
  ]
  for (const r of results) {
    const ratio = r.pcThroughput.reqPerSec / r.baseThroughput.reqPerSec
    const bestRatio = r.pcThroughput.bestReqPerSec / r.baseThroughput.bestReqPerSec
    const cpuRatio = r.baseThroughput.cpuUsPerRequest / r.pcThroughput.cpuUsPerRequest
    const p99Ratio = r.pcLatency.p99Ms / r.baseLatency.p99Ms
    rows.push([
      r.scenario.name,
      `≥${fixed(r.scenario.throughputTarget, 2)}, p99 ≤${fixed(r.scenario.p99Target, 1)}×`,
      fixed(r.baseThroughput.reqPerSec, 0),
      fixed(r.pcThroughput.reqPerSec, 0),
      fixed(ratio, 2),
      fixed(bestRatio, 2),
      fixed(r.baseThroughput.cpuUsPerRequest, 1),
      fixed(r.pcThroughput.cpuUsPerRequest, 1),
      fixed(cpuRatio, 2),
      fixed(r.baseLatency.p99Ms, 2),
      fixed(r.pcLatency.p99Ms, 2),
      fixed(p99Ratio, 2),
      fixed(r.memory.rssMb, 0),
      `${yesNo(ratio >= r.scenario.throughputTarget)}/${yesNo(bestRatio >= r.scenario.throughputTarget)}/${yesNo(cpuRatio >= r.scenario.throughputTarget)}/${yesNo(p99Ratio <= r.scenario.p99Target)}`,
    ])
  }
  for (const s of skipped)
    rows.push([s.name, 'skipped', ...Array<string>(11).fill(''), s.note ?? 'disabled'])
  out('== Portcullis vs do-nothing Check baseline ==')
  out(formatTable(rows))
  out(
    '("meets" = throughput target by the median ratio / by the best-round ratio / by the CPU ratio / p99 target; the bench reports, it does not fail on targets)',
  )
  out(
    '("ratio" = median Portcullis round ÷ median baseline round; "best-round ratio" = best ÷ best: other work on a shared machine only ever takes throughput away)',
  )
  out(
    '("CPU µs/req" = the server process\'s CPU time during a saturation run ÷ checks it answered, median over rounds; "CPU ratio" = base ÷ Portcullis: the throughput ratio on one uncontended core, and much steadier than req/s on a shared VM)',
  )
  out('(RSS MB = the serving Portcullis process after the row; see the memory table below)')
  for (const r of results) {
    const where = r.process === 'main' ? '' : ` [own process: serve ${r.process}]`
    if (r.scenario.note !== undefined || where !== '')
      out(`  ${r.scenario.name}:${where} ${r.scenario.note ?? ''}`)
  }
  out('')

  out('== latency at the same offered load (open loop, ms) ==')
  const lat: string[][] = [
    [
      'scenario',
      'server',
      'offered req/s',
      'achieved req/s',
      'requests',
      'p50',
      'p90',
      'p99',
      'max',
      'note',
    ],
  ]
  for (const r of results) {
    for (const [who, run, l] of [
      ['baseline', r.baseLatencyRuns, r.baseLatency],
      ['portcullis', r.pcLatencyRuns, r.pcLatency],
    ] as const) {
      lat.push([
        r.scenario.name,
        who,
        String(r.offeredRps),
        fixed(run.reqPerSec, 0),
        String(l.count),
        fixed(l.p50Ms, 2),
        fixed(l.p90Ms, 2),
        fixed(l.p99Ms, 2),
        fixed(l.maxMs, 2),
        // h2load caps in-flight streams, so a server that cannot keep up is offered less than
        // asked (and its percentiles understate the queueing it would see in the open).
        run.reqPerSec < 0.95 * r.offeredRps ? 'did not sustain the offered load' : '',
      ])
    }
  }
  out(formatTable(lat))
  out('')

  out(
    `== resident memory (VmRSS / VmHWM from /proc), target < ${String(RSS_TARGET_MB)} MB with the quick start loaded ==`,
  )
  const memRows: string[][] = [
    [
      'process',
      'RSS idle MB',
      'RSS after load MB',
      'peak (VmHWM) MB',
      'idle < target',
      'peak < target',
    ],
  ]
  for (const m of memory) {
    memRows.push([
      m.label === 'main'
        ? 'portcullis main (quick start + bench config)'
        : `portcullis ${m.label} (same config)`,
      fixed(m.idle.rssMb, 1),
      fixed(m.final.rssMb, 1),
      fixed(m.final.hwmMb, 1),
      yesNo(m.idle.rssMb < RSS_TARGET_MB),
      `${yesNo(m.final.hwmMb < RSS_TARGET_MB)} (info)`,
    ])
  }
  memRows.push([
    'do-nothing baseline (under tsx)',
    '-',
    fixed(baseMem.rssMb, 1),
    fixed(baseMem.hwmMb, 1),
    '',
    '',
  ])
  out(formatTable(memRows))
  out(
    `(the target is the main process idle, ${String(IDLE_SETTLE_MS / 1000)} s after /readyz, with the quick start loaded; peak = during saturation with up to ${String(inFlight)} requests in flight; the do-nothing row shows what grpc-js alone takes under the same load)`,
  )
  out('')

  out('== throughput per round (req/s; the table shows the median and the best) ==')
  const perRound: string[][] = [['scenario', 'server', 'kind', 'rounds']]
  for (const r of results) {
    for (const [who, kind, runs] of [
      ['baseline', 'saturation', r.baseThroughput],
      ['portcullis', 'saturation', r.pcThroughput],
      ['baseline', 'open loop', r.baseLatencyRuns],
      ['portcullis', 'open loop', r.pcLatencyRuns],
    ] as const) {
      perRound.push([
        r.scenario.name,
        who,
        kind,
        runs.runs.map((x) => fixed(x.reqPerSec, 0)).join(' '),
      ])
    }
  }
  out(formatTable(perRound))
  out('')

  out('== raw h2load summaries ==')
  for (const r of results) {
    for (const [label, runs] of [
      ['baseline throughput', r.baseThroughput],
      ['portcullis throughput', r.pcThroughput],
      ['baseline latency', r.baseLatencyRuns],
      ['portcullis latency', r.pcLatencyRuns],
    ] as const) {
      runs.runs.forEach((run, i) => {
        out(`-- ${r.scenario.name}: ${label}, round ${String(i + 1)}`)
        out(`$ ${run.command}`)
        for (const line of run.rawLines) out(line)
      })
    }
  }
}

/**
 * RSS once the process has settled after /readyz (background JWKS warm-up, start-up garbage):
 * the idle figure, read after a short pause so it is not a start-up transient.
 */
async function settledMemory(pid: number): Promise<MemoryStatus> {
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS))
  return readMemory(pid)
}

async function main(): Promise<number> {
  const started = Date.now()
  const s = settingsFromArgv()
  if (s.skipPolicyBench) {
    out('== policy engine (bench/policy-bench.ts): skipped (--skip-policy-bench) ==\n')
  } else {
    log('bench: policy engine micro-bench (bench/policy-bench.ts) ...')
    await runPolicyBenchFirst()
  }

  const selected = SCENARIOS.filter(
    (sc) => s.only === undefined || sc.name.toLowerCase().includes(s.only.toLowerCase()),
  )
  const enabled = selected.filter((sc) => sc.enabled)
  const skipped = selected.filter((sc) => !sc.enabled)
  if (enabled.length === 0) throw new Error('no enabled scenario selected')

  const h2loadVersion = ensureH2load(log)
  const built = buildPortcullis(log, s.skipBuild)
  // --cpu-prof DIR: each Portcullis process writes a .cpuprofile there when stopped (SIGTERM).
  const entry =
    s.cpuProfDir === undefined
      ? built
      : {
          nodeArgs: ['--cpu-prof', '--cpu-prof-dir', resolve(s.cpuProfDir), ...built.nodeArgs],
          label: `${built.label}, --cpu-prof into ${resolve(s.cpuProfDir)}`,
        }
  const configDir = await makeConfigDir(enabled)
  const workDir = await mkdtemp(join(tmpdir(), 'portcullis-bench-run-'))
  removeAtExit(configDir)
  removeAtExit(workDir)
  const peers: { close(): Promise<void> }[] = []
  try {
    // Rows sharing a peer (the OIDC issuer on its fixed port) name the same start function: one each.
    const peerStarts = new Set(enabled.flatMap((sc) => (sc.startPeers ? [sc.startPeers] : [])))
    if (peerStarts.size > 0) log(`bench: starting ${String(peerStarts.size)} peer(s)`)
    for (const start of peerStarts) peers.push(await start())

    // The main process serves every row without serve arguments; it is the process whose memory
    // is the "with the quick start loaded" figure. Rows with arguments get one process per list.
    const groups = new Map<string, Scenario[]>()
    const keyOf = (sc: Scenario): string => (sc.serverArgs ?? []).join(' ')
    groups.set('', [])
    for (const sc of enabled) {
      const list = groups.get(keyOf(sc)) ?? []
      list.push(sc)
      groups.set(keyOf(sc), list)
    }

    log(`bench: starting the do-nothing baseline and Portcullis (${entry.label}) on ${configDir}`)
    const base = await startBaseline()
    const main = await startPortcullis(entry, configDir)
    log('bench: both servers ready')
    const mainIdle = await settledMemory(main.pid)

    out('== setup ==')
    out(
      `node ${process.version}, ${h2loadVersion}, ${String(cpus().length)} CPUs, load average at start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    out(
      `portcullis: ${entry.label}, main pid ${String(main.pid)}, gRPC :${String(main.grpcPort)}; baseline: bench/do-nothing-server.ts, pid ${String(base.pid)}, gRPC :${String(base.port)}`,
    )
    out(
      `h2load -t 1 -c ${String(s.clients)} -m ${String(s.streams)} -D ${String(s.durationS)} --warm-up-time ${String(s.warmUpS)}, ${String(s.rounds)} interleaved rounds per server; latency runs open loop (-m ${String(s.latencyStreams)}) at ${String(s.latencyLoad)} × the baseline's median req/s`,
    )
    for (const key of groups.keys()) {
      if (key !== '')
        out(
          `rows with serve args "${key}" run against their own Portcullis process (same config), started before and stopped after them`,
        )
    }
    out('')

    const results: ScenarioResult[] = []
    const memory: ProcessMemory[] = []
    const warnings: string[] = []
    for (const [key, rows] of groups) {
      if (rows.length === 0) continue
      const isMain = key === ''
      const label = isMain ? 'main' : key
      let pc = main
      if (!isMain) {
        log(`bench: starting a Portcullis process with serve ${key}`)
        pc = await startPortcullis(entry, configDir, rows[0]?.serverArgs ?? [])
      }
      const idle = isMain ? mainIdle : await settledMemory(pc.pid)
      const servers: Servers = { pc, base, pcLabel: label }
      for (const scenario of rows) results.push(await runScenario(servers, scenario, s, workDir))
      memory.push({ label, idle, final: readMemory(pc.pid) })
      const w = pc.output().trim()
      if (w !== '')
        warnings.push(`portcullis ${label} stderr/stdout (warn level):\n${w.slice(-4000)}`)
      if (!isMain) await pc.stop()
    }
    if (!memory.some((m) => m.label === 'main'))
      memory.unshift({ label: 'main', idle: mainIdle, final: readMemory(main.pid) })
    const baseMem = readMemory(base.pid)

    printResults(results, skipped, memory, baseMem, s.clients * s.streams)
    out('')
    for (const w of warnings) out(w)
    out(
      `load average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; bench took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    )
    return 0
  } finally {
    await stopAll()
    await Promise.allSettled(peers.map((p) => p.close()))
    await rm(configDir, { recursive: true, force: true })
    await rm(workDir, { recursive: true, force: true })
  }
}

try {
  process.exitCode = await main()
} catch (err) {
  log(`\nbench: SETUP ERROR: ${(err as Error).stack ?? String(err)}`)
  await stopAll()
  process.exitCode = 1
}
