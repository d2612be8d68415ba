/**
 * `portcullis serve (--config DIR | --kubernetes) [--grpc-port 9001] [--http-port 9002]
 * [--metrics-port 9090] [--grpc-socket PATH] [--account-id ID] [--region R] [--log-level L]`
 *
 * @module
 */
import { startApp } from '../app/app.js'
import type { LogLevel } from '../observability/logger.js'
import {
  DEFAULTS,
  UsageError,
  accountFlag,
  listFlag,
  parseFlags,
  portFlag,
  regionFlag,
  stringFlag,
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
  'http-path-prefix': { type: 'string' },
} as const

export async function serveCommand(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, SERVE_FLAGS)
  const configDir = stringFlag(flags, 'config')
  if (flags.values['kubernetes'] === true) {
    throw new UsageError(
      '--kubernetes: the Kubernetes watch source is not available in this build; use --config DIR',
    )
  }
  if (configDir === undefined) throw new UsageError('serve needs --config DIR')
  const logLevel = stringFlag(flags, 'log-level') ?? DEFAULTS.logLevel
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level: one of ${LEVELS.join(', ')}`)
  const app = await startApp({
    configDir,
    host: stringFlag(flags, 'bind-address') ?? DEFAULTS.host,
    grpcPort: portFlag(flags, 'grpc-port', DEFAULTS.grpcPort),
    httpPort: portFlag(flags, 'http-port', DEFAULTS.httpPort),
    metricsPort: portFlag(flags, 'metrics-port', DEFAULTS.metricsPort),
    grpcSocket: stringFlag(flags, 'grpc-socket'),
    accountId: accountFlag(flags),
    region: regionFlag(flags),
    logLevel: logLevel as LogLevel,
    trustForwardedFrom: listFlag(flags, 'trust-forwarded-from'),
    httpPathPrefix: stringFlag(flags, 'http-path-prefix'),
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
