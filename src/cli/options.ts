/**
 * Command-line flags with `PORTCULLIS_*` environment fallbacks (`--grpc-port` ⇄
 * `PORTCULLIS_GRPC_PORT`), defaults in one place (docs/reference/cli.md). Flags win over the
 * environment.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import {
  compileTrustDomains,
  DEFAULT_TRUST_DOMAINS,
  type TrustDomains,
} from '../compile/peer-identity.js'

export const DEFAULTS = {
  grpcPort: 9001,
  httpPort: 9002,
  metricsPort: 9090,
  accountId: '000000000000',
  region: 'us-east-1',
  logLevel: 'info',
  host: '0.0.0.0',
} as const

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** The env variable a flag reads: `--grpc-port` → `PORTCULLIS_GRPC_PORT`. */
export function envName(flag: string): string {
  return `PORTCULLIS_${flag.replace(/-/g, '_').toUpperCase()}`
}

export interface ParsedFlags {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>
  readonly positionals: readonly string[]
}

/**
 * Parses argv against `spec`; string/boolean flags not given on the command line are read from
 * the environment. Unknown flags are usage errors.
 */
export function parseFlags(
  argv: readonly string[],
  spec: OptionSpec,
  env: NodeJS.ProcessEnv = process.env,
  allowPositionals = false,
): ParsedFlags {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const values = { ...parsed.values } as Record<string, string | boolean | string[] | undefined>
  for (const [name, opt] of Object.entries(spec)) {
    if (values[name] !== undefined) continue
    const fromEnv = env[envName(name)]
    if (fromEnv === undefined || fromEnv === '') continue
    if (opt.type === 'boolean') values[name] = fromEnv === 'true' || fromEnv === '1'
    else values[name] = opt.multiple ? fromEnv.split(',') : fromEnv
  }
  return { values, positionals: parsed.positionals }
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new UsageError(`--${name} expects a value`)
  return v
}

export function listFlag(flags: ParsedFlags, name: string): string[] {
  const v = flags.values[name]
  if (v === undefined) return []
  if (Array.isArray(v)) return v
  if (typeof v === 'string') return [v]
  throw new UsageError(`--${name} expects a value`)
}

export function portFlag(flags: ParsedFlags, name: string, fallback: number): number {
  const v = stringFlag(flags, name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name}: not a port: ${v}`)
  return n
}

export function accountFlag(flags: ParsedFlags): string {
  const v = stringFlag(flags, 'account-id') ?? DEFAULTS.accountId
  if (!/^[0-9]{12}$/.test(v)) throw new UsageError(`--account-id: must be 12 digits: ${v}`)
  return v
}

/**
 * `--trust-domains a.example,b.example`: the SPIFFE trust domains whose ids name a namespace and
 * service account (default `cluster.local`). Ids of any other trust domain, and malformed ids,
 * identify no namespace or service account and leave `portcullis:SourcePrincipal` absent, as for a
 * request without mTLS (fail closed: no policy matches on an identity we do not vouch for).
 */
export function trustDomainsFlag(flags: ParsedFlags): TrustDomains {
  const v = stringFlag(flags, 'trust-domains')
  if (v === undefined) return DEFAULT_TRUST_DOMAINS
  const names = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
  try {
    return compileTrustDomains(names)
  } catch (err) {
    throw new UsageError(`--trust-domains: ${(err as Error).message}`)
  }
}

export function regionFlag(flags: ParsedFlags): string {
  const v = stringFlag(flags, 'region') ?? DEFAULTS.region
  if (!/^[a-z]{2}(-[a-z]+)+-[0-9]+$/.test(v)) throw new UsageError(`--region: not a region: ${v}`)
  return v
}
