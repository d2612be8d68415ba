/**
 * Attaches the explanation (`portcullis check` output, debug logs) to an outcome.
 *
 * @module
 */
import type { CheckOutcome, Explanation } from './check-outcome.js'

/**
 * @param enabled explanations are built only for `portcullis check` and debugging: on the hot path
 *   they would cost more than the policy evaluation itself.
 * @param notes the notes, or a function producing them (not called when disabled).
 */
export function explained<T extends CheckOutcome>(
  enabled: boolean,
  outcome: T,
  notes: readonly string[] | (() => readonly string[]),
  statements: Explanation['statements'] = [],
): T {
  if (!enabled) return outcome
  if (typeof notes === 'function') notes = notes()
  const prior = outcome.explain
  return {
    ...outcome,
    explain: {
      notes: prior ? [...prior.notes, ...notes] : notes,
      statements: prior ? [...prior.statements, ...statements] : statements,
    },
  }
}
