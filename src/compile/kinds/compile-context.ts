/**
 * State one compile shares between the per-kind compilers: the options, the errors and warnings
 * found so far (every problem names `file: kind/namespace/name: field`), the per-kind object counts,
 * and the policy-document compile every kind with a policy field uses.
 *
 * @module
 */
import { COUNTED_KINDS } from '../../api/v1alpha1/index.js'
import { recordOf } from '../../lib/record-of.js'
import { compilePolicy } from '../../policy/index.js'
import type { CompiledPolicy, PolicyKind } from '../../policy/index.js'
import type { CompileError, ObjectRef } from '../compile-input.js'
import type { CompileOptions } from '../compile-options.js'

/** Objects per kind that compiled (the portcullis_config_objects gauge). */
export type ObjectCounts = Record<(typeof COUNTED_KINDS)[number], number>

export class CompileContext {
  readonly errors: CompileError[] = []
  readonly warnings: string[] = []
  readonly objectWarnings: CompileError[] = []
  readonly counts: ObjectCounts = recordOf(COUNTED_KINDS, () => 0)
  readonly opts: CompileOptions

  constructor(opts: CompileOptions) {
    this.opts = opts
  }

  err(file: string, ref: ObjectRef, path: string, message: string): void {
    this.errors.push({ file, ref, path, message })
  }

  /** A problem that leaves the object served, in part: logged, and shown in its status. */
  warn(file: string, ref: ObjectRef, path: string, message: string): void {
    this.warnings.push(`${file}: ${ref.kind}/${ref.namespace}/${ref.name}: ${path}: ${message}`)
    this.objectWarnings.push({ file, ref, path, message })
  }

  /** Compiles one policy field; its problems are reported under `base` and undefined is returned. */
  policy(
    file: string,
    ref: ObjectRef,
    base: string,
    doc: unknown,
    kind: PolicyKind,
    prefix?: string,
  ): CompiledPolicy | undefined {
    const res = compilePolicy(
      doc,
      prefix === undefined ? { kind } : { kind, executeApiArnPrefix: prefix },
    )
    if (res.ok) return res.policy
    for (const e of res.errors)
      this.err(file, ref, e.path === '' ? base : `${base}.${e.path}`, e.message)
    return undefined
  }
}

/** `namespace/name`: how objects of one kind are keyed and how they name each other. */
export const key = (ns: string, name: string): string => `${ns}/${name}`

/** Objects in `namespace/name` order, so which of two conflicting objects wins does not depend on load order. */
export function sortByRef<T extends { ref: ObjectRef }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) =>
    key(a.ref.namespace, a.ref.name).localeCompare(key(b.ref.namespace, b.ref.name)),
  )
}
