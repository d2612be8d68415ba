/**
 * Phase 1 of the `CUSTOM` flow: before calling a Lambda authorizer, look only for an
 * explicit Deny in the resource policy; if one matches, the authorizer is never invoked
 * (docs/aws-semantics.md#authorization-flow). @module
 */
import type { CompiledPolicy } from './compiled-policy.js'
import type { EvaluationResult, PolicyRequest } from './types.js'

const NEITHER: EvaluationResult = Object.freeze({
  decision: 'Neither',
  statements: Object.freeze([]),
})

/**
 * Returns the Deny result (with its statements) when the resource policy explicitly denies the
 * request, else Neither (an Allow is deliberately not reported: it is decided later by Table A).
 * An absent resource policy (undefined) never denies.
 */
export function precheckExplicitDeny(
  resourcePolicy: CompiledPolicy | undefined,
  req: PolicyRequest,
  label = 'resource-policy',
): EvaluationResult {
  if (resourcePolicy === undefined) return NEITHER
  const result = resourcePolicy.evaluate(req, label)
  return result.decision === 'Deny' ? result : NEITHER
}
