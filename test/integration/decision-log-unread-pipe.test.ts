/**
 * `portcullis serve --decision-log stdout` as a real process (bin/portcullis.js) whose standard
 * output is a real OS pipe (a FIFO, as container runtimes give containers) that nobody reads. The
 * kernel's pipe buffer fills within the first few hundred lines; proves that every one of thousands
 * of gRPC checks is still answered, that /metrics keeps answering, and that the lines that found no
 * room were dropped and counted. A logger or decision log writing stdout synchronously would stall
 * the event loop here and the checks would never complete.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest, createOfficialCheckClient } from '../helpers/envoy-client.js'
import { DEFAULT_DECISION_LOG_QUEUE } from '../../src/observability/decision-log.js'
import { freePort } from '../helpers/nginx.js'
import { answer } from '../helpers/portcullis-app.js'
import { stopChild } from '../helpers/stop-child.js'

const ROOT = resolve(import.meta.dirname, '../..')
const HOST = 'flood.example.com'
const CHECKS = 12_000
/** Every tenth check is refused; the others are logged: more than the decision log's queue holds,
 * so once the pipe is full the queue fills and lines must be dropped. */
const LOGGED = CHECKS - CHECKS / 10
const QUEUE = DEFAULT_DECISION_LOG_QUEUE
const IN_FLIGHT = 32

const FLOOD_API = `apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: flood, namespace: shop}
spec:
  hosts: [${HOST}]
  decisionLog: {enabled: true, sample: 1}
  routes:
    - {path: "/{proxy+}", methods: [GET], authorizationType: NONE}
`

function metricSum(text: string, prefix: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

describe('serve --decision-log stdout into a pipe nobody reads', () => {
  let dir: string
  let child: ChildProcess
  let readFd: number | undefined
  let stderr = ''
  let grpcPort: number
  let metricsPort: number

  const metrics = async (): Promise<string> =>
    (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text()

  async function startServe(configDir: string, stdout: number): Promise<void> {
    ;[grpcPort, metricsPort] = [await freePort(), await freePort()]
    const httpPort = await freePort()
    stderr = ''
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/portcullis.js'),
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
        '--decision-log',
        'stdout',
      ],
      { cwd: ROOT, stdio: ['ignore', stdout, 'pipe'] },
    )
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const deadline = Date.now() + 60_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited early:\n${stderr}`)
      const ready = await fetch(`http://127.0.0.1:${String(metricsPort)}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ready) return
      if (Date.now() > deadline) {
        await stopChild(child, 5000)
        throw new Error(`serve never became ready:\n${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-unread-pipe-'))
    // The FIFO stays out of the configuration directory, which the loader reads whole.
    const configDir = join(dir, 'config')
    await mkdir(configDir)
    await writeFile(join(configDir, 'flood.yaml'), FLOOD_API)
    const fifo = join(dir, 'stdout.fifo')
    const made = spawnSync('mkfifo', [fifo])
    if (made.status !== 0) throw new Error(`mkfifo failed: ${String(made.stderr)}`)
    // Our end is opened and never read (O_NONBLOCK so that opening does not wait for a writer);
    // keeping it open means the child's writes fill the pipe instead of failing with EPIPE.
    readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writeFd = openSync(fifo, constants.O_WRONLY)
    try {
      // The ports are picked before serve binds them: another process may take one meanwhile.
      for (let attempt = 1; ; attempt++) {
        try {
          await startServe(configDir, writeFd)
          break
        } catch (err) {
          if (attempt >= 3 || !stderr.includes('EADDRINUSE')) throw err
        }
      }
    } finally {
      closeSync(writeFd)
    }
  }, 90_000)

  afterAll(async () => {
    if (child !== undefined) await stopChild(child, 5000)
    if (readFd !== undefined) closeSync(readFd)
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it(`answers all ${String(CHECKS)} checks and counts the decision lines it dropped`, async () => {
    const client = createOfficialCheckClient(`127.0.0.1:${String(grpcPort)}`)
    const statuses = new Map<number, number>()
    let next = 0
    try {
      const worker = async (): Promise<void> => {
        while (next < CHECKS) {
          const i = next++
          // Every tenth request is refused before any API is known, and Portcullis logs that (its
          // own log, on the same full pipe): the logger must not stall either.
          const host = i % 10 === 9 ? `${HOST}/bad` : HOST
          const r = answer(
            await client.check(buildCheckRequest({ host, path: `/items/${String(i)}` })),
          )
          statuses.set(r.http, (statuses.get(r.http) ?? 0) + 1)
        }
      }
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    } finally {
      client.close()
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: LOGGED, 400: CHECKS - LOGGED })

    // The process is still responsive (its event loop is not stuck on stdout) and counted it all.
    const text = await metrics()
    expect(
      metricSum(text, 'portcullis_check_requests_total{api="shop/flood",decision="allow"'),
    ).toBe(LOGGED)
    const dropped = metricSum(text, 'portcullis_decision_log_dropped_total')
    const written = metricSum(text, 'portcullis_decision_log_lines_total')
    expect(dropped).toBeGreaterThan(0)
    // Every line was written, dropped or is still queued (at most the queue's length).
    expect(written + dropped).toBeLessThanOrEqual(LOGGED)
    expect(written + dropped).toBeGreaterThanOrEqual(LOGGED - QUEUE)
    expect(child.exitCode).toBeNull()
  }, 180_000)
})
