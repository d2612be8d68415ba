/**
 * `NONE` routes: only the resource policy is evaluated and an explicit Allow is required
 * (docs/aws-semantics.md#authorization-flow).
 * An absent resource policy is passed as 'Neither' and so denies. @module
 */
import type { CombinedDecision, EvaluationDecision } from './types.js'

export function combineResourceOnly(resource: EvaluationDecision): CombinedDecision {
  switch (resource) {
    case 'Allow':
      return 'Allow'
    case 'Deny':
      return 'ExplicitDeny'
    case 'Neither':
      return 'ImplicitDeny'
  }
}
