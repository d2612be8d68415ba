/**
 * ArnEquals / ArnLike policy values (identical semantics; negated forms reuse them): each of the six
 * ARN parts is matched separately, so a `*` never crosses a colon before the resource part. @module
 */
import { compileArnPattern, type ArnPattern } from '../arn-pattern.js'
import type { PolicyError } from '../types.js'
import type { FamilyCompiler, PositiveTest } from './condition-types.js'

export const compileArnLike: FamilyCompiler = (input) => {
  const errors: PolicyError[] = []
  const patterns: ArnPattern[] = []
  input.values.forEach((value, i) => {
    const result = compileArnPattern(value, {
      variables: input.variables,
      variablesOnlyInResourceSegment: false,
    })
    if (result.ok) patterns.push(result.pattern)
    else errors.push({ path: input.paths[i] ?? '', message: result.message })
  })
  if (errors.length > 0) return { ok: false, errors }
  const test: PositiveTest = (r, context) => {
    const input = { arn: r, parts: undefined }
    for (const p of patterns) if (p.matches(input, context)) return true
    return false
  }
  return { ok: true, test }
}
