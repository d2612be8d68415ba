/**
 * Compiles a statement's `Condition` block into tests evaluated per request: AND across operators
 * and keys, OR across values (AND of "not" for negated operators), IAM's missing-key rules,
 * `...IfExists`, `ForAllValues:` / `ForAnyValue:` and `Null`. @module
 */
import { childPath, indexPath } from '../json-path.js'
import type { ConditionContext, PolicyError } from '../types.js'
import type { PositiveTest } from './condition-types.js'
import { CONDITION_OPERATORS, parseOperatorName, type ParsedOperator } from './operator-registry.js'

/** One (operator, key) pair of a Condition block. */
export interface CompiledCondition {
  readonly key: string
  test(context: ConditionContext): boolean
}

export type CompileConditionsResult =
  | { readonly ok: true; readonly conditions: readonly CompiledCondition[] }
  | { readonly ok: false; readonly errors: readonly PolicyError[] }

const MAX_KEY_LENGTH = 256

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON scalars a condition value may be; AWS stringifies numbers and booleans. */
function scalarToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return undefined
}

function readValues(
  raw: unknown,
  path: string,
  errors: PolicyError[],
): { values: string[]; paths: string[] } | undefined {
  const items = Array.isArray(raw) ? raw : [raw]
  if (Array.isArray(raw) && raw.length === 0) {
    errors.push({ path, message: 'must not be an empty list' })
    return undefined
  }
  const values: string[] = []
  const paths: string[] = []
  let ok = true
  items.forEach((item, i) => {
    const itemPath = Array.isArray(raw) ? indexPath(path, i) : path
    const text = scalarToString(item)
    if (text === undefined) {
      errors.push({ path: itemPath, message: 'must be a string, number or boolean' })
      ok = false
      return
    }
    values.push(text)
    paths.push(itemPath)
  })
  return ok ? { values, paths } : undefined
}

function buildCondition(
  key: string,
  op: ParsedOperator,
  positive: PositiveTest,
  negated: boolean,
): CompiledCondition {
  const single = negated ? (r: string, c: ConditionContext): boolean => !positive(r, c) : positive
  if (op.set === 'ForAllValues') {
    return {
      key,
      test(context) {
        const v = context.get(key)
        if (v === undefined) return true
        if (typeof v === 'string') return single(v, context)
        for (const r of v) if (!single(r, context)) return false
        return true
      },
    }
  }
  if (op.set === 'ForAnyValue') {
    const ifExists = op.ifExists
    return {
      key,
      test(context) {
        const v = context.get(key)
        if (v === undefined) return ifExists
        if (typeof v === 'string') return single(v, context)
        for (const r of v) if (single(r, context)) return true
        return false
      },
    }
  }
  const whenMissing = op.ifExists || negated
  return {
    key,
    test(context) {
      const v = context.get(key)
      if (v === undefined) return whenMissing
      // A single-valued operator never matches a multivalued key: a set operator is required.
      if (typeof v !== 'string') return false
      return single(v, context)
    },
  }
}

function buildNull(
  key: string,
  values: readonly string[],
  paths: readonly string[],
  errors: PolicyError[],
): CompiledCondition | undefined {
  let wantAbsent = false
  let wantPresent = false
  let ok = true
  values.forEach((value, i) => {
    const lower = value.toLowerCase()
    if (lower === 'true') wantAbsent = true
    else if (lower === 'false') wantPresent = true
    else {
      errors.push({ path: paths[i] ?? '', message: 'not a boolean ("true" or "false")' })
      ok = false
    }
  })
  if (!ok) return undefined
  return {
    key,
    test(context) {
      const present = context.get(key) !== undefined
      return present ? wantPresent : wantAbsent
    },
  }
}

export function compileConditions(
  raw: unknown,
  path: string,
  variables: boolean,
): CompileConditionsResult {
  const errors: PolicyError[] = []
  const conditions: CompiledCondition[] = []
  if (!isPlainObject(raw)) {
    return { ok: false, errors: [{ path, message: 'must be an object of condition operators' }] }
  }
  for (const [operatorName, block] of Object.entries(raw)) {
    const opPath = childPath(path, operatorName)
    const parsed = parseOperatorName(operatorName)
    if (!parsed.ok) {
      errors.push({ path: opPath, message: parsed.message })
      continue
    }
    if (!isPlainObject(block)) {
      errors.push({ path: opPath, message: 'must be an object of condition keys' })
      continue
    }
    if (Object.keys(block).length === 0) {
      errors.push({ path: opPath, message: 'must contain at least one condition key' })
      continue
    }
    for (const [key, rawValues] of Object.entries(block)) {
      const keyPath = childPath(opPath, key)
      if (
        key.length === 0 ||
        key.length > MAX_KEY_LENGTH ||
        key.trim() !== key ||
        /[\u0000-\u001f${}]/.test(key)
      ) {
        errors.push({ path: keyPath, message: 'not a valid condition key name' })
        continue
      }
      const read = readValues(rawValues, keyPath, errors)
      if (read === undefined) continue
      const lowerKey = key.toLowerCase()
      const op = parsed.parsed
      if (op.operator === 'Null') {
        const condition = buildNull(lowerKey, read.values, read.paths, errors)
        if (condition !== undefined) conditions.push(condition)
        continue
      }
      const spec = CONDITION_OPERATORS[op.operator]
      const compiled = spec.compile({ values: read.values, paths: read.paths, variables })
      if (!compiled.ok) {
        errors.push(...compiled.errors)
        continue
      }
      conditions.push(buildCondition(lowerKey, op, compiled.test, spec.negated))
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, conditions }
}
