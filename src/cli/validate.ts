/**
 * `portcullis validate PATH...`: schema, policy grammar and cross-object references, exactly as
 * `serve` would compile them. Prints `file: kind/namespace/name: field: problem`; exit 0 or 1.
 *
 * @module
 */
import { resolve } from 'node:path'
import { createAuthnRuntime } from '../app/authn-runtime.js'
import { loadFolderConfig } from '../sources/folder-config.js'
import { formatConfigProblem } from '../api/config-problem.js'
import { LastGoodCompiler } from '../compile/last-good.js'
import { UsageError, accountFlag, parseFlags, regionFlag } from './options.js'

export const VALIDATE_FLAGS = {
  'account-id': { type: 'string' },
  region: { type: 'string' },
} as const

export async function validateCommand(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const flags = parseFlags(argv, VALIDATE_FLAGS, env, true)
  if (flags.positionals.length === 0) throw new UsageError('validate needs at least one PATH')
  const loaded = await loadFolderConfig(flags.positionals.map((p) => resolve(p)))
  const authn = createAuthnRuntime()
  try {
    const result = new LastGoodCompiler().compile(loaded, {
      defaults: { accountId: accountFlag(flags), region: regionFlag(flags) },
      generation: 1,
      ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
    })
    for (const w of loaded.warnings) err(`warning: ${w}`)
    for (const w of result.warnings) err(`warning: ${w}`)
    for (const e of result.allErrors) out(formatConfigProblem(e))
    const counts = Object.entries(result.snapshot.objectCounts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
    err(
      result.allErrors.length === 0
        ? `valid: ${counts.join(', ') || 'no objects'}`
        : `${result.allErrors.length} problem(s)`,
    )
    return result.allErrors.length === 0 ? 0 : 1
  } finally {
    authn.close()
  }
}
