/**
 * Table B: caller in another account than the API. Any Deny wins; otherwise both the
 * identity side and the resource policy must explicitly Allow
 * (docs/aws-semantics.md#authorization-flow). @module
 */
import type { CombinedDecision, EvaluationDecision } from './types.js'

export function combineCrossAccount(
  identity: EvaluationDecision,
  resource: EvaluationDecision,
): CombinedDecision {
  if (identity === 'Deny' || resource === 'Deny') return 'ExplicitDeny'
  if (identity === 'Allow' && resource === 'Allow') return 'Allow'
  return 'ImplicitDeny'
}
