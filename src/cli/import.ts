/**
 * `portcullis import [--format openapi|sam|cloudformation] [--stage S] [--namespace NS] [--out DIR]
 * FILE...`: writes one manifest file per API and prints the mapping report. Exit 0 when everything
 * mapped, 3 when something was approximated, left out or left as a TODO, 2 on unreadable input.
 *
 * @module
 */
import { IMPORT_FORMATS, type ImportFormat } from '../import/detect-format.js'
import { importFiles } from '../import/import-files.js'
import { ImportInputError } from '../import/read-document.js'
import { renderReport } from '../import/report.js'
import { DEFAULTS, UsageError, parseFlags, stringFlag } from './options.js'

export const IMPORT_FLAGS = {
  format: { type: 'string' },
  stage: { type: 'string' },
  namespace: { type: 'string' },
  out: { type: 'string' },
} as const

export async function importCommand(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const flags = parseFlags(argv, IMPORT_FLAGS, env, true)
  if (flags.positionals.length === 0) throw new UsageError('import needs at least one FILE')
  const format = stringFlag(flags, 'format')
  if (format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format: one of ${IMPORT_FORMATS.join(', ')}: ${format}`)
  const stage = stringFlag(flags, 'stage')
  if (stage !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(stage))
    throw new UsageError(`--stage: letters, digits, - and _ only: ${stage}`)
  const namespace = stringFlag(flags, 'namespace') ?? 'default'
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new UsageError(`--namespace: not a namespace name: ${namespace}`)
  try {
    const { report } = await importFiles(flags.positionals, {
      ...(format !== undefined ? { format: format as ImportFormat } : {}),
      ...(stage !== undefined ? { stage } : {}),
      namespace,
      outDir: stringFlag(flags, 'out') ?? '.',
      accountId: DEFAULTS.accountId,
      region: DEFAULTS.region,
    })
    out(renderReport(report))
    return report.exitCode()
  } catch (e) {
    if (e instanceof ImportInputError) {
      err(`portcullis import: ${e.message}`)
      return 2
    }
    throw e
  }
}
