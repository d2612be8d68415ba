/**
 * Evaluates several policies of one side (e.g. all identity policies of a principal) as AWS does:
 * any Deny wins, else any Allow, else Neither; the deciding statements are aggregated. @module
 */
import type { CompiledPolicy } from './compiled-policy.js'
import type { EvaluationResult, PolicyRequest, StatementRef } from './types.js'

const NEITHER: EvaluationResult = Object.freeze({
  decision: 'Neither',
  statements: Object.freeze([]),
})

export function evaluatePolicies(
  policies: readonly { readonly label: string; readonly policy: CompiledPolicy }[],
  req: PolicyRequest,
): EvaluationResult {
  let denies: StatementRef[] | undefined
  let allows: StatementRef[] | undefined
  for (const { label, policy } of policies) {
    const result = policy.evaluate(req, label)
    if (result.decision === 'Deny') (denies ??= []).push(...result.statements)
    else if (result.decision === 'Allow' && denies === undefined)
      (allows ??= []).push(...result.statements)
  }
  if (denies !== undefined) return { decision: 'Deny', statements: denies }
  if (allows !== undefined) return { decision: 'Allow', statements: allows }
  return NEITHER
}
