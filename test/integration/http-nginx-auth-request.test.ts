/**
 * A REAL nginx in front of the HTTP decision endpoint with `auth_request`: proves the nginx contract
 * end to end — the original method/URI/host reach the checker, identity headers set with
 * `auth_request_set` from our 200 answer reach the upstream (overwriting a client-forged value),
 * 401/403 denials block the request, and any other denial status becomes nginx's 500 (still a deny).
 * nginx missing = FAIL (never skip).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpAuthServer, type RunningHttpServer } from '../../src/servers/ext-authz-http.js'
import { allowOutcome, denyOutcome, RecordingChecker } from '../helpers/recording-checker.js'

const NGINX = '/usr/sbin/nginx'

const checker = new RecordingChecker()
let auth: RunningHttpServer
let upstream: Server
let upstreamSeen: Record<string, string | string[] | undefined>[] = []
let nginx: ChildProcess
let nginxPort: number
let dir: string

/** A port the OS just handed out (nginx cannot report a port-0 bind back to us). */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) =>
    s.close(() => {
      r()
    }),
  )
  return port
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: nginxPort, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function waitForNginx(): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await get('/__probe__')
      return
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(
          `nginx did not start: ${String(err)}\n${readFileSync(join(dir, 'error.log'), 'utf8')}`,
        )
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

beforeAll(async () => {
  if (!existsSync(NGINX))
    throw new Error(`${NGINX} missing: install the Debian package nginx — this test must not skip`)
  dir = mkdtempSync(join(tmpdir(), 'portcullis-nginx-'))
  auth = await startHttpAuthServer({ checker, port: 0, host: '127.0.0.1' })
  upstream = createServer((req, res) => {
    upstreamSeen.push(req.headers)
    res.end('upstream-ok')
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  const upstreamPort = (upstream.address() as AddressInfo).port
  nginxPort = await freePort()
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      auth_request /_portcullis;
      auth_request_set $pc_principal $upstream_http_x_portcullis_principal;
      auth_request_set $pc_team $upstream_http_x_portcullis_context_team;
      proxy_set_header X-Portcullis-Principal $pc_principal;
      proxy_set_header X-Portcullis-Context-Team $pc_team;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location = /_portcullis {
      internal;
      proxy_pass http://127.0.0.1:${auth.port}/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  )
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: 'ignore',
  })
  await waitForNginx()
}, 30_000)

afterAll(async () => {
  nginx.kill('SIGTERM')
  await new Promise<void>((r) =>
    upstream.close(() => {
      r()
    }),
  )
  await auth.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('nginx auth_request in front of Portcullis', () => {
  it('allow: original request reaches the checker; identity headers reach the upstream, a forged one is overwritten', async () => {
    checker.seen.length = 0
    upstreamSeen = []
    checker.next = allowOutcome()
    const r = await get(
      '/prod/pets/42?limit=5',
      {
        host: 'petstore.example.com:8080',
        'x-portcullis-principal': 'arn:aws:iam::999999999999:root',
      },
      'DELETE',
    )
    expect(r.status).toBe(200)
    expect(r.body).toBe('upstream-ok')
    const seen = checker.last()
    expect(seen).toMatchObject({
      method: 'DELETE',
      path: '/prod/pets/42',
      rawQuery: 'limit=5',
      host: 'petstore.example.com',
    })
    expect(seen.headers.get('host')).toBe('petstore.example.com:8080')
    expect(upstreamSeen[0]!['x-portcullis-principal']).toBe('arn:aws:iam::111122223333:user/alice')
    expect(upstreamSeen[0]!['x-portcullis-context-team']).toBe('pets')
  })

  it('deny 401 / 403 block the request with that status', async () => {
    upstreamSeen = []
    checker.next = denyOutcome()
    expect((await get('/x')).status).toBe(401)
    checker.next = denyOutcome({ httpStatus: 403, grpcCode: 7 })
    expect((await get('/x')).status).toBe(403)
    expect(upstreamSeen).toHaveLength(0)
  })

  it('other denial statuses (400, 429, 500) become nginx 500: still denied', async () => {
    upstreamSeen = []
    for (const httpStatus of [400, 429, 500]) {
      checker.next = denyOutcome({ httpStatus, grpcCode: 7 })
      expect((await get('/x')).status).toBe(500)
    }
    checker.next = () => {
      throw new Error('boom')
    }
    expect((await get('/x')).status).toBe(500)
    expect(upstreamSeen).toHaveLength(0)
  })
})
