/**
 * Every IAM condition operator (IAM User Guide, "Condition operators"): its family compiler,
 * whether it is negated, and the parser for `ForAllValues:` / `ForAnyValue:` prefixes and the
 * `IfExists` suffix. Names are matched case-insensitively. @module
 */
import { compileArnLike } from './arn-operators.js'
import { compileBinaryEquals } from './binary-operator.js'
import { compileBool } from './bool-operator.js'
import type { FamilyCompiler } from './condition-types.js'
import { dateCompiler } from './date-operators.js'
import { compileIpAddress } from './ip-address-operator.js'
import { numericCompiler } from './numeric-operators.js'
import {
  compileStringEquals,
  compileStringEqualsIgnoreCase,
  compileStringLike,
} from './string-operators.js'

export type ConditionOperator =
  | 'StringEquals'
  | 'StringNotEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringNotEqualsIgnoreCase'
  | 'StringLike'
  | 'StringNotLike'
  | 'NumericEquals'
  | 'NumericNotEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateNotEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'Bool'
  | 'BinaryEquals'
  | 'IpAddress'
  | 'NotIpAddress'
  | 'ArnEquals'
  | 'ArnLike'
  | 'ArnNotEquals'
  | 'ArnNotLike'
  | 'Null'

export interface OperatorSpec {
  /** Compiles the values into the positive test; negated operators invert it. */
  readonly compile: FamilyCompiler
  readonly negated: boolean
}

const eq = numericCompiler('eq')
const dEq = dateCompiler('eq')

/** Null is handled by the condition compiler itself (it tests presence, not values). */
export const CONDITION_OPERATORS = {
  StringEquals: { compile: compileStringEquals, negated: false },
  StringNotEquals: { compile: compileStringEquals, negated: true },
  StringEqualsIgnoreCase: { compile: compileStringEqualsIgnoreCase, negated: false },
  StringNotEqualsIgnoreCase: { compile: compileStringEqualsIgnoreCase, negated: true },
  StringLike: { compile: compileStringLike, negated: false },
  StringNotLike: { compile: compileStringLike, negated: true },
  NumericEquals: { compile: eq, negated: false },
  NumericNotEquals: { compile: eq, negated: true },
  NumericLessThan: { compile: numericCompiler('lt'), negated: false },
  NumericLessThanEquals: { compile: numericCompiler('lte'), negated: false },
  NumericGreaterThan: { compile: numericCompiler('gt'), negated: false },
  NumericGreaterThanEquals: { compile: numericCompiler('gte'), negated: false },
  DateEquals: { compile: dEq, negated: false },
  DateNotEquals: { compile: dEq, negated: true },
  DateLessThan: { compile: dateCompiler('lt'), negated: false },
  DateLessThanEquals: { compile: dateCompiler('lte'), negated: false },
  DateGreaterThan: { compile: dateCompiler('gt'), negated: false },
  DateGreaterThanEquals: { compile: dateCompiler('gte'), negated: false },
  Bool: { compile: compileBool, negated: false },
  BinaryEquals: { compile: compileBinaryEquals, negated: false },
  IpAddress: { compile: compileIpAddress, negated: false },
  NotIpAddress: { compile: compileIpAddress, negated: true },
  ArnEquals: { compile: compileArnLike, negated: false },
  ArnLike: { compile: compileArnLike, negated: false },
  ArnNotEquals: { compile: compileArnLike, negated: true },
  ArnNotLike: { compile: compileArnLike, negated: true },
} as const satisfies Record<Exclude<ConditionOperator, 'Null'>, OperatorSpec>

const BY_LOWER_NAME = new Map<string, ConditionOperator>(
  [...Object.keys(CONDITION_OPERATORS), 'Null'].map((name) => [
    name.toLowerCase(),
    name as ConditionOperator,
  ]),
)

export type SetOperator = 'ForAllValues' | 'ForAnyValue'

export interface ParsedOperator {
  readonly operator: ConditionOperator
  readonly set: SetOperator | undefined
  readonly ifExists: boolean
}

export type ParseOperatorResult =
  | { readonly ok: true; readonly parsed: ParsedOperator }
  | { readonly ok: false; readonly message: string }

export function parseOperatorName(name: string): ParseOperatorResult {
  let rest = name
  let set: SetOperator | undefined
  const colon = rest.indexOf(':')
  if (colon !== -1) {
    const prefix = rest.slice(0, colon).toLowerCase()
    if (prefix === 'forallvalues') set = 'ForAllValues'
    else if (prefix === 'foranyvalue') set = 'ForAnyValue'
    else return { ok: false, message: `unknown set operator "${rest.slice(0, colon)}"` }
    rest = rest.slice(colon + 1)
  }
  let operator = BY_LOWER_NAME.get(rest.toLowerCase())
  let ifExists = false
  if (operator === undefined && rest.toLowerCase().endsWith('ifexists')) {
    operator = BY_LOWER_NAME.get(rest.slice(0, -'ifexists'.length).toLowerCase())
    ifExists = operator !== undefined
  }
  if (operator === undefined) return { ok: false, message: `unknown condition operator "${name}"` }
  if (operator === 'Null' && ifExists) {
    return { ok: false, message: 'Null cannot be combined with IfExists' }
  }
  if (operator === 'Null' && set !== undefined) {
    return { ok: false, message: `Null cannot be combined with ${set}` }
  }
  return { ok: true, parsed: { operator, set, ifExists } }
}
