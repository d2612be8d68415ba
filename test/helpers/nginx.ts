/**
 * A REAL nginx (Debian's /usr/sbin/nginx) for end-to-end tests: unprivileged paths under a temp
 * prefix, loopback ports the OS just handed out, foreground process killed by PID on stop. A
 * missing binary throws (tests must fail, never skip).
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopChild } from './stop-child.js'

export const NGINX_BIN = '/usr/sbin/nginx'

export interface RunningNginx {
  /** Temp prefix (config, pid, temp paths). */
  readonly dir: string
  /** The loopback ports handed to `httpBlock`, in order, all listening. */
  readonly ports: readonly number[]
  /** nginx's stderr so far (error_log goes there). */
  stderr(): string
  stop(): Promise<void>
}

export interface StartNginxOptions {
  /** Number of loopback ports to allocate for `listen` directives. */
  readonly portCount: number
  /** The body of the `http {}` block, given the allocated ports and the temp prefix. */
  readonly httpBlock: (ports: readonly number[], dir: string) => string
  readonly startTimeoutMs?: number
}

/** A port the OS just handed out (nginx cannot bind port 0 and report it back). */
export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) =>
    s.close(() => {
      resolve()
    }),
  )
  return port
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

async function startOnce(opts: StartNginxOptions): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-nginx-'))
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, d))
  const ports: number[] = []
  for (let i = 0; i < opts.portCount; i++) ports.push(await freePort())
  // As root the master would switch workers to `nobody`, who cannot use our 0700 temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  const conf = `${user}worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${opts.httpBlock(ports, dir)}
}
`
  const confPath = join(dir, 'nginx.conf')
  await writeFile(confPath, conf)
  let stderr = ''
  const child = spawn(
    NGINX_BIN,
    [
      '-p',
      dir,
      '-c',
      confPath,
      '-e',
      'stderr',
      '-g',
      `daemon off; pid ${dir}/nginx.pid; error_log stderr;`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  const running: RunningNginx = {
    dir,
    ports,
    stderr: () => stderr,
    async stop() {
      await stopChild(child, 5000)
      await rm(dir, { recursive: true, force: true })
    },
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await running.stop()
      throw new Error(`nginx exited during start (code ${String(child.exitCode)}):\n${stderr}`)
    }
    const up = await Promise.all(ports.map(canConnect))
    if (up.every(Boolean)) return running
    if (Date.now() > deadline) {
      await running.stop()
      throw new Error(`nginx did not listen on ${ports.join(', ')} in time:\n${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Starts nginx in the foreground (`daemon off`). Retries with fresh ports when another process
 * took one of them between allocation and nginx's bind.
 */
export async function startNginx(opts: StartNginxOptions): Promise<RunningNginx> {
  if (!existsSync(NGINX_BIN)) {
    throw new Error(
      `${NGINX_BIN} missing: install Debian's nginx (scripts/ensure-tools.sh) — this test must not skip`,
    )
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts)
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('Address already in use')) throw err
    }
  }
}
