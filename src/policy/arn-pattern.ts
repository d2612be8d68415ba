/**
 * ARN patterns matched segment by segment (partition, service, region, account, resource): a `*`
 * never crosses the first five colons, while inside the resource segment it crosses `/` and `:`.
 * Used for Resource/NotResource and the Arn* condition operators. @module
 */
import { parseTemplate, type TemplateToken } from './policy-variables.js'
import { compileStringPattern, type StringPattern } from './string-pattern.js'
import type { ConditionContext } from './types.js'

export const ARN_SEGMENTS = 6

/** The request ARN, split into its six parts on first use (null when it is not an ARN). */
export interface ArnInput {
  readonly arn: string
  parts: string[] | null | undefined
  /** `arn:partition:service:region:account:` of the request (null: not an ARN), and the rest. */
  head?: string | null
  rest?: string
}

export interface ArnPattern {
  /** Set when partition..account are literal: the pattern is `literalPrefix` + `resource`. */
  readonly literalPrefix: string | undefined
  readonly resource: StringPattern | undefined
  matches(input: ArnInput, context: ConditionContext): boolean
}

/** The request ARN's first five parts with their colons, computed once per request. */
export function arnHead(input: ArnInput): string | null {
  if (input.head === undefined) {
    let end = -1
    for (let i = 0; i < ARN_SEGMENTS - 1; i++) {
      end = input.arn.indexOf(':', end + 1)
      if (end === -1) break
    }
    input.head = end === -1 ? null : input.arn.slice(0, end + 1)
    input.rest = end === -1 ? '' : input.arn.slice(end + 1)
  }
  return input.head
}

export function arnParts(input: ArnInput): string[] | null {
  if (input.parts === undefined) input.parts = splitArn(input.arn)
  return input.parts
}

export type ArnPatternResult =
  | { readonly ok: true; readonly pattern: ArnPattern }
  | { readonly ok: false; readonly message: string }

/** Splits an ARN into its six parts, or null when it has fewer than five colons. */
export function splitArn(arn: string): string[] | null {
  const parts: string[] = []
  let start = 0
  for (let i = 0; i < ARN_SEGMENTS - 1; i++) {
    const colon = arn.indexOf(':', start)
    if (colon === -1) return null
    parts.push(arn.slice(start, colon))
    start = colon + 1
  }
  parts.push(arn.slice(start))
  return parts
}

/** Splits template tokens at the first five literal colons. */
function splitTokens(tokens: readonly TemplateToken[]): TemplateToken[][] | null {
  const segments: TemplateToken[][] = [[]]
  for (const token of tokens) {
    let current = segments[segments.length - 1] ?? []
    if (token.kind !== 'literal' || segments.length === ARN_SEGMENTS) {
      current.push(token)
      continue
    }
    let text = token.text
    let colon = text.indexOf(':')
    while (colon !== -1 && segments.length < ARN_SEGMENTS) {
      if (colon > 0) current.push({ kind: 'literal', text: text.slice(0, colon) })
      current = []
      segments.push(current)
      text = text.slice(colon + 1)
      colon = text.indexOf(':')
    }
    if (text.length > 0) current.push({ kind: 'literal', text })
  }
  return segments.length === ARN_SEGMENTS ? segments : null
}

export interface ArnPatternOptions {
  readonly variables: boolean
  /** Resource element: variables only in the resource segment (after the fifth colon). */
  readonly variablesOnlyInResourceSegment: boolean
}

export function compileArnPattern(text: string, options: ArnPatternOptions): ArnPatternResult {
  const parsed = parseTemplate(text, { variables: options.variables, wildcards: true })
  if (!parsed.ok) return parsed
  const segments = splitTokens(parsed.tokens)
  if (segments === null) {
    return {
      ok: false,
      message: `not an ARN (expected arn:partition:service:region:account:resource)`,
    }
  }
  const first = segments[0]
  if (
    first === undefined ||
    first.length !== 1 ||
    first[0]?.kind !== 'literal' ||
    first[0].text !== 'arn'
  ) {
    return { ok: false, message: `not an ARN (must start with "arn:")` }
  }
  const matchers: StringPattern[] = []
  const literalParts: string[] = ['arn']
  let literalPrefix = true
  for (let i = 1; i < ARN_SEGMENTS; i++) {
    const segment = segments[i] ?? []
    const hasVariables = segment.some((t) => t.kind === 'variable')
    if (hasVariables && options.variablesOnlyInResourceSegment && i < ARN_SEGMENTS - 1) {
      return {
        ok: false,
        message: 'policy variables are only allowed in the resource part of an ARN',
      }
    }
    if (i < ARN_SEGMENTS - 1 && literalPrefix) {
      literalPrefix = segment.every((t) => t.kind === 'literal')
      literalParts.push(segment.map((t) => (t.kind === 'literal' ? t.text : '')).join(''))
    }
    matchers.push(
      compileStringPattern(segment, hasVariables, { wildcards: true, ignoreCase: false }),
    )
  }
  const resourceMatcher = matchers[ARN_SEGMENTS - 2]
  if (literalPrefix && resourceMatcher !== undefined) {
    // Fast path (the common case): partition..account are literal, so compare them as one prefix
    // of the request ARN and glob only the resource part.
    // Array.join yields a flat string (concatenation would leave a slower cons string).
    const prefix = [...literalParts, ''].join(':')
    return {
      ok: true,
      pattern: {
        literalPrefix: prefix,
        resource: resourceMatcher,
        matches(input, context) {
          return arnHead(input) === prefix && resourceMatcher.matches(input.rest ?? '', context)
        },
      },
    }
  }
  return {
    ok: true,
    pattern: {
      literalPrefix: undefined,
      resource: undefined,
      matches(input, context) {
        const parts = arnParts(input)
        if (parts === null || parts[0] !== 'arn') return false
        for (let i = 0; i < matchers.length; i++) {
          const matcher = matchers[i]
          const part = parts[i + 1]
          if (matcher === undefined || part === undefined || !matcher.matches(part, context))
            return false
        }
        return true
      },
    },
  }
}
