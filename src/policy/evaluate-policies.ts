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
  // The first deciding result is returned as is when no other policy adds statements (the usual
  // case): the lists are only merged when two policies decide the same way.
  let deny: EvaluationResult | undefined
  let denies: StatementRef[] | undefined
  let allow: EvaluationResult | undefined
  let allows: StatementRef[] | undefined
  for (const { label, policy } of policies) {
    const result = policy.evaluate(req, label)
    if (result.decision === 'Deny') {
      if (deny === undefined) deny = result
      else (denies ??= [...deny.statements]).push(...result.statements)
    } else if (result.decision === 'Allow' && deny === undefined) {
      if (allow === undefined) allow = result
      else (allows ??= [...allow.statements]).push(...result.statements)
    }
  }
  if (deny !== undefined) {
    return denies === undefined ? deny : { decision: 'Deny', statements: denies }
  }
  if (allow !== undefined) {
    return allows === undefined ? allow : { decision: 'Allow', statements: allows }
  }
  return NEITHER
}
