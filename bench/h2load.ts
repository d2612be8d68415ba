/**
 * h2load (Debian nghttp2-client) as the bench's load generator: installation when missing, one run
 * sending a gRPC message file, its summary parsed, and per-request latencies from `--log-file`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { CHECK_PATH } from './grpc-frame.js'
import { spawnTracked } from './processes.js'

function h2loadPresent(): boolean {
  return spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Makes sure h2load is installed, running scripts/ensure-tools.sh (apt-get nghttp2-client) when it
 * is not. Throws when it still is not there: a missing load generator is a setup error.
 */
export function ensureH2load(log: (s: string) => void): string {
  if (!h2loadPresent()) {
    log(
      'bench: h2load missing, installing it with scripts/ensure-tools.sh (apt-get nghttp2-client)',
    )
    const script = fileURLToPath(new URL('../scripts/ensure-tools.sh', import.meta.url))
    const res = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] })
    // ensure-tools.sh also checks other peers (helm, nginx...); only h2load matters here.
    if (res.status !== 0)
      log(`bench: ensure-tools.sh exited ${String(res.status)}; checking h2load anyway`)
    if (!h2loadPresent()) {
      throw new Error(
        'h2load is not installed and could not be installed (apt-get install nghttp2-client)',
      )
    }
  }
  const v = spawnSync('h2load', ['--version'], { encoding: 'utf8' })
  return v.stdout.trim()
}

export interface H2loadRun {
  readonly port: number
  /** File holding one length-prefixed gRPC message. */
  readonly dataFile: string
  readonly clients: number
  readonly streams: number
  readonly durationS: number
  /** Seconds of load before measuring (`--warm-up-time`); 0 = none. */
  readonly warmUpS: number
  /** Open-loop: requests per second per client (h2load `--rps`). Omitted: closed loop. */
  readonly rpsPerClient?: number
  /** Per-request log (`--log-file`) for latency percentiles. */
  readonly logFile?: string
}

export interface H2loadSummary {
  readonly reqPerSec: number
  readonly total: number
  readonly succeeded: number
  readonly failed: number
  readonly errored: number
  readonly timeout: number
  /** 3xx + 4xx + 5xx answers (warm-up included): gRPC always answers HTTP 200, so these must be 0. */
  readonly statusNon2xx: number
  /** The summary lines as h2load printed them (finished / requests / status codes / time for request). */
  readonly rawLines: readonly string[]
  /** The exact command, for the report. */
  readonly command: string
}

function num(re: RegExp, text: string, what: string): number {
  const m = re.exec(text)
  if (m?.[1] === undefined) throw new Error(`h2load output has no ${what}:\n${text}`)
  return Number(m[1])
}

/** Runs h2load once (one thread) against the Check method on 127.0.0.1:`port`. */
export async function runH2load(run: H2loadRun): Promise<H2loadSummary> {
  const args = [
    '-t',
    '1',
    '-c',
    String(run.clients),
    '-m',
    String(run.streams),
    '-D',
    String(run.durationS),
    ...(run.warmUpS > 0 ? ['--warm-up-time', String(run.warmUpS)] : []),
    '-d',
    run.dataFile,
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    ...(run.rpsPerClient !== undefined ? ['--rps', String(run.rpsPerClient)] : []),
    ...(run.logFile !== undefined ? ['--log-file', run.logFile] : []),
    `http://127.0.0.1:${String(run.port)}${CHECK_PATH}`,
  ]
  const command = `h2load ${args.join(' ')}`
  const { code, stdout, stderr } = await new Promise<{
    code: number | null
    stdout: string
    stderr: string
  }>((resolve, reject) => {
    const child = spawnTracked('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.once('error', reject)
    child.once('close', (c) => {
      resolve({ code: c, stdout: out, stderr: err })
    })
  })
  if (code !== 0) throw new Error(`${command} exited ${String(code)}:\n${stdout}\n${stderr}`)
  const rawLines = stdout
    .split('\n')
    .filter((l) => /^(finished in|requests:|status codes:|time for request:|\s+\d)/.test(l))
    .map((l) => l.trimEnd())
  return {
    reqPerSec: num(/finished in [\d.]+m?s, ([\d.]+) req\/s/, stdout, 'req/s'),
    total: num(/requests: (\d+) total/, stdout, 'requests total'),
    succeeded: num(/(\d+) succeeded/, stdout, 'succeeded'),
    failed: num(/(\d+) failed/, stdout, 'failed'),
    errored: num(/(\d+) errored/, stdout, 'errored'),
    timeout: num(/(\d+) timeout/, stdout, 'timeout'),
    statusNon2xx:
      num(/status codes: \d+ 2xx, (\d+) 3xx/, stdout, '3xx count') +
      num(/(\d+) 4xx/, stdout, '4xx count') +
      num(/(\d+) 5xx/, stdout, '5xx count'),
    rawLines,
    command,
  }
}

/** Throws unless every request h2load sent succeeded with HTTP 200 (gRPC answers are always 200). */
export function assertClean(s: H2loadSummary, label: string): void {
  const problems: string[] = []
  if (s.succeeded === 0) problems.push('no request succeeded')
  if (s.failed !== 0) problems.push(`${String(s.failed)} failed`)
  if (s.errored !== 0) problems.push(`${String(s.errored)} errored`)
  if (s.timeout !== 0) problems.push(`${String(s.timeout)} timed out`)
  if (s.statusNon2xx !== 0) problems.push(`${String(s.statusNon2xx)} non-2xx HTTP statuses`)
  if (problems.length > 0) {
    throw new Error(`${label}: h2load reported ${problems.join(', ')}:\n${s.rawLines.join('\n')}`)
  }
}

export interface Latency {
  readonly count: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN
}

/**
 * Percentiles of the per-request durations in h2load `--log-file`s (columns: start µs since
 * epoch, HTTP status, µs until end of response), all files pooled. h2load logs only the main
 * phase, but requests straddling the warm-up boundary show status 0: those (at most one per
 * in-flight stream per file, `maxUnknownPerFile`) are left out; any other non-200 row is an error.
 */
export async function latencyFromLogs(
  logFiles: readonly string[],
  maxUnknownPerFile: number,
): Promise<Latency> {
  const durations: number[] = []
  for (const logFile of logFiles) {
    const text = await readFile(logFile, 'utf8')
    let unknown = 0
    for (const line of text.split('\n')) {
      if (line === '') continue
      const [, status, dur] = line.split('\t')
      if (status === '0') {
        unknown++
        continue
      }
      if (status !== '200') {
        throw new Error(`${logFile}: request with HTTP status ${String(status)}: ${line}`)
      }
      durations.push(Number(dur))
    }
    if (unknown > maxUnknownPerFile) {
      throw new Error(
        `${logFile}: ${String(unknown)} requests without a status (more than ${String(maxUnknownPerFile)} in flight)`,
      )
    }
  }
  if (durations.length === 0) throw new Error(`${logFiles.join(', ')}: no requests logged`)
  const sorted = Float64Array.from(durations).sort()
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50) / 1000,
    p90Ms: percentile(sorted, 90) / 1000,
    p99Ms: percentile(sorted, 99) / 1000,
    maxMs: (sorted[sorted.length - 1] ?? Number.NaN) / 1000,
  }
}
