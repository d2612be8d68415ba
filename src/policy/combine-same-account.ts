/**
 * Table A: caller and API in the same account, or a Lambda / Cognito authorizer's result
 * with the resource policy. Any Deny wins; otherwise either side's Allow is enough
 * (docs/aws-semantics.md#authorization-flow). @module
 */
import type { CombinedDecision, EvaluationDecision } from './types.js'

export function combineSameAccount(
  identity: EvaluationDecision,
  resource: EvaluationDecision,
): CombinedDecision {
  if (identity === 'Deny' || resource === 'Deny') return 'ExplicitDeny'
  if (identity === 'Allow' || resource === 'Allow') return 'Allow'
  return 'ImplicitDeny'
}
