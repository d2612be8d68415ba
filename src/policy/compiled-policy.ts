/**
 * The compiled form of one policy document and its per-request evaluation: statements apply when
 * action, resource, principal and every condition match; Deny wins, else Allow, else Neither.
 * Per request this only lower-cases the action, splits the resource ARN once, and runs
 * precompiled matchers. @module
 */
import { arnHead, arnParts, type ArnInput, type ArnPattern } from './arn-pattern.js'
import type { CompiledCondition } from './conditions/compile-conditions.js'
import type { PrincipalPattern } from './principal-pattern.js'
import type { StringPattern } from './string-pattern.js'
import type {
  ConditionContext,
  EvaluationResult,
  PolicyKind,
  PolicyRequest,
  StatementRef,
} from './types.js'

export interface CompiledPolicy {
  readonly version: string | undefined
  readonly statementCount: number
  readonly kind: PolicyKind
  evaluate(req: PolicyRequest, label: string): EvaluationResult
}

/**
 * Either `*` (anything, even a non-ARN), or ARN patterns. Patterns with a literal
 * `arn:partition:service:region:account:` are grouped by it, so a policy listing 50 ARNs of one
 * API compares that prefix once per request and globs only the resource parts.
 */
export interface ResourceMatcher {
  readonly any: boolean
  readonly byPrefix: ReadonlyMap<string, readonly StringPattern[]>
  readonly other: readonly ArnPattern[]
}

export function buildResourceMatcher(any: boolean, arns: readonly ArnPattern[]): ResourceMatcher {
  const byPrefix = new Map<string, StringPattern[]>()
  const other: ArnPattern[] = []
  for (const a of arns) {
    if (a.literalPrefix !== undefined && a.resource !== undefined) {
      const list = byPrefix.get(a.literalPrefix)
      if (list === undefined) byPrefix.set(a.literalPrefix, [a.resource])
      else list.push(a.resource)
    } else other.push(a)
  }
  return { any, byPrefix, other }
}

export interface CompiledStatement {
  readonly index: number
  readonly sid: string | undefined
  readonly effect: 'Allow' | 'Deny'
  /** Absent for identity / authorizer policies (the principal is implicit). */
  readonly principal: { readonly negated: boolean; readonly pattern: PrincipalPattern } | undefined
  readonly actionNegated: boolean
  /** Lower-cased action patterns; null means `*`. */
  readonly actions: readonly StringPattern[] | null
  readonly resourceNegated: boolean
  readonly resources: ResourceMatcher
  readonly conditions: readonly CompiledCondition[]
}

const NEITHER: EvaluationResult = Object.freeze({
  decision: 'Neither',
  statements: Object.freeze([]),
})

function actionMatches(
  st: CompiledStatement,
  lowerAction: string,
  context: ConditionContext,
): boolean {
  let hit = st.actions === null
  if (!hit && st.actions !== null) {
    for (const a of st.actions) {
      if (a.matches(lowerAction, context)) {
        hit = true
        break
      }
    }
  }
  return hit !== st.actionNegated
}

function resourceMatches(
  st: CompiledStatement,
  input: ArnInput,
  context: ConditionContext,
): boolean {
  return matchesResource(st.resources, input, context) !== st.resourceNegated
}

function matchesResource(r: ResourceMatcher, input: ArnInput, context: ConditionContext): boolean {
  if (r.any) return true
  if (r.byPrefix.size > 0) {
    const head = arnHead(input)
    const group = head === null ? undefined : r.byPrefix.get(head)
    if (group !== undefined) {
      const rest = input.rest ?? ''
      for (const p of group) if (p.matches(rest, context)) return true
    }
  }
  for (const p of r.other) if (p.matches(input, context)) return true
  return false
}

function conditionsHold(st: CompiledStatement, context: ConditionContext): boolean {
  for (const c of st.conditions) if (!c.test(context)) return false
  return true
}

/** Account field of the resource ARN (`arn:aws:execute-api:REGION:ACCOUNT:...`). */
function resourceAccount(input: ArnInput): string | undefined {
  return arnParts(input)?.[4]
}

/**
 * The last request ARN and its lazily split parts, shared by every policy evaluated for it: the
 * identity policies and the resource policy of one check, and the next check of the same method.
 * Its fields are pure functions of `arn`, so sharing it cannot change any result.
 */
let lastInput: ArnInput = { arn: '', parts: undefined }

function arnInputFor(arn: string): ArnInput {
  if (lastInput.arn !== arn) lastInput = { arn, parts: undefined }
  return lastInput
}

export class CompiledPolicyImpl implements CompiledPolicy {
  readonly statementCount: number
  private lastLabel: string | undefined
  private lastRefs: StatementRef[] = []
  /** Per statement, the frozen result when it alone decides (the usual case), for `lastLabel`. */
  private lastSingles: (EvaluationResult | undefined)[] = []
  // One-entry cache: callers evaluate many policies against the same request action.
  private lastAction = ''
  private lastLowerAction = ''

  constructor(
    readonly version: string | undefined,
    readonly kind: PolicyKind,
    private readonly statements: readonly CompiledStatement[],
  ) {
    this.statementCount = statements.length
  }

  private refs(label: string): StatementRef[] {
    if (label !== this.lastLabel) {
      this.lastRefs = this.statements.map((s) =>
        Object.freeze({ policy: label, index: s.index, sid: s.sid, effect: s.effect }),
      )
      this.lastSingles = []
      this.lastLabel = label
    }
    return this.lastRefs
  }

  /** The result of statement `i` deciding alone: built once per label, then shared (frozen). */
  private single(label: string, i: number): EvaluationResult {
    const refs = this.refs(label)
    let result = this.lastSingles[i]
    if (result === undefined) {
      const ref = refs[i] as StatementRef
      result = Object.freeze({
        decision: ref.effect === 'Deny' ? 'Deny' : 'Allow',
        statements: Object.freeze([ref]),
      })
      this.lastSingles[i] = result
    }
    return result
  }

  evaluate(req: PolicyRequest, label: string): EvaluationResult {
    if (req.action !== this.lastAction) {
      this.lastAction = req.action
      this.lastLowerAction = req.action.toLowerCase()
    }
    const lowerAction = this.lastLowerAction
    const input = arnInputFor(req.resource)
    // The first deciding statement, and any further ones (rare): no array for the usual case.
    let first = -1
    let denied = false
    let more: number[] | undefined
    for (let i = 0; i < this.statements.length; i++) {
      const st = this.statements[i]
      if (st === undefined) continue
      if (st.effect === 'Allow' && denied) continue // a Deny already decided it
      if (!actionMatches(st, lowerAction, req.context)) continue
      let delegatedToAccount = false
      if (st.principal !== undefined) {
        const pattern = st.principal.pattern
        if (st.principal.negated) {
          // NotPrincipal applies to everyone not listed; anonymous callers are never listed. A
          // Deny spares a caller only when each level AWS checks (account, user or role, session)
          // is listed: one listed level, such as the account, must not exempt its other users.
          // With Allow (which AWS does not support) the grant reaches only callers named at no
          // level, so each reading of the list errs towards less access.
          if (
            st.effect === 'Deny'
              ? pattern.listsEveryLevel(req.principal)
              : pattern.match(req.principal) !== 'none'
          )
            continue
        } else {
          const m = pattern.match(req.principal)
          if (m === 'none') continue
          // An account principal in a resource policy delegates to that account's identity
          // policies: for a caller in the resource's own account it grants nothing by itself.
          delegatedToAccount =
            m === 'account' &&
            this.kind === 'resource' &&
            req.principal !== null &&
            req.principal.accountId === resourceAccount(input)
        }
      }
      // Resource after principal: the principal is the cheaper filter for role-specific statements.
      if (!resourceMatches(st, input, req.context)) continue
      if (!conditionsHold(st, req.context)) continue
      if (st.effect === 'Deny') {
        if (!denied) {
          // The first Deny decides: the Allows gathered so far no longer count.
          denied = true
          first = i
          more = undefined
        } else (more ??= []).push(i)
      } else if (!delegatedToAccount) {
        if (first < 0) first = i
        else (more ??= []).push(i)
      }
    }
    if (first < 0) return NEITHER
    if (more === undefined) return this.single(label, first)
    const refs = this.refs(label)
    const statements: StatementRef[] = [refs[first] as StatementRef]
    for (const i of more) statements.push(refs[i] as StatementRef)
    return { decision: denied ? 'Deny' : 'Allow', statements }
  }
}
