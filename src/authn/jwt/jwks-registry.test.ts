/**
 * JwksRegistry against real loopback HTTP servers: bounded fetches and their outcomes, fetch
 * collapsing, the unknown-kid cooldown, newest-fetch-wins ordering, stale serving, backoff, close.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LoopbackIssuer } from '../../../test/helpers/jwt-loopback-issuer.js'
import { JwksRegistry, type JwksRegistryOptions } from './jwks-registry.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function issuerWith(...kids: string[]): Promise<LoopbackIssuer> {
  const issuer = new LoopbackIssuer({ pathPrefix: '/us-east-1_Pool1', discovery: true })
  await issuer.start()
  for (const kid of kids) await issuer.addKey('RS256', kid)
  cleanups.push(() => issuer.stop())
  return issuer
}

function reg(opts: JwksRegistryOptions = {}): { r: JwksRegistry; outcomes: string[] } {
  const outcomes: string[] = []
  const r = new JwksRegistry({ retryIntervalMs: 0, ...opts, onFetch: (_u, o) => outcomes.push(o) })
  cleanups.push(() => {
    r.close()
  })
  return { r, outcomes }
}

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve()
    }),
  )
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
}

describe('bounded fetches', () => {
  it('times out a slow JWKS (outcome timeout) and answers unavailable', async () => {
    const issuer = await issuerWith('k1')
    issuer.delayMs = 1000
    const { r, outcomes } = reg({ timeoutMs: 100, retryIntervalMs: 60_000 })
    const got = await r.getKey({ kind: 'jwks', url: issuer.jwksUri }, 'k1', 'RS256')
    expect(got).toEqual({ ok: false, code: 'ERR_JWT_JWKS_UNAVAILABLE' })
    // The issuer would have answered with k1 after its delay: 'timeout' (not 'success') proves
    // the call was cut at timeoutMs rather than waiting for it.
    expect(outcomes).toEqual(['timeout'])
  })

  it('refuses a JWKS over maxBytes, declared by content-length or streamed chunked', async () => {
    const issuer = await issuerWith('k1')
    issuer.jwksBody = JSON.stringify({ keys: [], pad: 'x'.repeat(200_000) })
    const chunked = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = 'x'.repeat(16_384)
      let sent = 0
      const timer = setInterval(() => {
        if (sent++ > 50 || res.destroyed) {
          clearInterval(timer)
          res.end()
          return
        }
        res.write(chunk)
      }, 1)
    })
    const { r, outcomes } = reg({ maxBytes: 150_000, retryIntervalMs: 60_000 })
    expect((await r.getKey({ kind: 'jwks', url: issuer.jwksUri }, 'k1', 'RS256')).ok).toBe(false)
    expect((await r.getKey({ kind: 'jwks', url: chunked }, 'k1', 'RS256')).ok).toBe(false)
    expect(outcomes).toEqual(['too_large', 'too_large'])
  })

  it('classifies non-JSON and key-less documents as invalid, non-200 and redirects as error', async () => {
    const notJson = await issuerWith('k1')
    notJson.jwksBody = '<html>'
    const noKeys = await issuerWith('k1')
    noKeys.jwksBody = JSON.stringify({ keys: [{ kty: 'oct', k: 'AAAA', kid: 'k1' }] })
    const failing = await issuerWith('k1')
    failing.jwksStatus = 500
    const redirect = await rawServer((_req, res) => {
      res.writeHead(302, { location: notJson.jwksUri }).end()
    })
    const { r, outcomes } = reg({ retryIntervalMs: 60_000 }) // no background retries here
    for (const url of [notJson.jwksUri, noKeys.jwksUri, failing.jwksUri, redirect]) {
      expect(await r.getKey({ kind: 'jwks', url }, 'k1', 'RS256')).toEqual({
        ok: false,
        code: 'ERR_JWT_JWKS_UNAVAILABLE',
      })
    }
    expect(outcomes).toEqual(['invalid', 'invalid', 'error', 'error'])
    expect(notJson.jwksFetches).toBe(1) // the redirect was not followed
  })

  it('refuses a discovery document whose issuer differs from the configured one', async () => {
    const issuer = await issuerWith('k1')
    const { r } = reg()
    const got = await r.getKey({ kind: 'discovery', issuer: `${issuer.issuer}/` }, 'k1', 'RS256')
    expect(got.ok).toBe(false)
    expect(r.status()[0]?.lastError).toMatch(/issuer does not match/)
    expect(issuer.jwksFetches).toBe(0)
  })
})

describe('fetch discipline', () => {
  it('collapses concurrent lookups into one fetch', async () => {
    const issuer = await issuerWith('k1')
    issuer.delayMs = 100
    const { r } = reg()
    const all = await Promise.all(
      Array.from({ length: 25 }, () =>
        r.getKey({ kind: 'jwks', url: issuer.jwksUri }, 'k1', 'RS256'),
      ),
    )
    expect(all.every((g) => g.ok)).toBe(true)
    expect(issuer.jwksFetches).toBe(1)
  })

  it('refetches for unknown kids at most once per cooldown', async () => {
    const issuer = await issuerWith('k1')
    let clock = 1_000_000
    const { r } = reg({ cooldownMs: 1000, now: () => clock })
    const src = { kind: 'jwks', url: issuer.jwksUri } as const
    expect((await r.getKey(src, 'k1', 'RS256')).ok).toBe(true)
    expect(await r.getKey(src, 'nope-1', 'RS256')).toEqual({
      ok: false,
      code: 'ERR_JWT_KID_UNKNOWN',
    })
    expect(issuer.jwksFetches).toBe(2)
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => r.getKey(src, `nope-${i + 2}`, 'RS256')),
    )
    expect(burst.every((g) => !g.ok)).toBe(true)
    expect(issuer.jwksFetches).toBe(2)
    clock += 1001
    await issuer.addKey('RS256', 'k2')
    expect((await r.getKey(src, 'k2', 'RS256')).ok).toBe(true)
    expect(issuer.jwksFetches).toBe(3)
  })

  it('never lets a slow older response overwrite a newer key set (sequence numbers)', async () => {
    const issuer = await issuerWith('k1')
    let clock = 1_000_000
    const { r, outcomes } = reg({
      cacheMaxAgeMs: 10_000,
      retryIntervalMs: 10_000,
      cooldownMs: 60_000,
      now: () => clock,
    })
    const src = { kind: 'jwks', url: issuer.jwksUri } as const
    // Generate k2 up front (RSA key generation is slow) and publish it later.
    const k2 = await issuer.addKey('RS256', 'k2')
    issuer.removeKey('k2')
    expect((await r.getKey(src, 'k1', 'RS256')).ok).toBe(true) // fetch 1: {k1}
    clock += 20_000
    issuer.delayMs = 1000
    expect((await r.getKey(src, 'k1', 'RS256')).ok).toBe(true) // starts background fetch 2: {k1}, slow
    await expect.poll(() => issuer.jwksFetches).toBe(2)
    issuer.delayMs = 0
    issuer.keys.push(k2)
    clock += 1
    expect((await r.getKey(src, 'k2', 'RS256')).ok).toBe(true) // unknown kid → fetch 3: {k1,k2}
    expect(issuer.jwksFetches).toBe(3)
    expect(r.status()[0]?.fetches).toBe(3)
    // Wait for fetch 2 to land (its outcome is reported), then check it was discarded.
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(3)
    clock += 1
    expect((await r.getKey(src, 'k2', 'RS256')).ok).toBe(true)
    expect(issuer.jwksFetches).toBe(3)
  })
})

describe('outages', () => {
  it('serves last good keys while refreshes fail, until maxStaleMs', async () => {
    const issuer = await issuerWith('k1')
    let clock = 1_000_000
    const { r, outcomes } = reg({ cacheMaxAgeMs: 1000, maxStaleMs: 60_000, now: () => clock })
    const src = { kind: 'jwks', url: issuer.jwksUri } as const
    expect((await r.getKey(src, 'k1', 'RS256')).ok).toBe(true)
    await issuer.stop()
    clock += 30_000
    expect((await r.getKey(src, 'k1', 'RS256')).ok).toBe(true) // stale but served; refresh fails
    await expect.poll(() => outcomes).toEqual(['success', 'error'])
    expect(r.status()[0]?.state).toBe('stale')
    clock += 31_000
    expect(await r.getKey(src, 'k1', 'RS256')).toEqual({
      ok: false,
      code: 'ERR_JWT_JWKS_UNAVAILABLE',
    })
  })

  it('backs off background retries (50, 100, 200 ms…) and stops them on close()', async () => {
    const issuer = await issuerWith('k1')
    await issuer.stop()
    // Only the retry timers are faked; the failing fetches are real connection refusals.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    cleanups.push(() => {
      vi.useRealTimers()
    })
    const { r, outcomes } = reg({ retryIntervalMs: 50, maxRetryIntervalMs: 10_000 })
    expect((await r.getKey({ kind: 'jwks', url: issuer.jwksUri }, 'k1', 'RS256')).ok).toBe(false)
    expect(outcomes).toEqual(['error'])
    for (const [n, delay] of [
      [2, 50],
      [3, 100],
      [4, 200],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1)
      expect(outcomes).toHaveLength(n - 1) // not yet
      await vi.advanceTimersByTimeAsync(1)
      await expect.poll(() => outcomes.length).toBe(n) // the retry ran at the backed-off delay
    }
    r.close()
    expect(vi.getTimerCount()).toBe(0) // no retry left scheduled
    await vi.advanceTimersByTimeAsync(60_000)
    expect(outcomes).toHaveLength(4)
    expect(await r.getKey({ kind: 'jwks', url: issuer.jwksUri }, 'k1', 'RS256')).toEqual({
      ok: false,
      code: 'ERR_JWT_JWKS_UNAVAILABLE',
    })
  })
})
