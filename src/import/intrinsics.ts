/**
 * CloudFormation intrinsic functions, resolved where the template alone determines the value:
 * `Ref` to a parameter with a default, pseudo parameters (the install's account and region, which
 * the caller reports), `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, and
 * `Fn::If` on conditions made of those. Anything else (`Fn::GetAtt`, `Ref` to a resource,
 * `Fn::ImportValue`, a parameter without default) is unresolved: the caller gets a placeholder and
 * the names of what was missing, to report.
 *
 * @module
 */
import { asArray, asObject, asString, type JsonObject } from './json-shape.js'

export interface IntrinsicContext {
  /** Template parameters that have a `Default`. */
  readonly parameters: ReadonlyMap<string, unknown>
  /** Logical IDs of the template's resources (a `Ref` to one is known to be unresolvable). */
  readonly resources: ReadonlySet<string>
  readonly conditions: JsonObject
  readonly mappings: JsonObject
  readonly accountId: string
  readonly region: string
  /** Pseudo parameters that were substituted, to report. */
  readonly usedPseudo: Set<string>
}

export function emptyContext(accountId: string, region: string): IntrinsicContext {
  return {
    parameters: new Map(),
    resources: new Set(),
    conditions: {},
    mappings: {},
    accountId,
    region,
    usedPseudo: new Set(),
  }
}

export function templateContext(
  template: JsonObject,
  accountId: string,
  region: string,
): IntrinsicContext {
  const parameters = new Map<string, unknown>()
  for (const [name, p] of Object.entries(asObject(template.Parameters) ?? {})) {
    const def = asObject(p)?.Default
    if (def !== undefined) parameters.set(name, def)
  }
  return {
    parameters,
    resources: new Set(Object.keys(asObject(template.Resources) ?? {})),
    conditions: asObject(template.Conditions) ?? {},
    mappings: asObject(template.Mappings) ?? {},
    accountId,
    region,
    usedPseudo: new Set(),
  }
}

/** Marks a value the template does not determine; `what` names the missing pieces. */
class Unresolved {
  constructor(readonly what: readonly string[]) {}
}

/** `AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue')

export interface Resolution {
  /** The resolved value; unresolved parts are `TODO-<name>` placeholder strings. */
  readonly value: unknown
  /** What could not be resolved (`Fn::GetAtt MyFunction.Arn`, `Ref UserPool`...); empty when all was. */
  readonly unresolved: readonly string[]
}

/** True when `v` is a one-key object naming an intrinsic function. */
/** The logical ID a `{Ref: X}` or `{Fn::GetAtt: [X, ...]}` names. */
export function refTarget(v: unknown): string | undefined {
  const o = asObject(v)
  return asString(o?.Ref) ?? asString(asArray(o?.['Fn::GetAtt'])?.[0])
}

export function isIntrinsic(v: unknown): boolean {
  const o = asObject(v)
  if (o === undefined) return false
  const keys = Object.keys(o)
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] ?? '').startsWith('Fn::'))
}

function pseudo(name: string, ctx: IntrinsicContext): string | undefined {
  switch (name) {
    case 'AWS::Region':
      ctx.usedPseudo.add(name)
      return ctx.region
    case 'AWS::AccountId':
      ctx.usedPseudo.add(name)
      return ctx.accountId
    case 'AWS::Partition':
      return 'aws'
    case 'AWS::URLSuffix':
      return 'amazonaws.com'
    default:
      return undefined
  }
}

function ref(name: string, ctx: IntrinsicContext): unknown {
  if (name === 'AWS::NoValue') return NO_VALUE
  const p = pseudo(name, ctx)
  if (p !== undefined) return p
  if (ctx.parameters.has(name)) return evaluate(ctx.parameters.get(name), ctx)
  return new Unresolved([`Ref ${name}`])
}

function sub(arg: unknown, ctx: IntrinsicContext): unknown {
  const list = asArray(arg)
  const template = asString(list ? list[0] : arg)
  if (template === undefined) return new Unresolved(['Fn::Sub (malformed)'])
  const vars = asObject(list?.[1]) ?? {}
  const missing: string[] = []
  const out = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    // `${!Literal}` is the escape for a literal `${Literal}`.
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`
    let v: unknown
    if (inner in vars) v = evaluate(vars[inner], ctx)
    else if (inner.includes('.')) v = new Unresolved([`Fn::GetAtt ${inner}`])
    else v = ref(inner, ctx)
    if (v instanceof Unresolved) {
      missing.push(...v.what)
      return whole
    }
    if (typeof v === 'string' || typeof v === 'number') return String(v)
    // CloudFormation substitutes strings only: a null or object variable determines nothing.
    missing.push(`Fn::Sub \${${inner}}`)
    return whole
  })
  return missing.length > 0 ? new Unresolved(missing) : out
}

/** Conditions being evaluated, so a condition naming itself (directly or not) ends unresolved. */
const evaluating = new Set<string>()

function condition(name: string, ctx: IntrinsicContext): boolean | Unresolved {
  const c = ctx.conditions[name]
  if (c === undefined) return new Unresolved([`Condition ${name}`])
  if (evaluating.has(name)) return new Unresolved([`Condition ${name} (refers to itself)`])
  evaluating.add(name)
  try {
    const v = evaluateCondition(c, ctx)
    return typeof v === 'boolean' ? v : v instanceof Unresolved ? v : new Unresolved([name])
  } finally {
    evaluating.delete(name)
  }
}

/**
 * An operand of a condition function: `{Condition: Name}` names another condition there (and only
 * there: elsewhere a `Condition` key is data, e.g. a policy statement's).
 */
function evaluateCondition(v: unknown, ctx: IntrinsicContext): unknown {
  const o = asObject(v)
  const keys = o === undefined ? [] : Object.keys(o)
  if (keys.length === 1 && keys[0] === 'Condition') {
    const name = o?.Condition
    return typeof name === 'string' ? condition(name, ctx) : new Unresolved(['Condition'])
  }
  return evaluate(v, ctx)
}

function evaluateFn(key: string, arg: unknown, ctx: IntrinsicContext): unknown {
  const args = asArray(arg) ?? []
  switch (key) {
    case 'Ref':
      return typeof arg === 'string' ? ref(arg, ctx) : new Unresolved(['Ref (malformed)'])
    case 'Condition':
      return typeof arg === 'string' ? condition(arg, ctx) : new Unresolved(['Condition'])
    case 'Fn::Sub':
      return sub(arg, ctx)
    case 'Fn::Join': {
      const parts = evaluate(args[1], ctx)
      if (parts instanceof Unresolved) return parts
      const list = asArray(parts)
      if (typeof args[0] !== 'string' || list === undefined) return new Unresolved(['Fn::Join'])
      if (!list.every((p) => typeof p === 'string' || typeof p === 'number'))
        return new Unresolved(['Fn::Join'])
      return list.map(String).join(args[0])
    }
    case 'Fn::Select': {
      const list = asArray(evaluate(args[1], ctx))
      const i = Number(evaluate(args[0], ctx))
      return list !== undefined && Number.isInteger(i) && i >= 0 && i < list.length
        ? list[i]
        : new Unresolved(['Fn::Select'])
    }
    case 'Fn::Split': {
      const s = evaluate(args[1], ctx)
      return typeof args[0] === 'string' && typeof s === 'string'
        ? s.split(args[0])
        : s instanceof Unresolved
          ? s
          : new Unresolved(['Fn::Split'])
    }
    case 'Fn::FindInMap': {
      const [m, k1, k2] = args.map((a) => evaluate(a, ctx))
      if (typeof m !== 'string' || typeof k1 !== 'string' || typeof k2 !== 'string')
        return new Unresolved(['Fn::FindInMap'])
      const v = asObject(asObject(ctx.mappings[m])?.[k1])?.[k2]
      return v === undefined ? new Unresolved([`Fn::FindInMap ${m}`]) : v
    }
    case 'Fn::If': {
      const c = typeof args[0] === 'string' ? condition(args[0], ctx) : new Unresolved(['Fn::If'])
      if (c instanceof Unresolved) return new Unresolved([`Fn::If ${String(args[0])}`, ...c.what])
      return evaluate(c ? args[1] : args[2], ctx)
    }
    case 'Fn::Equals': {
      const [a, b] = args.map((x) => evaluate(x, ctx))
      if (a instanceof Unresolved) return a
      if (b instanceof Unresolved) return b
      return JSON.stringify(a) === JSON.stringify(b)
    }
    case 'Fn::Not': {
      const v = evaluateCondition(args[0], ctx)
      return typeof v === 'boolean' ? !v : v instanceof Unresolved ? v : new Unresolved(['Fn::Not'])
    }
    case 'Fn::And':
    case 'Fn::Or': {
      const vs = args.map((x) => evaluateCondition(x, ctx))
      const bad = vs.find((v) => typeof v !== 'boolean')
      if (bad !== undefined) return bad instanceof Unresolved ? bad : new Unresolved([key])
      return key === 'Fn::And' ? vs.every((v) => v === true) : vs.some((v) => v === true)
    }
    case 'Fn::GetAtt': {
      const what = Array.isArray(arg) ? args.map(String).join('.') : String(arg)
      return new Unresolved([`Fn::GetAtt ${what}`])
    }
    default:
      return new Unresolved([key])
  }
}

function evaluate(v: unknown, ctx: IntrinsicContext): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = []
    const missing: string[] = []
    for (const x of v) {
      const r = evaluate(x, ctx)
      if (r === NO_VALUE) continue
      if (r instanceof Unresolved) missing.push(...r.what)
      out.push(r)
    }
    return missing.length > 0 && out.every((x) => x instanceof Unresolved)
      ? new Unresolved(missing)
      : out
  }
  const o = asObject(v)
  if (o === undefined) return v
  if (isIntrinsic(o)) {
    const [key] = Object.keys(o) as [string]
    return evaluateFn(key, o[key], ctx)
  }
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(o)) {
    const r = evaluate(x, ctx)
    if (r !== NO_VALUE) out[k] = r
  }
  return out
}

function placeholder(u: Unresolved): string {
  const name = (u.what[0] ?? 'value').replace(/^(Ref|Fn::GetAtt|Fn::\w+) /, '')
  return `TODO-${name.replace(/[^A-Za-z0-9.-]+/g, '-')}`
}

/** Replaces every `Unresolved` marker left in `v` by a placeholder, collecting what was missing. */
function settle(v: unknown, missing: string[]): unknown {
  if (v instanceof Unresolved) {
    missing.push(...v.what)
    return placeholder(v)
  }
  if (Array.isArray(v)) return v.map((x) => settle(x, missing))
  const o = asObject(v)
  if (o === undefined) return v
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, settle(x, missing)]))
}

/** Resolves every intrinsic in `v` (deeply). */
export function resolveIntrinsics(v: unknown, ctx: IntrinsicContext): Resolution {
  const missing: string[] = []
  const r = evaluate(v, ctx)
  const value = r === NO_VALUE ? undefined : settle(r, missing)
  return { value, unresolved: [...new Set(missing)] }
}
