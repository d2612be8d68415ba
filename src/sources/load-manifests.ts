/**
 * Reads manifests from files and folders (recursively: `.yaml`, `.yml`, `.json`) and validates them
 * as one set. Used by the directory source (local mode) and by `portcullis validate`. Never throws.
 *
 * Hidden entries (names starting with `.`) are skipped: a ConfigMap mounted as a volume holds every
 * file twice (`x.yaml` and `..2024_01_01/x.yaml`), which would otherwise load as duplicates.
 *
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import {
  checkObjectSet,
  parseManifestText,
  type ConfigError,
  type LoadedObject,
  type ManifestLoadResult,
  type ParseOptions,
} from './manifest.js'

export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json']

/** Largest manifest file read, in bytes (default 8 MiB): a guard against reading a huge file by mistake. */
export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024

/** Deepest folder nesting followed under a given directory. */
const MAX_DEPTH = 16

export interface LoadOptions extends ParseOptions {
  /** Largest file read, in bytes. Default {@link DEFAULT_MAX_FILE_BYTES}. */
  readonly maxFileBytes?: number
}

function fileError(file: string, message: string): ConfigError {
  return { code: 'ERR_CONFIG_INVALID_MANIFEST', file, path: '', message }
}

/**
 * Lists the manifest files under `paths`: directories recursively (manifest extensions only, hidden
 * entries skipped, sorted for a stable order), explicit file paths as given, whatever their extension.
 */
export async function listManifestFiles(
  paths: readonly string[],
): Promise<{ files: string[]; errors: ConfigError[] }> {
  const files: string[] = []
  const errors: ConfigError[] = []
  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH) {
      errors.push(fileError(dir, `folder nesting deeper than ${MAX_DEPTH}; not read`))
      return
    }
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      errors.push(
        fileError(
          dir,
          `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ),
      )
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const full = join(dir, entry.name)
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        try {
          const s = await stat(full)
          isDir = s.isDirectory()
          isFile = s.isFile()
        } catch {
          continue // dangling link: nothing to read
        }
      }
      if (isDir) await walk(full, depth + 1)
      else if (isFile && MANIFEST_EXTENSIONS.includes(extname(entry.name).toLowerCase()))
        files.push(full)
    }
  }
  for (const p of paths) {
    let s
    try {
      s = await stat(p)
    } catch (err) {
      errors.push(
        fileError(
          p,
          `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ),
      )
      continue
    }
    if (s.isDirectory()) await walk(p, 0)
    else files.push(p)
  }
  return { files, errors }
}

/**
 * Loads and validates every manifest under `paths` as one configuration: per-object schema and
 * semantic checks, policy grammar through `options.validatePolicy`, then set-wide checks (duplicates,
 * shared access key IDs). Invalid objects are left out and reported; the rest is returned.
 */
export async function loadManifests(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<ManifestLoadResult> {
  const r = await load(paths, options)
  return { objects: r.objects, errors: r.errors, warnings: r.warnings }
}

async function load(
  paths: readonly string[],
  options: LoadOptions,
): Promise<ValidateManifestsResult> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const listed = await listManifestFiles(paths)
  const errors: ConfigError[] = [...listed.errors]
  const warnings: string[] = []
  const objects: LoadedObject[] = []
  const seen = new Set<string>()
  for (const file of listed.files) {
    if (seen.has(file)) continue // the same file named twice (a folder and a path inside it)
    seen.add(file)
    let text: string
    try {
      const s = await stat(file)
      if (s.size > maxBytes) {
        errors.push(
          fileError(file, `file is ${s.size} bytes, more than the ${maxBytes}-byte limit`),
        )
        continue
      }
      text = await readFile(file, 'utf8')
    } catch (err) {
      errors.push(
        fileError(
          file,
          `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ),
      )
      continue
    }
    const r = parseManifestText(text, file, options)
    objects.push(...r.objects)
    errors.push(...r.errors)
    warnings.push(...r.warnings)
  }
  const set = checkObjectSet(objects)
  return { objects: set.objects, errors: [...errors, ...set.errors], warnings, files: seen.size }
}

export interface ValidateManifestsResult extends ManifestLoadResult {
  /** Number of files read. */
  readonly files: number
}

/**
 * The core of `portcullis validate PATH...`: everything {@link loadManifests} checks. The CLI prints
 * `formatConfigProblem` lines and exits 1 when `errors` is non-empty.
 */
export async function validateManifests(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<ValidateManifestsResult> {
  return load(paths, options)
}
