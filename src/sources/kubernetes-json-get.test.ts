import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { apiServerJsonGetter } from './kubernetes-json-get.js'

// A loopback stand-in for the API server's `/openid/v1/jwks`: what the getter sends (credentials,
// Accept) and how it bounds the answer (status, size, time). The real API server, with TLS and
// RBAC, is exercised by test/integration/sts-kubernetes-serviceaccount.test.ts.
let server: Server
let seen: IncomingHttpHeaders[] = []
let get: ReturnType<typeof apiServerJsonGetter>
const LIMITS = { timeoutMs: 300, maxBytes: 1000 }

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers)
    if (req.url === '/ok') {
      res.setHeader('content-type', 'application/jwk-set+json')
      res.end('{"keys":[]}')
    } else if (req.url === '/big') {
      // No content-length: the ceiling is enforced while streaming.
      res.write('{"keys":["')
      res.end('x'.repeat(5000) + '"]}')
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('{}'), 2000).unref()
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://elsewhere.example/' }).end()
    } else {
      res.writeHead(403).end('{"kind":"Status","reason":"Forbidden"}')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const kc = new KubeConfig()
  kc.loadFromOptions({
    // Plain HTTP on loopback: client-node allows it only with skipTLSVerify.
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'portcullis-sa-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  get = apiServerJsonGetter(kc)
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => {
    server.close(() => {
      r()
    })
  })
})

describe('apiServerJsonGetter', () => {
  it("sends Portcullis's own bearer token and accepts the API server's JWKS media type", async () => {
    seen = []
    expect(await get('/ok', LIMITS)).toEqual({ ok: true, json: { keys: [] } })
    expect(seen[0]?.['authorization']).toBe('Bearer portcullis-sa-token')
    expect(seen[0]?.['accept']).toContain('application/jwk-set+json')
  })

  it('fails closed on a refusal, a redirect, an oversized body and a slow answer', async () => {
    expect(await get('/forbidden', LIMITS)).toMatchObject({
      ok: false,
      outcome: 'error',
      reason: 'HTTP 403',
    })
    expect(await get('/redirect', LIMITS)).toMatchObject({
      ok: false,
      outcome: 'error',
      reason: 'HTTP 302',
    })
    expect(await get('/big', LIMITS)).toMatchObject({ ok: false, outcome: 'too_large' })
    expect(await get('/slow', LIMITS)).toMatchObject({ ok: false, outcome: 'timeout' })
  })

  it('an aborted registry stops the fetch', async () => {
    const abort = new AbortController()
    const pending = get('/slow', { ...LIMITS, timeoutMs: 5000, signal: abort.signal })
    abort.abort()
    expect(await pending).toEqual({ ok: false, outcome: 'error', reason: 'aborted' })
  })
})
