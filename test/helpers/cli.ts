/**
 * `portcullis check` run in process, as the CLI would run it, with what it printed collected.
 */
import { checkCommand } from '../../src/cli/check.js'

export interface CheckRun {
  readonly code: number
  /** Standard output, one line per write. */
  readonly out: string
  readonly err: string
}

/** `portcullis check <args>`: its exit code and output. */
export async function runCheck(args: readonly string[]): Promise<CheckRun> {
  let out = ''
  let err = ''
  const code = await checkCommand(
    args,
    (s) => (out += `${s}\n`),
    (s) => (err += `${s}\n`),
  )
  return { code, out, err }
}
