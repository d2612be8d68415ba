/**
 * The one way a configuration problem is printed, by `portcullis validate`, `portcullis check`, the
 * serve logs and the tests: `file: kind/namespace/name: field: problem`, leaving out the parts a
 * problem does not have (a file that does not parse has no object; an object-level problem has no
 * field), so no line ever carries an empty `: :` segment.
 *
 * @module
 */
import { formatObjectRef, type ObjectRef } from './object-ref.js'

/** A configuration problem: which file, which object, which field, what is wrong. */
export interface ConfigProblem {
  /** File the object came from, or a source label such as `kubernetes`. */
  readonly file: string
  /** Absent when the problem is the whole file (unreadable, not YAML...). */
  readonly ref?: ObjectRef | undefined
  /** Field path such as `spec.routes[0].path`; empty when the problem is the file or the object. */
  readonly path: string
  readonly message: string
}

export function formatConfigProblem(p: ConfigProblem): string {
  const parts: string[] = []
  if (p.file !== '') parts.push(p.file)
  if (p.ref !== undefined) parts.push(formatObjectRef(p.ref))
  if (p.path !== '') parts.push(p.path)
  parts.push(p.message)
  return parts.join(': ')
}
