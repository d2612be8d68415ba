/**
 * VPC endpoint policy gate for private APIs: evaluated first, it lets a request through only
 * on an explicit Allow; a Deny is explicit, silence is implicit
 * (docs/aws-semantics.md#private-apis). @module
 */
import type { CombinedDecision, EvaluationDecision } from './types.js'

export function combineEndpointGate(endpoint: EvaluationDecision): CombinedDecision {
  switch (endpoint) {
    case 'Allow':
      return 'Allow'
    case 'Deny':
      return 'ExplicitDeny'
    case 'Neither':
      return 'ImplicitDeny'
  }
}
