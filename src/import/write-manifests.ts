/**
 * Writes one YAML file per API (`<out>/<api-name>.yaml`), its manifests separated by `---`.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { Manifest } from './to-manifests.js'

export async function writeApiManifests(
  outDir: string,
  apiName: string,
  sourceFile: string,
  manifests: readonly Manifest[],
): Promise<string> {
  await mkdir(outDir, { recursive: true })
  const file = join(outDir, `${apiName}.yaml`)
  const header = `# Written by \`portcullis import\` from ${sourceFile}. Review the import report's TODO list.\n`
  const body = manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n')
  await writeFile(file, header + body)
  return file
}
