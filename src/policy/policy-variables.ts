/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) and the `${*}` `${?}`
 * `${$}` escapes: parsed once at compile time into tokens, resolved per request only when present.
 * @module
 */
import type { ConditionContext } from './types.js'
import type { GlobToken } from './wildcard.js'

export interface VariableToken {
  readonly kind: 'variable'
  /** Lower-cased context key (condition-context maps are keyed lower-case). */
  readonly key: string
  readonly fallback: string | undefined
}

export type TemplateToken = GlobToken | VariableToken

export interface TemplateOptions {
  /** True only under `"Version": "2012-10-17"`; otherwise `${...}` is literal text. */
  readonly variables: boolean
  /** True when `*` and `?` are wildcards (Resource, StringLike, ArnLike, Action). */
  readonly wildcards: boolean
}

export type TemplateResult =
  | { readonly ok: true; readonly tokens: readonly TemplateToken[]; readonly hasVariables: boolean }
  | { readonly ok: false; readonly message: string }

const VARIABLE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/+=@-]*$/
const VARIABLE_BODY = /^\s*([^\s,]+)\s*(?:,\s*'([^']*)'\s*)?$/

function pushLiteral(tokens: TemplateToken[], text: string): void {
  if (text.length === 0) return
  const prev = tokens[tokens.length - 1]
  if (prev?.kind === 'literal')
    tokens[tokens.length - 1] = { kind: 'literal', text: prev.text + text }
  else tokens.push({ kind: 'literal', text })
}

/** Parses a policy string into literal, wildcard and variable tokens. */
export function parseTemplate(text: string, options: TemplateOptions): TemplateResult {
  const tokens: TemplateToken[] = []
  let hasVariables = false
  let literal = ''
  let i = 0
  while (i < text.length) {
    const c = text.charAt(i)
    if (options.wildcards && (c === '*' || c === '?')) {
      pushLiteral(tokens, literal)
      literal = ''
      tokens.push(c === '*' ? { kind: 'star' } : { kind: 'qmark' })
      i++
      continue
    }
    if (options.variables && c === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2)
      if (close === -1) return { ok: false, message: `unterminated policy variable at offset ${i}` }
      const body = text.slice(i + 2, close)
      if (body === '*' || body === '?' || body === '$') {
        literal += body
      } else {
        const m = VARIABLE_BODY.exec(body)
        const key = m?.[1]
        if (m === null || key === undefined || !VARIABLE_KEY.test(key)) {
          return { ok: false, message: `invalid policy variable \${${body}}` }
        }
        pushLiteral(tokens, literal)
        literal = ''
        tokens.push({ kind: 'variable', key: key.toLowerCase(), fallback: m[2] })
        hasVariables = true
      }
      i = close + 1
      continue
    }
    literal += c
    i++
  }
  pushLiteral(tokens, literal)
  return { ok: true, tokens, hasVariables }
}

/** The value a variable takes in this request: single-valued keys only, else the default. */
export function variableValue(token: VariableToken, context: ConditionContext): string | undefined {
  const value = context.get(token.key)
  if (typeof value === 'string') return value
  return token.fallback
}

/** Replaces variables by literal tokens; undefined when one has no value (matches nothing). */
export function resolveTokens(
  tokens: readonly TemplateToken[],
  context: ConditionContext,
): GlobToken[] | undefined {
  const out: GlobToken[] = []
  for (const token of tokens) {
    if (token.kind !== 'variable') {
      out.push(token)
      continue
    }
    const value = variableValue(token, context)
    if (value === undefined) return undefined
    out.push({ kind: 'literal', text: value })
  }
  return out
}

/** Concatenates tokens of a wildcard-free template; undefined when a variable has no value. */
export function resolveText(
  tokens: readonly TemplateToken[],
  context: ConditionContext,
): string | undefined {
  let out = ''
  for (const token of tokens) {
    if (token.kind === 'literal') out += token.text
    else if (token.kind === 'variable') {
      const value = variableValue(token, context)
      if (value === undefined) return undefined
      out += value
    } else out += token.kind === 'star' ? '*' : '?'
  }
  return out
}

/** Literal text of a variable-free template (wildcards rendered back as characters). */
export function literalText(tokens: readonly TemplateToken[]): string {
  let out = ''
  for (const token of tokens) {
    if (token.kind === 'literal') out += token.text
    else if (token.kind === 'star') out += '*'
    else if (token.kind === 'qmark') out += '?'
  }
  return out
}
