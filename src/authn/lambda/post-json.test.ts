import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { postJson } from './post-json.js'

const servers: http.Server[] = []
const agents: http.Agent[] = []
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy()
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections()
          s.close(() => {
            r()
          })
        }),
    ),
  )
})

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler)
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`
}
function agent(): http.Agent {
  const a = new http.Agent({ keepAlive: true })
  agents.push(a)
  return a
}
const body = Buffer.from('{"x":1}')

describe('postJson (real loopback servers)', () => {
  it('POSTs the JSON body with a content-type and returns status, headers and body', async () => {
    let seen = ''
    let type = ''
    const url = await serve((req, res) => {
      type = req.headers['content-type'] ?? ''
      req.on('data', (c: Buffer) => (seen += c.toString()))
      req.on('end', () => res.writeHead(201, { 'x-a': 'b' }).end('hello'))
    })
    const r = await postJson(url, body, { agent: agent(), timeoutMs: 2000, maxResponseBytes: 100 })
    expect(r).toMatchObject({ ok: true, status: 201 })
    expect(r.ok && r.body.toString()).toBe('hello')
    expect(r.ok && r.headers['x-a']).toBe('b')
    expect(seen).toBe('{"x":1}')
    expect(type).toBe('application/json')
  })

  it('a server that never answers → ERR_LAMBDA_TIMEOUT at timeoutMs, not before (fake clock)', async () => {
    // Only the deadline timer is faked; sockets stay real. The request reaches the server, then
    // the answer is still pending just before the deadline and is the timeout at the deadline.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let arrived: () => void = () => undefined
      const atServer = new Promise<void>((r) => (arrived = r))
      const url = await serve(() => {
        arrived() // and never answers
      })
      let settled = false
      const pending = postJson(url, body, { agent: agent(), timeoutMs: 150, maxResponseBytes: 100 })
      void pending.then(() => (settled = true))
      await atServer
      // The deadline is computed from the real clock at call time, so it may land a fraction of
      // a millisecond before 150 on the fake one.
      await vi.advanceTimersByTimeAsync(145)
      expect(settled).toBe(false)
      await vi.advanceTimersByTimeAsync(5)
      expect(settled).toBe(true)
      expect(await pending).toMatchObject({ ok: false, code: 'ERR_LAMBDA_TIMEOUT' })
    } finally {
      vi.useRealTimers()
    }
  })

  it('the deadline covers the body too: headers fast, body trickling → timeout', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200)
      const t = setInterval(() => res.write(' '), 20)
      res.on('close', () => {
        clearInterval(t)
      })
    })
    const r = await postJson(url, body, {
      agent: agent(),
      timeoutMs: 200,
      maxResponseBytes: 10_000,
    })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_TIMEOUT' })
  })

  it('declared content-length above the cap → ERR_LAMBDA_TOO_LARGE without reading it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 1_000_000 })
      res.write('x'.repeat(10))
    })
    const r = await postJson(url, body, { agent: agent(), timeoutMs: 2000, maxResponseBytes: 1000 })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_TOO_LARGE' })
  })

  it('chunked body growing past the cap → ERR_LAMBDA_TOO_LARGE, aborted early', async () => {
    let written = 0
    const url = await serve((_req, res) => {
      res.writeHead(200)
      const chunk = 'y'.repeat(16 * 1024)
      const t = setInterval(() => {
        if (res.destroyed) {
          clearInterval(t)
          return
        }
        written += chunk.length
        res.write(chunk)
      }, 1)
      res.on('close', () => {
        clearInterval(t)
      })
    })
    const r = await postJson(url, body, {
      agent: agent(),
      timeoutMs: 5000,
      maxResponseBytes: 64 * 1024,
    })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_TOO_LARGE' })
    // The server was cut off soon after the cap, not allowed to stream until the deadline.
    expect(written).toBeLessThan(4 * 1024 * 1024)
  })

  it('nothing listening → ERR_LAMBDA_UNREACHABLE', async () => {
    const url = await serve(() => undefined)
    const s = servers.pop()
    await new Promise<void>((r) =>
      s?.close(() => {
        r()
      }),
    )
    const r = await postJson(url, body, { agent: agent(), timeoutMs: 2000, maxResponseBytes: 100 })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_UNREACHABLE' })
  })

  it('server resets the connection mid-call → ERR_LAMBDA_UNREACHABLE', async () => {
    const url = await serve((req) => req.socket.destroy())
    const r = await postJson(url, body, { agent: agent(), timeoutMs: 2000, maxResponseBytes: 100 })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_UNREACHABLE' })
  })

  it('connection closed before the declared body ended → ERR_LAMBDA_UNREACHABLE', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 100 })
      res.write('{"a":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const r = await postJson(url, body, { agent: agent(), timeoutMs: 2000, maxResponseBytes: 1000 })
    expect(r).toMatchObject({ ok: false, code: 'ERR_LAMBDA_UNREACHABLE' })
  })

  it('keep-alive: sequential calls reuse one connection', async () => {
    const sockets = new Set<unknown>()
    const url = await serve((req, res) => {
      sockets.add(req.socket)
      req.resume()
      req.on('end', () => res.end('{}'))
    })
    const a = agent()
    for (let i = 0; i < 5; i++) {
      const r = await postJson(url, body, { agent: a, timeoutMs: 2000, maxResponseBytes: 100 })
      expect(r.ok).toBe(true)
    }
    expect(sockets.size).toBe(1)
  })

  it('a reused keep-alive socket that fails before any answer is retried once on a fresh socket', async () => {
    const perSocket = new Map<unknown, number>()
    const url = await serve((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1
      perSocket.set(req.socket, n)
      // Second request on a kept-alive socket: drop it without answering (the server-side idle
      // close race), so the client sees ECONNRESET on a reused socket.
      if (n > 1) {
        req.socket.destroy()
        return
      }
      req.resume()
      req.on('end', () => res.end('{}'))
    })
    const a = agent()
    const opts = { agent: a, timeoutMs: 2000, maxResponseBytes: 100 }
    expect((await postJson(url, body, opts)).ok).toBe(true)
    const second = await postJson(url, body, opts)
    expect(second.ok).toBe(true)
    expect(perSocket.size).toBe(2)
  })
})
