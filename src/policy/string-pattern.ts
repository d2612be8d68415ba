/**
 * A policy string compiled for fast per-request matching: literal equality, a precompiled glob, or
 * (only when the string holds policy variables) a template resolved against the request. @module
 */
import { resolveText, resolveTokens, type TemplateToken } from './policy-variables.js'
import type { ConditionContext } from './types.js'
import { compileGlob, matchGlob, type GlobPattern, type GlobToken } from './wildcard.js'

export interface StringPattern {
  /** `s` must already be lower-cased when the pattern ignores case. */
  matches(s: string, context: ConditionContext): boolean
}

export interface StringPatternOptions {
  readonly wildcards: boolean
  readonly ignoreCase: boolean
}

const MATCH_ANY: StringPattern = { matches: () => true }

export function compileStringPattern(
  tokens: readonly TemplateToken[],
  hasVariables: boolean,
  options: StringPatternOptions,
): StringPattern {
  if (!hasVariables) {
    const glob = compileGlob(tokens as readonly GlobToken[], options.ignoreCase)
    if (glob.any) return MATCH_ANY
    if (glob.exact !== undefined) {
      const exact = glob.exact
      return { matches: (s) => s === exact }
    }
    return { matches: (s) => matchGlob(glob, s) }
  }
  if (!options.wildcards) {
    return {
      matches: (s, context) => {
        const text = resolveText(tokens, context)
        if (text === undefined) return false
        return (options.ignoreCase ? text.toLowerCase() : text) === s
      },
    }
  }
  return {
    matches: (s, context) => {
      const resolved = resolveTokens(tokens, context)
      if (resolved === undefined) return false
      const glob: GlobPattern = compileGlob(resolved, options.ignoreCase)
      return matchGlob(glob, s)
    },
  }
}
