/**
 * Bool policy values: `true` / `false` (case-insensitive), or a policy variable resolved per
 * request. Request values other than true/false never match. @module
 */
import { parseTemplate, resolveText, type TemplateToken } from '../policy-variables.js'
import type { PolicyError } from '../types.js'
import type { FamilyCompiler, PositiveTest } from './condition-types.js'

export const compileBool: FamilyCompiler = (input) => {
  const errors: PolicyError[] = []
  let matchTrue = false
  let matchFalse = false
  const templates: (readonly TemplateToken[])[] = []
  input.values.forEach((value, i) => {
    const parsed = parseTemplate(value, { variables: input.variables, wildcards: false })
    const path = input.paths[i] ?? ''
    if (!parsed.ok) {
      errors.push({ path, message: parsed.message })
      return
    }
    if (parsed.hasVariables) {
      templates.push(parsed.tokens)
      return
    }
    const lower = value.toLowerCase()
    if (lower === 'true') matchTrue = true
    else if (lower === 'false') matchFalse = true
    else errors.push({ path, message: 'not a boolean ("true" or "false")' })
  })
  if (errors.length > 0) return { ok: false, errors }
  const test: PositiveTest = (r, context) => {
    const lower = r.toLowerCase()
    if (lower !== 'true' && lower !== 'false') return false
    if (lower === 'true' ? matchTrue : matchFalse) return true
    for (const tokens of templates) {
      const resolved = resolveText(tokens, context)
      if (resolved !== undefined && resolved.toLowerCase() === lower) return true
    }
    return false
  }
  return { ok: true, test }
}
