/**
 * Attaches the explanation (`portcullis check` output, debug logs) to an outcome.
 *
 * @module
 */
import type { CheckOutcome, Explanation } from './check-outcome.js'

export function explained<T extends CheckOutcome>(
  outcome: T,
  notes: readonly string[],
  statements: Explanation['statements'] = [],
): T {
  const prior = outcome.explain
  return {
    ...outcome,
    explain: {
      notes: prior ? [...prior.notes, ...notes] : notes,
      statements: prior ? [...prior.statements, ...statements] : statements,
    },
  }
}
