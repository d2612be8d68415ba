/**
 * pino logger factory with redaction: credentials never reach the log, whatever object a caller
 * logs (headers as objects or Maps, nested errors, URLs with presigned-URL signatures).
 *
 * @module
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino'
import { COUNTED_KINDS } from '../api/v1alpha1/index.js'

export type Logger = PinoLogger
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface LoggerOptions {
  /** Minimum level written. Default `info`. */
  readonly level?: LogLevel
  /** Extra field/header names (case-insensitive, exact) to redact: `serve --log-redact`. */
  readonly redactKeys?: readonly string[]
  /** Where lines go. Default stdout. Tests pass a stream to read the output. */
  readonly destination?: DestinationStream
  /** Static fields on every line. */
  readonly base?: Record<string, unknown>
}

export const REDACTED = '[REDACTED]'

/** Exact names (lower-case) always redacted: authorino's defaults plus AWS's session token. */
const DEFAULT_REDACT_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-amz-security-token',
]
/** Any key containing one of these (lower-case) is redacted too. */
const REDACT_KEY_PARTS = [
  'secret',
  'token',
  'password',
  'credential',
  'signature',
  'apikey',
  'api_key',
]
/** Presigned-URL query parameters that are credentials (SigV4 query authentication). */
const URL_SECRET_PARAMS = new Set(['x-amz-signature', 'x-amz-credential', 'x-amz-security-token'])
const MAX_DEPTH = 8

/**
 * Kind names a {@link kindCounts} field may show: the registry's kinds and the core objects the
 * compiler counts. `ApiKey` and `Secret` contain redacted key parts, so without this exemption the
 * per-kind counts would print as redacted.
 */
const SHOWN_COUNTS: ReadonlySet<string> = new Set<string>(COUNTED_KINDS)

/** A per-kind object-count record, marked by its caller as safe to show (see {@link kindCounts}). */
export class KindCounts {
  constructor(readonly counts: Readonly<Record<string, unknown>>) {}
}

/**
 * Marks `counts` as per-kind object counts so that `ApiKey: 3` and `Secret: 2` are logged. The
 * exemption is narrow on purpose: only a known kind name with a non-negative integer value is shown;
 * any other entry goes through the ordinary redaction, so a secret can never leak through it.
 */
export function kindCounts(counts: Readonly<Record<string, unknown>>): KindCounts {
  return new KindCounts(counts)
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Scrubs `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token` values from a URL, a
 * `path?query` or a bare query string; everything else is kept byte for byte.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  const looksLikeBareQuery = q === -1 && url.includes('=') && !url.includes('/')
  if (q === -1 && !looksLikeBareQuery) return url
  const head = q === -1 ? '' : url.slice(0, q + 1)
  const hashAt = url.indexOf('#', q + 1)
  const query = url.slice(q + 1, hashAt === -1 ? undefined : hashAt)
  const tail = hashAt === -1 ? '' : url.slice(hashAt)
  let changed = false
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=')
    const rawName = eq === -1 ? part : part.slice(0, eq)
    let name: string
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase()
    } catch {
      name = rawName.toLowerCase()
    }
    if (!URL_SECRET_PARAMS.has(name)) return part
    changed = true
    return `${rawName}=${REDACTED}`
  })
  return changed ? `${head}${parts.join('&')}${tail}` : url
}

function isUrlKey(key: string): boolean {
  return (
    key === 'url' ||
    key === 'uri' ||
    key === 'path' ||
    key === 'rawquery' ||
    key === 'query' ||
    key.endsWith('url')
  )
}

/** Returns a redacted copy of `value` (objects, arrays, Maps, Errors); primitives pass through. */
export function redactValue(
  value: unknown,
  isSecretKey: (lowerKey: string) => boolean,
  depth = 0,
): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[Truncated]'
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`
  if (value instanceof KindCounts) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value.counts)) {
      out[k] = SHOWN_COUNTS.has(k) && isCount(v) ? v : redactEntry(k, v, isSecretKey, depth)
    }
    return out
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, isSecretKey, depth + 1))
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v])
      : value instanceof Error
        ? [
            ['type', value.name],
            ['message', value.message],
            ['stack', value.stack],
            ...Object.entries(value),
          ]
        : Object.entries(value)
  const out: Record<string, unknown> = {}
  for (const [k, v] of entries) out[k] = redactEntry(k, v, isSecretKey, depth)
  return out
}

/** The redacted value of one field `key: value` of an object at `depth`. */
function redactEntry(
  key: string,
  value: unknown,
  isSecretKey: (lowerKey: string) => boolean,
  depth: number,
): unknown {
  const lower = key.toLowerCase()
  if (isSecretKey(lower)) return REDACTED
  if (typeof value === 'string' && isUrlKey(lower)) return redactUrl(value)
  return redactValue(value, isSecretKey, depth + 1)
}

/** Builds the process logger. JSON lines, ISO time, every logged object passed through redaction. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const exact = new Set([
    ...DEFAULT_REDACT_KEYS,
    ...(options.redactKeys ?? []).map((k) => k.toLowerCase()),
  ])
  const isSecretKey = (k: string): boolean =>
    exact.has(k) || REDACT_KEY_PARTS.some((p) => k.includes(p))
  const opts = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    // `err` is redacted like any other object (its own serializer would bypass formatters.log).
    serializers: { err: (e: unknown) => e },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (obj: Record<string, unknown>) =>
        redactValue(obj, isSecretKey) as Record<string, unknown>,
    },
  }
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination)
}
