/** Renders validation errors as `path: message` lines (`(document)` for the whole document). @module */
import type { PolicyError } from './types.js'

export function formatPolicyErrors(errors: readonly PolicyError[]): string[] {
  return errors.map((e) => `${e.path === '' ? '(document)' : e.path}: ${e.message}`)
}
