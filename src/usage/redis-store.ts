/**
 * The Redis side of shared counting: two Lua scripts, each one atomic round trip. Quota counts live
 * under `<prefix>q:<plan>\n<key>\n<period start>` (expiring a day after the period), token buckets
 * under `<prefix>b:<plan>\n<key>[\n<method>]` as {tokens, ts}, refilled by Redis's own clock so
 * replicas with skewed clocks share one bucket fairly.
 *
 * @module
 */
import { createClient, type RedisClientOptions } from '@redis/client'
import type { LeaseStore } from './shared-counter.js'
import type { Throttle } from './token-bucket.js'

const QUOTA_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[2])
local grant = math.max(0, math.min(tonumber(ARGV[3]), tonumber(ARGV[1]) - used))
used = used + grant
redis.call('SET', KEYS[1], used, 'PX', ARGV[4])
return {grant, used}
`

const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(s[1]), tonumber(s[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
local elapsed = math.max(0, now - ts)
tokens = math.min(burst, tokens + elapsed * rate / 1000) - tonumber(ARGV[3])
local grant = 0
if tokens >= 1 then grant = math.min(tonumber(ARGV[4]), math.floor(tokens)) end
tokens = tokens - grant
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
local idle = 60000
if rate > 0 then idle = math.max(idle, math.ceil(burst * 1000 / rate) * 2) end
redis.call('PEXPIRE', KEYS[1], idle)
return {grant, tostring(tokens)}
`

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...` (TLS). */
  readonly url: string
  /** Overrides a password in the URL (e.g. read from a Secret). */
  readonly password?: string
  /** TLS settings for `rediss://`: CA bundle, client certificate. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string }
  readonly prefix?: string
  /** Told of connection errors (never with the URL: it may carry a password). */
  readonly onError?: (err: Error) => void
}

export interface RedisStore extends LeaseStore {
  /**
   * Resolves true once connected, or false after `timeoutMs` (startup waits for this, so a
   * reachable Redis is shared from the first request; an unreachable one never delays serving).
   */
  connected(timeoutMs: number): Promise<boolean>
  close(): Promise<void>
}

type Reply = number | string | (number | string)[]

/** Checks a `--usage-store` value; returns a problem, or undefined when usable. */
export function usageStoreProblem(url: string): string | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return 'must be a URL: redis://[user:pass@]host:port[/db] or rediss://...'
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return 'must start with redis:// or rediss://'
  }
  if (u.hostname === '') return 'needs a host'
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/[0-9]{1,2}$/.test(u.pathname)) {
    return 'the path, when present, is a database number (/0 … /15)'
  }
  return undefined
}

/** The URL without its password, for logs and /readyz. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

export function createRedisStore(opts: RedisStoreOptions): RedisStore {
  const prefix = opts.prefix ?? 'portcullis:'
  const tls = opts.url.startsWith('rediss:')
  // A separate password (from a Secret) wins over one in the URL.
  const url = new URL(opts.url)
  if (opts.password !== undefined) url.password = ''
  const options: RedisClientOptions = {
    url: url.toString(),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    // Commands fail at once while disconnected: a check never waits for a reconnect.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
      ...(tls
        ? {
            tls: true as const,
            ...(opts.tls?.ca !== undefined ? { ca: opts.tls.ca } : {}),
            ...(opts.tls?.cert !== undefined ? { cert: opts.tls.cert } : {}),
            ...(opts.tls?.key !== undefined ? { key: opts.tls.key } : {}),
          }
        : {}),
    },
  }
  const client = createClient(options)
  client.on('error', (err: Error) => {
    opts.onError?.(err)
  })
  // Not awaited here: see connected().
  const connecting = client.connect().then(
    () => true,
    (err: unknown) => {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)))
      return false
    },
  )
  const evalScript = async (script: string, key: string, args: string[]): Promise<Reply> =>
    (await client.eval(script, { keys: [key], arguments: args })) as Reply
  return {
    async leaseQuota(id, limit, debt, want, ttlMs) {
      const reply = await evalScript(QUOTA_SCRIPT, `${prefix}q:${id}`, [
        String(limit),
        String(debt),
        String(want),
        String(Math.max(1000, Math.ceil(ttlMs))),
      ])
      if (!Array.isArray(reply)) throw new Error('unexpected quota script reply')
      return { granted: Number(reply[0]), used: Number(reply[1]) }
    },
    async leaseTokens(id, limits: Throttle, debt, want) {
      const reply = await evalScript(BUCKET_SCRIPT, `${prefix}b:${id}`, [
        String(limits.rateLimit),
        String(limits.burstLimit),
        String(debt),
        String(want),
      ])
      if (!Array.isArray(reply)) throw new Error('unexpected bucket script reply')
      // Lua numbers become integers in replies: the balance (fractional, maybe negative) is a string.
      return { granted: Number(reply[0]), tokens: Number(reply[1]) }
    },
    async connected(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(false)
        }, timeoutMs)
      })
      const ok = await Promise.race([connecting, late])
      clearTimeout(timer)
      return ok && client.isReady
    },
    async ping() {
      await client.ping()
    },
    async close() {
      client.destroy()
      return Promise.resolve()
    },
  }
}
