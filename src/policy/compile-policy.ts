/**
 * Parses, validates and compiles an IAM policy document (object or JSON string) once. Every problem
 * is reported with its JSON path; unknown elements are errors; nothing throws to the caller.
 * @module
 */
import { compileArnPattern, splitArn, type ArnPattern } from './arn-pattern.js'
import { compileConditions, type CompiledCondition } from './conditions/compile-conditions.js'
import {
  buildResourceMatcher,
  CompiledPolicyImpl,
  type CompiledPolicy,
  type CompiledStatement,
  type ResourceMatcher,
} from './compiled-policy.js'
import { childPath, indexPath } from './json-path.js'
import { isPlainObject, stringList } from './string-list.js'
import { parseTemplate } from './policy-variables.js'
import { compilePrincipal, type PrincipalPattern } from './principal-pattern.js'
import { compileStringPattern, type StringPattern } from './string-pattern.js'
import type { CompileOptions, PolicyError, PolicyKind } from './types.js'

export type CompilePolicyResult =
  | { readonly ok: true; readonly policy: CompiledPolicy }
  | { readonly ok: false; readonly errors: readonly PolicyError[] }

const VERSIONS = new Set(['2012-10-17', '2008-10-17'])
const DOCUMENT_KEYS = new Set(['Version', 'Id', 'Statement'])
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
])
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/
const SHORT_FORM = 'execute-api:/'
/** Path used for problems with the document as a whole. */
export const ROOT_PATH = ''

const KINDS_WITH_PRINCIPAL: ReadonlySet<PolicyKind> = new Set(['resource', 'endpoint', 'trust'])

function compileActions(raw: unknown, path: string, errors: PolicyError[]): StringPattern[] | null {
  const patterns: StringPattern[] = []
  let any = false
  for (const { value, path: p } of stringList(raw, path, errors)) {
    if (value === '*') {
      any = true
      continue
    }
    if (!ACTION.test(value)) {
      errors.push({
        path: p,
        message: 'not an action ("*" or "service:Action", wildcards only in the action name)',
      })
      continue
    }
    const parsed = parseTemplate(value.toLowerCase(), { variables: false, wildcards: true })
    if (parsed.ok)
      patterns.push(
        compileStringPattern(parsed.tokens, false, { wildcards: true, ignoreCase: true }),
      )
  }
  return any ? null : patterns
}

function compileResources(
  raw: unknown,
  path: string,
  variables: boolean,
  options: CompileOptions,
  errors: PolicyError[],
): ResourceMatcher {
  const arns: ArnPattern[] = []
  let any = false
  for (const { value, path: p } of stringList(raw, path, errors)) {
    if (value === '*') {
      any = true
      continue
    }
    let text = value
    if (value.startsWith(SHORT_FORM)) {
      if (options.executeApiArnPrefix === undefined) {
        errors.push({
          path: p,
          message:
            'the execute-api:/ short form needs the owning API (no executeApiArnPrefix given)',
        })
        continue
      }
      text = options.executeApiArnPrefix + value.slice(SHORT_FORM.length - 1)
    }
    const result = compileArnPattern(text, { variables, variablesOnlyInResourceSegment: true })
    if (result.ok) arns.push(result.pattern)
    else errors.push({ path: p, message: result.message })
  }
  return buildResourceMatcher(any, arns)
}

function compileStatement(
  raw: unknown,
  index: number,
  path: string,
  variables: boolean,
  options: CompileOptions,
  errors: PolicyError[],
): CompiledStatement | undefined {
  if (!isPlainObject(raw)) {
    errors.push({ path, message: 'must be an object' })
    return undefined
  }
  const before = errors.length
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(key))
      errors.push({ path: childPath(path, key), message: 'unknown element' })
  }
  let sid: string | undefined
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid === 'string') sid = raw.Sid
    else errors.push({ path: childPath(path, 'Sid'), message: 'must be a string' })
  }
  const effect = raw.Effect
  if (effect === undefined) errors.push({ path: childPath(path, 'Effect'), message: 'is required' })
  else if (effect !== 'Allow' && effect !== 'Deny') {
    errors.push({ path: childPath(path, 'Effect'), message: 'must be "Allow" or "Deny"' })
  }

  let principal: { negated: boolean; pattern: PrincipalPattern } | undefined
  const hasPrincipal = raw.Principal !== undefined
  const hasNotPrincipal = raw.NotPrincipal !== undefined
  if (KINDS_WITH_PRINCIPAL.has(options.kind)) {
    if (hasPrincipal && hasNotPrincipal) {
      errors.push({
        path: childPath(path, 'NotPrincipal'),
        message: 'cannot be combined with Principal',
      })
    } else if (!hasPrincipal && !hasNotPrincipal) {
      errors.push({
        path: childPath(path, 'Principal'),
        message: `is required in a ${options.kind} policy (Principal or NotPrincipal)`,
      })
    } else {
      const negated = hasNotPrincipal
      const key = negated ? 'NotPrincipal' : 'Principal'
      const result = compilePrincipal(raw[key], childPath(path, key), negated)
      if (result.ok) principal = { negated, pattern: result.pattern }
      else errors.push(...result.errors)
    }
  } else {
    for (const key of ['Principal', 'NotPrincipal'] as const) {
      if (raw[key] !== undefined) {
        errors.push({
          path: childPath(path, key),
          message: `is not allowed in an ${options.kind} policy`,
        })
      }
    }
  }

  let actions: StringPattern[] | null = null
  const actionNegated = raw.NotAction !== undefined
  if (raw.Action !== undefined && raw.NotAction !== undefined) {
    errors.push({ path: childPath(path, 'NotAction'), message: 'cannot be combined with Action' })
  } else if (raw.Action === undefined && raw.NotAction === undefined) {
    errors.push({ path: childPath(path, 'Action'), message: 'is required (Action or NotAction)' })
  } else {
    const key = actionNegated ? 'NotAction' : 'Action'
    actions = compileActions(raw[key], childPath(path, key), errors)
  }

  let resources: ResourceMatcher = buildResourceMatcher(false, [])
  const resourceNegated = raw.NotResource !== undefined
  if (options.kind === 'trust') {
    // IAM refuses Resource in a trust policy ("Has prohibited field Resource"): the role is it.
    for (const key of ['Resource', 'NotResource'] as const) {
      if (raw[key] !== undefined) {
        errors.push({ path: childPath(path, key), message: 'is not allowed in a trust policy' })
      }
    }
    resources = buildResourceMatcher(true, [])
  } else if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    errors.push({
      path: childPath(path, 'NotResource'),
      message: 'cannot be combined with Resource',
    })
  } else if (raw.Resource === undefined && raw.NotResource === undefined) {
    errors.push({
      path: childPath(path, 'Resource'),
      message: 'is required (Resource or NotResource)',
    })
  } else {
    const key = resourceNegated ? 'NotResource' : 'Resource'
    resources = compileResources(raw[key], childPath(path, key), variables, options, errors)
  }

  let conditions: readonly CompiledCondition[] = []
  if (raw.Condition !== undefined) {
    const result = compileConditions(raw.Condition, childPath(path, 'Condition'), variables)
    if (result.ok) conditions = result.conditions
    else errors.push(...result.errors)
  }
  if (errors.length > before || (effect !== 'Allow' && effect !== 'Deny')) return undefined
  return {
    index,
    sid,
    effect,
    principal,
    actionNegated,
    actions,
    resourceNegated,
    resources,
    conditions,
  }
}

function parseInput(
  input: unknown,
): { ok: true; value: unknown } | { ok: false; error: PolicyError } {
  if (typeof input !== 'string') return { ok: true, value: input }
  try {
    return { ok: true, value: JSON.parse(input) as unknown }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { ok: false, error: { path: ROOT_PATH, message: `not valid JSON: ${reason}` } }
  }
}

/** Compiles a policy document for the given use; never throws. */
export function compilePolicy(input: unknown, options: CompileOptions): CompilePolicyResult {
  try {
    return compileUnsafe(input, options)
  } catch (err) {
    // Defensive: a bug here must surface as a validation failure (deny), never as an exception.
    const reason = err instanceof Error ? err.message : String(err)
    return {
      ok: false,
      errors: [{ path: ROOT_PATH, message: `internal error while compiling: ${reason}` }],
    }
  }
}

function compileUnsafe(input: unknown, options: CompileOptions): CompilePolicyResult {
  const parsed = parseInput(input)
  if (!parsed.ok) return { ok: false, errors: [parsed.error] }
  const doc = parsed.value
  if (!isPlainObject(doc)) {
    return {
      ok: false,
      errors: [{ path: ROOT_PATH, message: 'a policy document must be a JSON object' }],
    }
  }
  const errors: PolicyError[] = []
  if (options.executeApiArnPrefix !== undefined) {
    const parts = splitArn(`${options.executeApiArnPrefix}/x`)
    if (parts === null || parts[0] !== 'arn' || parts[2] !== 'execute-api') {
      errors.push({
        path: ROOT_PATH,
        message:
          'executeApiArnPrefix must look like arn:aws:execute-api:{region}:{account}:{apiId}',
      })
    }
  }
  for (const key of Object.keys(doc)) {
    if (!DOCUMENT_KEYS.has(key)) errors.push({ path: key, message: 'unknown element' })
  }
  let version: string | undefined
  if (doc.Version !== undefined) {
    if (typeof doc.Version === 'string' && VERSIONS.has(doc.Version)) version = doc.Version
    else errors.push({ path: 'Version', message: 'must be "2012-10-17" or "2008-10-17"' })
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string')
    errors.push({ path: 'Id', message: 'must be a string' })
  const variables = version === '2012-10-17'
  const statements: CompiledStatement[] = []
  const raw = doc.Statement
  if (raw === undefined) {
    errors.push({ path: 'Statement', message: 'is required' })
  } else if (Array.isArray(raw) || isPlainObject(raw)) {
    const list: unknown[] = Array.isArray(raw) ? raw : [raw]
    const sids = new Map<string, number>()
    list.forEach((item, i) => {
      const path = Array.isArray(raw) ? indexPath('Statement', i) : 'Statement'
      const st = compileStatement(item, i, path, variables, options, errors)
      if (st === undefined) return
      if (st.sid !== undefined && st.sid !== '' && options.kind !== 'authorizer') {
        const first = sids.get(st.sid)
        if (first !== undefined) {
          errors.push({
            path: childPath(path, 'Sid'),
            message: `duplicate Sid (also Statement[${first}])`,
          })
        } else sids.set(st.sid, i)
      }
      statements.push(st)
    })
  } else {
    errors.push({ path: 'Statement', message: 'must be an object or a list of objects' })
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, policy: new CompiledPolicyImpl(version, options.kind, statements) }
}
