/**
 * A REAL redis-server (Debian's package) for the shared-counting tests: loopback only, a port the
 * OS just handed out, a temp directory, no persistence, optional password and TLS (certificates
 * made with openssl in the temp directory), killed by PID. It can be killed and restarted on the
 * same port. A missing binary throws (tests must fail, never skip).
 *
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './nginx.js'
import { stopChild } from './stop-child.js'

export const REDIS_BIN = '/usr/bin/redis-server'
const run = promisify(execFile)

export interface RedisTls {
  /** PEM of the test CA that signed the server certificate. */
  readonly ca: string
}

export interface RunningRedis {
  readonly port: number
  /** `redis://` or `rediss://` URL, with the password when one is set. */
  readonly url: string
  readonly tls: RedisTls | undefined
  /** Kills the server (SIGKILL, as a crash would). */
  kill(): Promise<void>
  /** Starts it again on the same port, with an empty data set. */
  restart(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers, as a stalled host. */
  pause(): void
  /** Lets a paused server run again (SIGCONT). */
  resume(): void
  stop(): Promise<void>
}

export interface StartRedisOptions {
  /** A fixed loopback port (the bench's peers use fixed ports); default: a free one. */
  readonly port?: number
  readonly password?: string
  readonly tls?: boolean
}

async function makeCerts(dir: string): Promise<void> {
  const o = (...args: string[]) => run('openssl', args, { cwd: dir })
  await o(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  )
  await o(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  )
  await run('sh', ['-c', "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > ext.cnf"], {
    cwd: dir,
  })
  await o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  )
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.destroy()
      resolve(true)
    })
    sock.on('error', () => {
      resolve(false)
    })
  })
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RunningRedis> {
  if (!existsSync(REDIS_BIN)) {
    throw new Error(
      `${REDIS_BIN} missing (scripts/ensure-tools.sh installs redis-server) — must not skip`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-redis-'))
  const port = opts.port ?? (await freePort())
  let ca: string | undefined
  if (opts.tls === true) {
    await makeCerts(dir)
    ca = await readFile(join(dir, 'ca.crt'), 'utf8')
  }
  const args = [
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
    ...(opts.password !== undefined ? ['--requirepass', opts.password] : []),
    ...(opts.tls === true
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          join(dir, 'server.crt'),
          '--tls-key-file',
          join(dir, 'server.key'),
          '--tls-ca-cert-file',
          join(dir, 'ca.crt'),
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
  ]
  let child: ChildProcess | undefined
  let stderr = ''
  const start = async (): Promise<void> => {
    const c = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = c
    c.stdout?.on('data', (d: Buffer) => (stderr += d.toString()))
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    for (let i = 0; i < 200; i++) {
      if (c.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`)
      if (await canConnect(port)) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`redis-server did not listen on ${port}: ${stderr}`)
  }
  await start()
  const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : ''
  return {
    port,
    url: `${opts.tls === true ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    tls: ca === undefined ? undefined : { ca },
    async kill() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) =>
          child?.once('exit', () => {
            r()
          }),
        )
        child.kill('SIGKILL')
        await exited
      }
    },
    async restart() {
      await start()
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    async stop() {
      // A paused server would never see the SIGTERM stopChild sends first.
      child?.kill('SIGCONT')
      if (child !== undefined) await stopChild(child, 2000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
