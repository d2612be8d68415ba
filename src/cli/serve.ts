/**
 * `portcullis serve (--config DIR | --kubernetes) [--grpc-port 9001] [--http-port 9002]
 * [--metrics-port 9090] [--grpc-socket PATH] [--account-id ID] [--region R] [--log-level L]`,
 * plus the tuning flags listed in README.md (cache bounds, --jwt-offload-max-in-flight).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { startApp } from '../app/app.js'
import { usageStoreProblem } from '../usage/redis-store.js'
import { MAX_OFFLOAD_IN_FLIGHT } from '../authn/jwt/signature-offload.js'
import { DEFAULT_TOKEN_CACHE_MAX } from '../authn/jwt/jwt-verifier.js'
import { LAMBDA_AUTHORIZER_DEFAULTS } from '../authn/lambda/lambda-authorizer-config.js'
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
  // Field and header names redacted from logs besides the built-in ones (env: comma-separated).
  'log-redact': { type: 'string', multiple: true },
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
  // Shared usage-plan counting (env: PORTCULLIS_USAGE_STORE). Its password may come separately
  // from PORTCULLIS_USAGE_STORE_PASSWORD (a Secret), which keeps it out of the command line.
  'usage-store': { type: 'string' },
  'usage-store-ca-file': { type: 'string' },
  // STS endpoint (AssumeRoleWithWebIdentity): off unless --sts-port is given.
  'sts-port': { type: 'string' },
  'sts-tls-cert': { type: 'string' },
  'sts-tls-key': { type: 'string' },
  // Keys sealing session tokens: a file (local mode) or a Secret <namespace>/<name> (Kubernetes).
  'sts-key-file': { type: 'string' },
  'sts-key-secret': { type: 'string' },
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
  const usageStore = stringFlag(flags, 'usage-store')
  if (usageStore !== undefined) {
    const problem = usageStoreProblem(usageStore)
    if (problem !== undefined) throw new UsageError(`--usage-store: ${problem}`)
  }
  const caFile = stringFlag(flags, 'usage-store-ca-file')
  const usagePassword = nonEmpty(process.env['PORTCULLIS_USAGE_STORE_PASSWORD'])
  const logLevel = stringFlag(flags, 'log-level') ?? DEFAULTS.logLevel
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level: one of ${LEVELS.join(', ')}`)
  const logRedact = logRedactFlag(flags)
  const sts = stsOptions(flags, kubernetes)
  const app = await startApp({
    ...sts,
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
    logRedact,
    trustForwardedFrom: listFlag(flags, 'trust-forwarded-from'),
    trustDomains: trustDomainsFlag(flags),
    httpPathPrefix: stringFlag(flags, 'http-path-prefix'),
    ...(usageStore !== undefined
      ? {
          usageStore: {
            url: usageStore,
            ...(usagePassword !== undefined ? { password: usagePassword } : {}),
            ...(caFile !== undefined ? { tls: { ca: await readFile(caFile, 'utf8') } } : {}),
          },
        }
      : {}),
    cacheMaxEntries: countFlag(
      flags,
      'cache-max-entries',
      LAMBDA_AUTHORIZER_DEFAULTS.cacheMaxEntries,
      1,
    ),
    tokenCacheMaxEntries: countFlag(flags, 'token-cache-max-entries', DEFAULT_TOKEN_CACHE_MAX, 0),
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

/** A field or header name: an RFC 9110 token (covers JSON field names as logged, too). */
const REDACT_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/

/**
 * `--log-redact NAME[,NAME...]` (repeatable; env `PORTCULLIS_LOG_REDACT`, comma-separated): extra
 * names whose values never reach the log, matched case-insensitively at any depth of a logged
 * object. They add to the built-in list; nothing can take a name off it.
 */
export function logRedactFlag(flags: ParsedFlags): string[] {
  const names = listFlag(flags, 'log-redact').flatMap((v) => commaList(v))
  for (const name of names) {
    if (!REDACT_NAME.test(name)) {
      throw new UsageError(`--log-redact: not a field or header name: ${JSON.stringify(name)}`)
    }
  }
  return names
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

function stsOptions(
  flags: ParsedFlags,
  kubernetes: boolean,
): {
  stsPort?: number
  stsTls?: { certFile: string; keyFile: string }
  stsKeyFile?: string
  stsKeySecret?: { namespace: string; name: string }
} {
  const port = stringFlag(flags, 'sts-port')
  const cert = stringFlag(flags, 'sts-tls-cert')
  const key = stringFlag(flags, 'sts-tls-key')
  const file = stringFlag(flags, 'sts-key-file')
  const secret = stringFlag(flags, 'sts-key-secret')
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('--sts-tls-cert and --sts-tls-key go together')
  }
  if (file !== undefined && secret !== undefined) {
    throw new UsageError('--sts-key-file and --sts-key-secret exclude each other')
  }
  if (secret !== undefined && !kubernetes) {
    throw new UsageError('--sts-key-secret needs --kubernetes (use --sts-key-file in local mode)')
  }
  const out: ReturnType<typeof stsOptions> = {}
  if (port !== undefined && port !== '') {
    if (file === undefined && secret === undefined) {
      throw new UsageError('--sts-port needs the session keys: --sts-key-file or --sts-key-secret')
    }
    out.stsPort = portFlag(flags, 'sts-port', 0)
  }
  if (cert !== undefined && key !== undefined) out.stsTls = { certFile: cert, keyFile: key }
  if (file !== undefined) out.stsKeyFile = file
  if (secret !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(secret)
    if (m === null) throw new UsageError(`--sts-key-secret: <namespace>/<name>, got ${secret}`)
    out.stsKeySecret = { namespace: m[1] ?? '', name: m[3] ?? '' }
  }
  return out
}
