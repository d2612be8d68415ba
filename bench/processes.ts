/**
 * Child processes the bench starts (servers), tracked by PID so that every one of them — and only
 * them — is stopped on success, on error, on Ctrl-C and on process exit.
 *
 * @module
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'

const started = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/** A temp folder removed at exit, also after Ctrl-C (when finally blocks do not run). */
export function removeAtExit(dir: string): void {
  tempDirs.add(dir)
}

function killNow(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(child.pid, signal)
  } catch {
    // Already gone.
  }
}

let handlersInstalled = false
function installExitHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  // Last resort: 'exit' handlers must be synchronous, so SIGKILL whatever is still running.
  process.on('exit', () => {
    for (const child of started) killNow(child, 'SIGKILL')
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  })
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping the servers it started\n`)
      for (const child of started) killNow(child, 'SIGTERM')
      process.exit(130)
    })
  }
}

/** Spawns a tracked child. Output handling is the caller's (stdio pipes). */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  installExitHandlers()
  const child = spawn(command, args, options)
  started.add(child)
  child.once('exit', () => started.delete(child))
  return child
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopTracked(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve()
    }),
  )
  killNow(child, 'SIGTERM')
  const timer = setTimeout(() => {
    killNow(child, 'SIGKILL')
  }, graceMs)
  await exited
  clearTimeout(timer)
}

/** Stops every child still running (used by the bench's finally block). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((c) => stopTracked(c)))
}

export interface MemoryStatus {
  /** Resident set size now, in MiB. */
  readonly rssMb: number
  /** Peak resident set size since the process started, in MiB. */
  readonly hwmMb: number
}

/** VmRSS and VmHWM from /proc/<pid>/status (Linux). */
export function readMemory(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8')
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    if (m?.[1] === undefined) throw new Error(`/proc/${String(pid)}/status has no ${field}`)
    return Number(m[1])
  }
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 }
}

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat.
 * The bench divides a run's CPU by the requests the server answered: CPU per request does not
 * move when a busy neighbour takes the core away, the way req/s does.
 */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), counted from its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot read CPU time of pid ${String(pid)} from /proc`)
  }
  return (utime + stime) / USER_HZ
}
