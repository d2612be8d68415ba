/**
 * Where the session-token keys come from, kept current so a rotation needs no restart: a file
 * (`--sts-key-file`, local mode), polled for changes, or the `keys` entry of a Secret
 * (`--sts-key-secret <namespace>/<name>`, Kubernetes mode), polled through the API server. A
 * changed document that does not parse keeps the last good ring (and says so in the log):
 * dropping every key would end every live session.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises'

import type { Logger } from '../observability/logger.js'
import { parseSessionKeyRing, type SessionKeyRing } from './session-keys.js'

export interface SessionKeySource {
  /** The ring in force; undefined never happens once started (start fails instead). */
  current(): SessionKeyRing | undefined
  close(): void
}

/** The Secret entry holding the key document. */
export const SESSION_KEY_SECRET_ENTRY = 'keys'

/** Polls `read` every `intervalMs`, re-parsing only when the text changed. */
async function pollingSource(
  what: string,
  read: () => Promise<string>,
  intervalMs: number,
  logger: Logger | undefined,
): Promise<SessionKeySource> {
  const first = await read()
  const parsed = parseSessionKeyRing(first)
  if (!parsed.ok) throw new Error(`${what}: ${parsed.error}`)
  let ring = parsed.ring
  let text = first
  let polling = false
  const timer = setInterval(() => {
    if (polling) return
    polling = true
    read()
      .then((next) => {
        if (next === text) return
        text = next
        const r = parseSessionKeyRing(next)
        if (r.ok) {
          ring = r.ring
          logger?.info(
            { source: what, active: r.ring.active.id, keys: r.ring.byId.size },
            'sts: session keys reloaded',
          )
        } else {
          logger?.error(
            { source: what, error: r.error },
            'sts: session keys invalid; keeping the previous keys',
          )
        }
      })
      .catch((err: unknown) => {
        logger?.warn(
          { source: what, err: (err as Error).message },
          'sts: session keys unreadable; keeping the previous keys',
        )
      })
      .finally(() => {
        polling = false
      })
  }, intervalMs)
  timer.unref()
  return {
    current: () => ring,
    close: () => {
      clearInterval(timer)
    },
  }
}

export async function fileSessionKeySource(
  path: string,
  logger?: Logger,
  intervalMs = 2000,
): Promise<SessionKeySource> {
  let mtime = -1
  let last = ''
  // Reads only when the file changed (mtime or size), so polling costs a stat.
  const read = async (): Promise<string> => {
    const s = await stat(path)
    const stamp = s.mtimeMs * 1e6 + s.size
    if (stamp !== mtime) {
      last = await readFile(path, 'utf8')
      mtime = stamp
    }
    return last
  }
  return pollingSource(`--sts-key-file ${path}`, read, intervalMs, logger)
}

/** Reads one Secret's `keys` entry; `get` is a GET of the Secret object (the API server's JSON). */
export async function secretSessionKeySource(
  namespace: string,
  name: string,
  get: (path: string) => Promise<Record<string, unknown>>,
  logger?: Logger,
  intervalMs = 10_000,
): Promise<SessionKeySource> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`
  const read = async (): Promise<string> => {
    const secret = await get(path)
    const data = secret['data']
    const value =
      typeof data === 'object' && data !== null
        ? (data as Record<string, unknown>)[SESSION_KEY_SECRET_ENTRY]
        : undefined
    if (typeof value !== 'string') {
      throw new Error(`Secret ${namespace}/${name} has no '${SESSION_KEY_SECRET_ENTRY}' entry`)
    }
    return Buffer.from(value, 'base64').toString('utf8')
  }
  return pollingSource(`--sts-key-secret ${namespace}/${name}`, read, intervalMs, logger)
}
