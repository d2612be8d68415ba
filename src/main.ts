/**
 * `portcullis` command line: argv → subcommand → exit code. No logic lives here.
 *
 * @module
 */
import { checkCommand } from './cli/check.js'
import { importCommand } from './cli/import.js'
import { serveCommand } from './cli/serve.js'
import { validateCommand } from './cli/validate.js'
import { UsageError } from './cli/options.js'

const USAGE = `usage:
  portcullis serve (--config DIR | --kubernetes) [--grpc-port 9001] [--http-port 9002]
                   [--metrics-port 9090] [--grpc-socket PATH] [--account-id ID] [--region R]
                   [--log-level L] [--bind-address ADDR] [--trust-forwarded-from CIDR]...
                   [--http-path-prefix P] [--cache-max-entries N] [--token-cache-max-entries N]
                   [--jwt-offload-max-in-flight N] [--watch-namespaces NS,...]
                   [--network-policies] [--gateway-namespaces NS,...]
  portcullis check --config DIR --method M --url URL [-H 'Name: value']... [--source-ip IP]
                   [--source-principal SPIFFE] [--context-extension k=v]... [--data BODY] [--json]
  portcullis validate PATH...
  portcullis import [--format openapi|sam|cloudformation] [--stage S] [--namespace NS] [--out DIR] FILE...
Every flag can also be set as PORTCULLIS_<FLAG> (e.g. PORTCULLIS_GRPC_PORT=9001).`

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const out = (s: string): void => void process.stdout.write(`${s}\n`)
  const err = (s: string): void => void process.stderr.write(`${s}\n`)
  try {
    switch (cmd) {
      case 'serve':
        return await serveCommand(rest)
      case 'check':
        return await checkCommand(rest, out, err)
      case 'validate':
        return await validateCommand(rest, out, err)
      case 'import':
        return await importCommand(rest, out, err)
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

process.exitCode = await main(process.argv.slice(2))
