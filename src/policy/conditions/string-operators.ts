/**
 * StringEquals / StringEqualsIgnoreCase / StringLike policy values (negated forms reuse them):
 * case-sensitive equality via a Set, case-insensitive via lower-casing, wildcards via globs. @module
 */
import { parseTemplate, type TemplateToken } from '../policy-variables.js'
import { compileStringPattern, type StringPattern } from '../string-pattern.js'
import type { PolicyError } from '../types.js'
import type {
  FamilyCompiler,
  PositiveTest,
  ValueCompileInput,
  ValueCompileResult,
} from './condition-types.js'

function compileStrings(
  input: ValueCompileInput,
  wildcards: boolean,
  ignoreCase: boolean,
): ValueCompileResult {
  const errors: PolicyError[] = []
  const literals = new Set<string>()
  const patterns: StringPattern[] = []
  input.values.forEach((value, i) => {
    const parsed = parseTemplate(value, { variables: input.variables, wildcards })
    if (!parsed.ok) {
      errors.push({ path: input.paths[i] ?? '', message: parsed.message })
      return
    }
    const tokens: readonly TemplateToken[] = parsed.tokens
    const isLiteral = !parsed.hasVariables && tokens.every((t) => t.kind === 'literal')
    if (isLiteral) {
      const text = tokens.length === 0 ? '' : tokens[0]?.kind === 'literal' ? tokens[0].text : ''
      literals.add(ignoreCase ? text.toLowerCase() : text)
      return
    }
    patterns.push(compileStringPattern(tokens, parsed.hasVariables, { wildcards, ignoreCase }))
  })
  if (errors.length > 0) return { ok: false, errors }
  const test: PositiveTest =
    patterns.length === 0
      ? ignoreCase
        ? (r) => literals.has(r.toLowerCase())
        : (r) => literals.has(r)
      : (r, context) => {
          const s = ignoreCase ? r.toLowerCase() : r
          if (literals.has(s)) return true
          for (const p of patterns) if (p.matches(s, context)) return true
          return false
        }
  return { ok: true, test }
}

export const compileStringEquals: FamilyCompiler = (input) => compileStrings(input, false, false)
export const compileStringEqualsIgnoreCase: FamilyCompiler = (input) =>
  compileStrings(input, false, true)
export const compileStringLike: FamilyCompiler = (input) => compileStrings(input, true, false)
