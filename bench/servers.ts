/**
 * The two servers under load, each a separate process so memory and event-loop time are their
 * own: Portcullis (`node dist/main.js serve`, or through tsx when the build fails) and the
 * do-nothing baseline (bench/do-nothing-server.ts).
 *
 * @module
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { spawnTracked, stopTracked } from './processes.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

export interface PortcullisEntry {
  /** Arguments before `serve ...` for `node`. */
  readonly nodeArgs: readonly string[]
  /** How it was obtained, for the report. */
  readonly label: string
}

/**
 * `npm run build` (tsc → dist/), then `node dist/main.js`. When the build fails (someone's
 * half-done file) it says so loudly. tsc still emits JavaScript for files with type errors, so a
 * dist/main.js written by this build is used (the same JavaScript tsx would run, without the tsx
 * loader in the measured process's memory); only when the build emitted nothing does it fall back
 * to `node --import tsx src/main.ts`.
 */
export function buildPortcullis(log: (s: string) => void, skipBuild: boolean): PortcullisEntry {
  const main = `${ROOT}dist/main.js`
  const dist = { nodeArgs: [main], label: 'node dist/main.js (npm run build)' }
  if (skipBuild) {
    if (existsSync(main))
      return { ...dist, label: 'node dist/main.js (existing build, --skip-build)' }
    log('bench: --skip-build but dist/main.js is missing: building')
  }
  log('bench: npm run build ...')
  const buildStartMs = Date.now() - 1000
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' })
  const emitted = existsSync(main) && statSync(main).mtimeMs >= buildStartMs
  if (res.status === 0 && emitted) return dist
  const out = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-25).join('\n')
  const bang = '!'.repeat(96)
  log('')
  log(bang)
  log(`!!! bench: npm run build FAILED (exit ${String(res.status)}). Last lines:`)
  log(out)
  if (emitted) {
    log('!!! tsc emitted dist/ anyway (type errors do not stop emit): running that JavaScript.')
  } else {
    log('!!! nothing emitted: falling back to node --import tsx src/main.ts (RSS includes tsx).')
  }
  log(bang)
  log('')
  if (emitted) {
    return {
      ...dist,
      label: 'node dist/main.js (BUILD HAD TYPE ERRORS: JavaScript emitted anyway)',
    }
  }
  return {
    nodeArgs: ['--import', 'tsx', `${ROOT}src/main.ts`],
    label: 'node --import tsx src/main.ts (BUILD FAILED: fallback, RSS includes the tsx loader)',
  }
}

/** A free loopback TCP port (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => {
        resolve(port)
      })
    })
  })
}

/** Collects a child's output (bounded) so a failed start can be explained. */
function captureOutput(child: ChildProcess): () => string {
  let buf = ''
  const add = (d: Buffer): void => {
    buf = (buf + d.toString('utf8')).slice(-20_000)
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => buf
}

/** Rejects when the child exits; used in a race during start (later exits are ignored). */
function exitedEarly(child: ChildProcess, what: string, output: () => string): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(
        new Error(
          `${what} exited during start (code ${String(code)}, signal ${String(signal)}):\n${output()}`,
        ),
      )
    })
  })
  p.catch(() => undefined)
  return p
}

export interface RunningPortcullis {
  readonly child: ChildProcess
  readonly pid: number
  readonly grpcPort: number
  readonly metricsPort: number
  readonly output: () => string
  stop(): Promise<void>
}

/**
 * Starts `portcullis serve --config dir` on free loopback ports (plus `extraArgs`, e.g.
 * `--token-cache-max-entries 0`) and waits for /readyz.
 */
export async function startPortcullis(
  entry: PortcullisEntry,
  configDir: string,
  extraArgs: readonly string[] = [],
): Promise<RunningPortcullis> {
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()]
  const args = [
    ...entry.nodeArgs,
    'serve',
    '--config',
    configDir,
    '--bind-address',
    '127.0.0.1',
    '--grpc-port',
    String(grpcPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'warn',
    ...extraArgs,
  ]
  const child = spawnTracked(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = captureOutput(child)
  let gaveUp = false
  const ready = (async () => {
    const deadline = Date.now() + 60_000
    while (!gaveUp) {
      try {
        const res = await fetch(`http://127.0.0.1:${String(metricsPort)}/readyz`)
        if (res.status === 200) return
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`portcullis not ready after 60 s:\n${output()}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  ready.catch(() => undefined)
  try {
    await Promise.race([ready, exitedEarly(child, 'portcullis serve', output)])
  } catch (err) {
    gaveUp = true
    await stopTracked(child)
    throw err
  }
  if (child.pid === undefined) throw new Error('portcullis: no pid')
  return { child, pid: child.pid, grpcPort, metricsPort, output, stop: () => stopTracked(child) }
}

export interface CheckCounts {
  /** `portcullis_check_requests_total` summed by decision. */
  readonly allow: number
  readonly deny: number
  /** `portcullis_decision_cache_requests_total` (custom-authorizer result cache) by result. */
  readonly cacheHit: number
  readonly cacheMiss: number
  /** `portcullis_authorizer_requests_total`, all authorizers and outcomes. */
  readonly authorizerCalls: number
}

/** The decision, cache and authorizer-call counters from /metrics. */
export async function checkCounts(metricsPort: number): Promise<CheckCounts> {
  const text = await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text()
  const counts = { allow: 0, deny: 0, cacheHit: 0, cacheMiss: 0, authorizerCalls: 0 }
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (line.startsWith('portcullis_check_requests_total{')) {
      const decision = /decision="(allow|deny)"/.exec(line)?.[1]
      if (decision === 'allow' || decision === 'deny') counts[decision] += value
    } else if (line.startsWith('portcullis_decision_cache_requests_total{')) {
      const result = /result="(hit|miss)"/.exec(line)?.[1]
      if (result === 'hit') counts.cacheHit += value
      else if (result === 'miss') counts.cacheMiss += value
    } else if (line.startsWith('portcullis_authorizer_requests_total{')) {
      counts.authorizerCalls += value
    }
  }
  return counts
}

export interface RunningBaseline {
  readonly child: ChildProcess
  readonly pid: number
  readonly port: number
  /** How many Checks the do-nothing server has answered so far. */
  answered(): Promise<number>
  stop(): Promise<void>
}

function isMessage(m: unknown): m is { type: string; port?: number; checks?: number } {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string'
}

/** Starts bench/do-nothing-server.ts in its own node process (IPC channel for ready/count). */
export async function startBaseline(): Promise<RunningBaseline> {
  const child = spawnTracked(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./do-nothing-server.ts', import.meta.url))],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  const output = captureOutput(child)
  let port: number
  try {
    port = await Promise.race([
      new Promise<number>((resolve) => {
        const onMsg = (m: unknown): void => {
          if (isMessage(m) && m.type === 'ready' && typeof m.port === 'number') {
            child.off('message', onMsg)
            resolve(m.port)
          }
        }
        child.on('message', onMsg)
      }),
      exitedEarly(child, 'do-nothing-server', output),
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error(`do-nothing-server not ready after 60 s:\n${output()}`))
        }, 60_000).unref(),
      ),
    ])
  } catch (err) {
    await stopTracked(child)
    throw err
  }
  if (child.pid === undefined) throw new Error('do-nothing-server: no pid')
  return {
    child,
    pid: child.pid,
    port,
    answered: () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('do-nothing-server: no count answer'))
        }, 5000)
        const onMsg = (m: unknown): void => {
          if (isMessage(m) && m.type === 'count' && typeof m.checks === 'number') {
            clearTimeout(timer)
            child.off('message', onMsg)
            resolve(m.checks)
          }
        }
        child.on('message', onMsg)
        child.send({ type: 'count' })
      }),
    stop: () => stopTracked(child),
  }
}
