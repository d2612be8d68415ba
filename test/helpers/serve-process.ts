/**
 * A real `portcullis serve` process (bin/portcullis.js, as an operator runs it) on free loopback
 * ports, for tests that need separate replicas or load from another process. Resolves once
 * /readyz says what the test waits for; rejects with the process's output if it exits first.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from './nginx.js'
import { stopChild } from './stop-child.js'

export interface ServeProcessOptions {
  readonly configDir: string
  /** More `serve` arguments, e.g. `['--usage-store', url]`. */
  readonly args?: readonly string[]
  /** Extra environment (merged over the test's). */
  readonly env?: NodeJS.ProcessEnv
  /** When /readyz's text means ready. Default: it starts with `ready`. */
  readonly readyWhen?: (readyz: string) => boolean
}

export interface ServeProcess {
  readonly child: ChildProcess
  readonly grpcPort: number
  readonly httpPort: number
  readonly metricsPort: number
  /** Everything the process wrote to stdout and stderr so far. */
  log(): string
  readyz(): Promise<string>
  metrics(): Promise<string>
  stop(): Promise<void>
}

export async function startServeProcess(opts: ServeProcessOptions): Promise<ServeProcess> {
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()]
  const child = spawn(
    process.execPath,
    [
      'bin/portcullis.js',
      'serve',
      ...['--config', opts.configDir, '--bind-address', '127.0.0.1'],
      ...['--grpc-port', String(grpcPort), '--http-port', String(httpPort)],
      ...['--metrics-port', String(metricsPort), '--log-level', 'warn'],
      ...(opts.args ?? []),
    ],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let log = ''
  child.stdout.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr.on('data', (d: Buffer) => (log += d.toString()))
  const admin = (path: string) => async () =>
    (await fetch(`http://127.0.0.1:${String(metricsPort)}${path}`)).text()
  const p: ServeProcess = {
    child,
    grpcPort,
    httpPort,
    metricsPort,
    log: () => log,
    readyz: admin('/readyz'),
    metrics: admin('/metrics'),
    stop: () => stopChild(child, 3000),
  }
  const ready = opts.readyWhen ?? ((text: string) => text.startsWith('ready'))
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`portcullis exited: ${log}`)
    if (ready(await p.readyz().catch(() => ''))) return p
    await new Promise((res) => setTimeout(res, 50))
  }
  await p.stop()
  throw new Error(`portcullis did not become ready: ${log}`)
}
