/**
 * "Lose nothing" on reload: when an object's new version is invalid (bad YAML in its file, a
 * schema violation, a dangling reference, a bad policy), the object's last good version keeps
 * serving, and only the error is reported. Objects that disappear from a file that still parses
 * are deleted; objects of a file that no longer parses are kept as they were.
 *
 * @module
 */
import { compileSnapshot, type CompileOptions, type CompileResult } from './compile-snapshot.js'
import type { ConfigProblem } from '../api/config-problem.js'
import type { KindBucket } from '../api/v1alpha1/index.js'
import {
  CompileInputBuilder,
  KIND_BUCKETS,
  type BucketManifest,
  type CompileError,
  type CompileInput,
  type ObjectRef,
  type SecretInput,
  type ServiceBinding,
} from './compile-input.js'

/** What a loader produced: the objects that passed schema validation, and the problems found. */
export interface LoadedConfig {
  readonly input: CompileInput
  /** Schema / parse problems. `ref` is absent for a file that could not be parsed at all. */
  readonly errors: readonly LoadError[]
}

/** A schema or parse problem; `ref` is absent for a file that could not be parsed at all. */
export type LoadError = ConfigProblem

/** One object of the input with the bucket it belongs in. */
type Entry =
  | { readonly bucket: KindBucket; readonly obj: BucketManifest<KindBucket> }
  | { readonly bucket: 'secrets'; readonly obj: SecretInput }
  | { readonly bucket: 'services'; readonly obj: ServiceBinding }

export const refKey = (r: ObjectRef): string => `${r.kind}/${r.namespace}/${r.name}`

export interface ReloadResult extends CompileResult {
  /** Every problem of this reload: load errors and compile errors. */
  readonly allErrors: readonly LoadError[]
  /** Objects serving their previous version because the new one is invalid. */
  readonly keptPrevious: readonly string[]
}

export class LastGoodCompiler {
  #lastGood = new Map<string, Entry>()

  compile(loaded: LoadedConfig, opts: CompileOptions): ReloadResult {
    const badFiles = new Set(loaded.errors.filter((e) => e.ref === undefined).map((e) => e.file))
    const badRefs = new Set(loaded.errors.flatMap((e) => (e.ref ? [refKey(e.ref)] : [])))
    const current = entriesOf(loaded.input)
    const kept: string[] = []
    // Objects invalid at load time, or living in a file that no longer parses: keep the last good.
    for (const [k, prev] of this.#lastGood) {
      if (current.has(k)) continue
      if (badRefs.has(k) || badFiles.has(prev.obj.file)) {
        current.set(k, prev)
        kept.push(k)
      }
    }
    let result = compileSnapshot(toInput(current), opts)
    // Objects whose new version fails to compile: retry once with their last good version.
    const failed = new Set(result.errors.map((e) => refKey(e.ref)))
    let swapped = false
    for (const k of failed) {
      const prev = this.#lastGood.get(k)
      const now = current.get(k)
      if (prev && now && prev.obj !== now.obj) {
        current.set(k, prev)
        kept.push(k)
        swapped = true
      }
    }
    const firstErrors = result.errors
    if (swapped) result = compileSnapshot(toInput(current), opts)
    const stillFailing = new Set(result.errors.map((e) => refKey(e.ref)))
    const next = new Map<string, Entry>()
    for (const [k, v] of current) if (!stillFailing.has(k)) next.set(k, v)
    this.#lastGood = next
    // Report the errors of the new versions (what the user just wrote), de-duplicated.
    const seen = new Set<string>()
    const allErrors: LoadError[] = []
    for (const e of [...loaded.errors, ...firstErrors, ...result.errors] as readonly (
      LoadError | CompileError
    )[]) {
      const id = `${e.file}|${e.ref ? refKey(e.ref) : ''}|${e.path}|${e.message}`
      if (seen.has(id)) continue
      seen.add(id)
      allErrors.push(e)
    }
    return { ...result, allErrors, keptPrevious: kept }
  }
}

function entriesOf(input: CompileInput): Map<string, Entry> {
  const entries = new Map<string, Entry>()
  for (const bucket of KIND_BUCKETS) {
    for (const obj of input[bucket]) entries.set(refKey(obj.ref), { bucket, obj })
  }
  for (const obj of input.secrets) entries.set(refKey(obj.ref), { bucket: 'secrets', obj })
  for (const obj of input.services) entries.set(refKey(obj.ref), { bucket: 'services', obj })
  return entries
}

function toInput(entries: Map<string, Entry>): CompileInput {
  const input = new CompileInputBuilder()
  for (const e of entries.values()) {
    if (e.bucket === 'secrets') input.addSecret(e.obj)
    else if (e.bucket === 'services') input.addService(e.obj)
    else input.add(e.bucket, e.obj)
  }
  return input.build()
}
