/**
 * `portcullis` command line as a function: argv → subcommand → exit code, writing to the streams
 * it is given. `main.ts` binds it to the process; tests call it in-process.
 *
 * @module
 */
import { checkCommand } from './check.js'
import { importCommand } from './import.js'
import { UsageError } from './options.js'
import { serveCommand } from './serve.js'
import { validateCommand } from './validate.js'

export const USAGE = `usage:
  portcullis serve (--config DIR | --kubernetes) [--grpc-port 9001] [--http-port 9002]
                   [--metrics-port 9090] [--grpc-socket PATH] [--account-id ID] [--region R]
                   [--log-level L] [--bind-address ADDR] [--trust-forwarded-from CIDR]...
                   [--trust-domains TD,...]
                   [--http-path-prefix P] [--cache-max-entries N] [--token-cache-max-entries N]
                   [--jwt-offload-max-in-flight N] [--watch-namespaces NS,...]
                   [--network-policies] [--gateway-namespaces NS,...]
  portcullis check --config DIR --method M --url URL [-H 'Name: value']... [--source-ip IP]
                   [--source-principal SPIFFE] [--trust-domains TD,...]
                   [--context-extension k=v]... [--data BODY] [--json]
  portcullis validate PATH...
  portcullis import [--format openapi|sam|cloudformation] [--stage S] [--namespace NS] [--out DIR] FILE...
--trust-domains (default cluster.local): SPIFFE ids of other trust domains, and malformed ids,
identify no namespace or service account, and portcullis:SourcePrincipal is absent for them.
Every flag can also be set as PORTCULLIS_<FLAG> (e.g. PORTCULLIS_GRPC_PORT=9001).`

/** Where a command writes: `process.stdout`/`process.stderr`, or a test's collectors. */
export interface CliWritable {
  write(chunk: string): unknown
}

export interface CliIo {
  readonly stdout: CliWritable
  readonly stderr: CliWritable
  /** Source of the PORTCULLIS_* flags and pod identity; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Runs one command; resolves to its exit code (0 ok/allow, 1 deny/invalid, 2 usage or error, 3 an
 * import that approximated or left something out).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv
  const env = io.env ?? process.env
  const out = (s: string): void => void io.stdout.write(`${s}\n`)
  const err = (s: string): void => void io.stderr.write(`${s}\n`)
  try {
    switch (cmd) {
      case 'serve':
        return await serveCommand(rest, env)
      case 'check':
        return await checkCommand(rest, out, err, env)
      case 'validate':
        return await validateCommand(rest, out, err, env)
      case 'import':
        return await importCommand(rest, out, err, env)
      case '--help':
      case '-h':
      case 'help':
        out(USAGE)
        return 0
      case undefined:
      default:
        err(USAGE)
        return 2
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`portcullis: ${e.message}`)
      err(USAGE)
      return 2
    }
    err(`portcullis: ${(e as Error).stack ?? String(e)}`)
    return 2
  }
}
