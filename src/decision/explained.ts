/**
 * Attaches the explanation (`portcullis check` output, debug logs) to an outcome: the one helper
 * the decider's common phases and the flows share.
 *
 * @module
 */
import type { CheckOutcome, Explanation } from './check-outcome.js'

/**
 * @param enabled explanations are built only for `portcullis check` and debugging: on the hot path
 *   they would cost more than the policy evaluation itself.
 * @param notes the notes, or a function producing them (not called when disabled).
 * @param place where the notes and statements go relative to those the outcome already carries:
 *   a flow adds its own `after` what it was handed; the decider puts its common-phase notes
 *   (API, route, method ARN, gate) `before` the flow's, so the explanation reads in decision order.
 */
export function explained<T extends CheckOutcome>(
  enabled: boolean,
  outcome: T,
  notes: readonly string[] | (() => readonly string[]),
  statements: Explanation['statements'] = [],
  place: 'before' | 'after' = 'after',
): T {
  if (!enabled) return outcome
  if (typeof notes === 'function') notes = notes()
  const prior = outcome.explain
  if (prior === undefined) return { ...outcome, explain: { notes, statements } }
  return {
    ...outcome,
    explain:
      place === 'after'
        ? {
            notes: [...prior.notes, ...notes],
            statements: [...prior.statements, ...statements],
          }
        : {
            notes: [...notes, ...prior.notes],
            statements: [...statements, ...prior.statements],
          },
  }
}
