/**
 * How usage plans are counted in this process: in process (default), or shared on Redis with the
 * per-replica fallback. Owns the Redis connection, the fallback metrics and the `/readyz` line.
 *
 * @module
 */
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { LocalUsageCounter } from '../usage/local-counter.js'
import { createRedisStore, redactedUrl, type RedisStoreOptions } from '../usage/redis-store.js'
import { SharedUsageCounter } from '../usage/shared-counter.js'

/** How long startup waits for Redis before serving on per-replica limits. */
const CONNECT_WAIT_MS = 2000

export interface UsageCounting {
  readonly counter: LocalUsageCounter | SharedUsageCounter
  /** Lines for `/readyz`. */
  detail(): readonly string[]
  close(): Promise<void>
}

export async function startUsageCounting(
  store: RedisStoreOptions | undefined,
  metrics: Metrics,
  logger: Logger,
): Promise<UsageCounting> {
  if (store === undefined) {
    return {
      counter: new LocalUsageCounter(),
      detail: () => [],
      close: () => Promise.resolve(),
    }
  }
  const where = redactedUrl(store.url)
  let lastErrorLog = 0
  const redis = createRedisStore({
    ...store,
    onError: (err) => {
      // Reconnect attempts repeat the same error: log at most once per 10 s.
      const now = Date.now()
      if (now - lastErrorLog < 10_000) return
      lastErrorLog = now
      logger.warn({ usageStore: where, err: err.message }, 'usage store connection problem')
    },
  })
  const fallback = metrics.usageStoreFallbackCounter()
  const counter = new SharedUsageCounter({
    store: redis,
    onStateChange: (state, reason) => {
      metrics.setUsageStoreShared(state === 'shared')
      if (state === 'fallback') {
        logger.warn(
          { usageStore: where, reason },
          'usage store unavailable: counting usage plans per replica until it answers',
        )
      } else logger.info({ usageStore: where }, 'usage store answers again: counting is shared')
    },
    onFallbackRequest: () => {
      fallback.value++
    },
  })
  metrics.setUsageStoreShared(true)
  if (!(await redis.connected(CONNECT_WAIT_MS))) counter.markUnavailable('not connected at start')
  return {
    counter,
    detail: () => {
      const s = counter.state
      return [
        s.state === 'shared'
          ? `usage-store: shared (${where})`
          : `usage-store: fallback, per-replica limits since ${new Date(s.since).toISOString()} (${s.reason})`,
      ]
    },
    async close() {
      counter.close()
      await redis.close()
    },
  }
}
