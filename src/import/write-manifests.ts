/**
 * Writes one YAML file per API (`<out>/<api-name>.yaml`), its manifests separated by `---`; a
 * file holding API key Secrets says so in its header.
 *
 * @module
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
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
  const secrets = manifests.some((m) => m.kind === 'Secret')
  const header =
    `# Written by \`portcullis import\` from ${sourceFile}. Review the import report's TODO list.\n` +
    // The values are the report's blind spot: it never prints them, so the file must say so.
    (secrets ? '# Holds Secrets with API key values: keep this file out of version control.\n' : '')
  const body = manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n')
  await writeFile(file, header + body)
  // Readable by its owner only when it holds key values (set after writing: an existing file
  // keeps its mode on writeFile).
  if (secrets) await chmod(file, 0o600)
  return file
}
