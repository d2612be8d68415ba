/**
 * `portcullis serve (--config DIR | --kubernetes) [--grpc-port 9001] [--http-port 9002]
 * [--metrics-port 9090] [--grpc-socket PATH] [--account-id ID] [--region R] [--log-level L]`,
 * plus the tuning flags listed in README.md (cache bounds, --jwt-offload-max-in-flight).
 *
 * @module
 */
import { startApp } from '../app/app.js'
import { MAX_OFFLOAD_IN_FLIGHT } from '../authn/jwt/signature-offload.js'
import type { LogLevel } from '../observability/logger.js'
import {
  type ParsedFlags,
  DEFAULTS,
  UsageError,
  accountFlag,
  listFlag,
  parseFlags,
  portFlag,
  regionFlag,
  stringFlag,
  trustDomainsFlag,
} from './options.js'

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export const SERVE_FLAGS = {
  config: { type: 'string' },
  kubernetes: { type: 'boolean' },
  'grpc-port': { type: 'string' },
  'http-port': { type: 'string' },
  'metrics-port': { type: 'string' },
  'grpc-socket': { type: 'string' },
  'bind-address': { type: 'string' },
  'account-id': { type: 'string' },
  region: { type: 'string' },
  'log-level': { type: 'string' },
  'trust-forwarded-from': { type: 'string', multiple: true },
  // SPIFFE trust domains, comma-separated (see trustDomainsFlag; env: PORTCULLIS_TRUST_DOMAINS).
  'trust-domains': { type: 'string' },
  'http-path-prefix': { type: 'string' },
  // Bounds of the per-pod caches (entries): custom-authorizer results and verified JWTs (0 = off).
  'cache-max-entries': { type: 'string' },
  'token-cache-max-entries': { type: 'string' },
  // JWT signature checks allowed in libuv's thread pool at once (0 = on the event loop).
  'jwt-offload-max-in-flight': { type: 'string' },
  // Decision log: `stdout` or a file (off by default); the per-API `decisionLog` settings apply.
  'decision-log': { type: 'string' },
  // Kubernetes mode (env: PORTCULLIS_WATCH_NAMESPACES, comma-separated, empty = all namespaces).
  'watch-namespaces': { type: 'string' },
  'network-policies': { type: 'boolean' },
  'gateway-namespaces': { type: 'string' },
} as const

export async function serveCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const flags = parseFlags(argv, SERVE_FLAGS, env)
  const configDir = stringFlag(flags, 'config')
  const kubernetes = flags.values['kubernetes'] === true
  if (kubernetes && configDir !== undefined) {
    throw new UsageError('serve takes either --config DIR or --kubernetes, not both')
  }
  if (!kubernetes && configDir === undefined) {
    throw new UsageError('serve needs --config DIR or --kubernetes')
  }
  const podNamespace = nonEmpty(env['POD_NAMESPACE'])
  const gateways = stringFlag(flags, 'gateway-namespaces')
  const logLevel = stringFlag(flags, 'log-level') ?? DEFAULTS.logLevel
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level: one of ${LEVELS.join(', ')}`)
  const app = await startApp({
    configDir,
    kubernetes: kubernetes
      ? {
          namespaces: commaList(stringFlag(flags, 'watch-namespaces')),
          networkPolicies: flags.values['network-policies'] === true,
          podName: nonEmpty(env['POD_NAME']),
          podNamespace,
          ...(gateways !== undefined ? { gatewayNamespaces: commaList(gateways) } : {}),
        }
      : undefined,
    host: stringFlag(flags, 'bind-address') ?? DEFAULTS.host,
    grpcPort: portFlag(flags, 'grpc-port', DEFAULTS.grpcPort),
    httpPort: portFlag(flags, 'http-port', DEFAULTS.httpPort),
    metricsPort: portFlag(flags, 'metrics-port', DEFAULTS.metricsPort),
    grpcSocket: stringFlag(flags, 'grpc-socket'),
    accountId: accountFlag(flags),
    region: regionFlag(flags),
    logLevel: logLevel as LogLevel,
    trustForwardedFrom: listFlag(flags, 'trust-forwarded-from'),
    trustDomains: trustDomainsFlag(flags),
    httpPathPrefix: stringFlag(flags, 'http-path-prefix'),
    cacheMaxEntries: countFlag(flags, 'cache-max-entries', 10_000, 1),
    tokenCacheMaxEntries: countFlag(flags, 'token-cache-max-entries', 10_000, 0),
    ...decisionLogFlag(flags),
    ...(stringFlag(flags, 'jwt-offload-max-in-flight') !== undefined
      ? {
          jwtOffloadMaxInFlight: countFlag(
            flags,
            'jwt-offload-max-in-flight',
            0,
            0,
            MAX_OFFLOAD_IN_FLIGHT,
          ),
        }
      : {}),
  })
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      void app.close().finally(resolveStop)
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  return 0
}

function decisionLogFlag(flags: ParsedFlags): { decisionLog?: string } {
  const v = stringFlag(flags, 'decision-log')
  if (v === undefined) return {}
  if (v === '') throw new UsageError('--decision-log: stdout or a file path')
  return { decisionLog: v }
}

function countFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  min: number,
  max = 10_000_000,
): number {
  const v = stringFlag(flags, name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: an integer from ${min} to ${max}, got ${v}`)
  }
  return n
}

function commaList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}
