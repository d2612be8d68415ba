/**
 * SAM's `Auth.ResourcePolicy` shorthands expanded into resource policy statements exactly as the
 * SAM translator writes them into `x-amazon-apigateway-policy` (same statements, order, and
 * `Fn::Sub` resource form), so SAM's expected output can serve as the oracle:
 *
 * - per path, the resources are `execute-api:/${__Stage__}/{METHOD}{path}` for every method the
 *   path has at that point (`*` for ANY; `{param}` segments become `*`);
 * - AwsAccountWhitelist/Blacklist: one Allow/Deny statement with `Principal.AWS` (appended every
 *   time, as SAM does);
 * - IpRangeWhitelist/Blacklist: an Allow to `*` plus a Deny on `NotIpAddress`/`IpAddress`
 *   `aws:SourceIp`; SourceVpc, IntrinsicVpc and IntrinsicVpce lists: the same pair on
 *   `StringNotEquals`/`StringEquals` `aws:SourceVpc`/`aws:SourceVpce` (both pairs added only when
 *   not already present);
 * - CustomStatements: appended when not already present.
 *
 * @module
 */
import { isIntrinsic, resolveIntrinsics, type IntrinsicContext } from './intrinsics.js'
import { asArray, asObject, type JsonObject } from './json-shape.js'

/** A template SAM refuses: the message is SAM's reason. */
export class SamTemplateError extends Error {
  override readonly name = 'SamTemplateError'
}

export interface PolicyBuilder {
  statements: unknown[]
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function pushUnique(b: PolicyBuilder, s: unknown): void {
  if (!b.statements.some((x) => deepEqual(x, s))) b.statements.push(s)
}

/** SAM's resource list for a path: one `Fn::Sub` per method the path has. */
export function methodResources(
  path: string,
  methods: readonly string[],
  stage: unknown,
): unknown[] {
  const p = path.replace(/\{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)\}/g, '*')
  return methods.map((m) => {
    const method =
      m.toLowerCase() === 'x-amazon-apigateway-any-method' || m.toLowerCase() === 'any'
        ? '*'
        : m.toUpperCase()
    return { 'Fn::Sub': [`execute-api:/\${__Stage__}/${method}${p}`, { __Stage__: stage }] }
  })
}

function stringList(v: unknown, key: string): string[] | undefined {
  if (v === undefined) return undefined
  const list = asArray(v)
  if (list === undefined || !list.every((x) => typeof x === 'string'))
    throw new SamTemplateError(
      `${key} must be a list of strings. Use ${key.replace('Source', 'Intrinsic')} instead for values that use Intrinsic Functions`,
    )
  return list as string[]
}

function ipPair(b: PolicyBuilder, resources: unknown[], ips: unknown, conditional: string): void {
  const list = asArray(ips) ?? (ips === undefined || ips === null || ips === '' ? [] : [ips])
  if (list.length === 0) return
  const allow = {
    Effect: 'Allow',
    Action: 'execute-api:Invoke',
    Resource: resources,
    Principal: '*',
  }
  const deny = { ...allow, Effect: 'Deny', Condition: { [conditional]: { 'aws:SourceIp': list } } }
  pushUnique(b, allow)
  pushUnique(b, deny)
}

function vpcPair(
  b: PolicyBuilder,
  resources: unknown[],
  strings: string[] | undefined,
  intrinsicVpc: unknown,
  intrinsicVpce: unknown,
  conditional: string,
): void {
  const condition: Record<string, unknown[]> = {}
  const add = (k: string, xs: readonly unknown[]): void => {
    if (xs.length > 0) (condition[k] ??= []).push(...xs)
  }
  if (strings !== undefined) {
    add(
      'aws:SourceVpc',
      strings.filter((e) => e.startsWith('vpc-')),
    )
    add(
      'aws:SourceVpce',
      strings.filter((e) => e.startsWith('vpce-')),
    )
  }
  if (intrinsicVpc !== undefined)
    (condition['aws:SourceVpc'] ??= []).push(...(asArray(intrinsicVpc) ?? [intrinsicVpc]))
  if (intrinsicVpce !== undefined)
    (condition['aws:SourceVpce'] ??= []).push(...(asArray(intrinsicVpce) ?? [intrinsicVpce]))
  if (Object.keys(condition).length === 0) return
  const allow = {
    Effect: 'Allow',
    Action: 'execute-api:Invoke',
    Resource: resources,
    Principal: '*',
  }
  const deny = { ...allow, Effect: 'Deny', Condition: { [conditional]: condition } }
  pushUnique(b, allow)
  pushUnique(b, deny)
}

/** The shorthand keys SAM reads (CustomStatements is added separately, once per API or event). */
export const RESOURCE_POLICY_KEYS = [
  'AwsAccountWhitelist',
  'AwsAccountBlacklist',
  'IpRangeWhitelist',
  'IpRangeBlacklist',
  'SourceVpcWhitelist',
  'SourceVpcBlacklist',
  'IntrinsicVpcWhitelist',
  'IntrinsicVpceWhitelist',
  'IntrinsicVpcBlacklist',
  'IntrinsicVpceBlacklist',
  'CustomStatements',
] as const

function substituteParameters(v: unknown, ctx: IntrinsicContext): unknown {
  if (Array.isArray(v)) return v.map((x) => substituteParameters(x, ctx))
  const o = asObject(v)
  if (o === undefined) return v
  const ref = o.Ref
  if (Object.keys(o).length === 1 && typeof ref === 'string' && ctx.parameters.has(ref))
    return ctx.parameters.get(ref)
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, substituteParameters(x, ctx)]))
}

/**
 * Checks a ResourcePolicy as SAM does. SAM resolves `Ref`s to parameters in the SourceVpc lists
 * before requiring strings, so those lists come back resolved.
 */
export function checkResourcePolicy(rp: unknown, ctx: IntrinsicContext): JsonObject {
  const o = asObject(rp)
  if (o === undefined)
    throw new SamTemplateError('ResourcePolicy must be a map (ResourcePolicyStatement).')
  const out: Record<string, unknown> = { ...o }
  // SAM substitutes parameter defaults into CustomStatements (other intrinsics stay as written).
  if (o.CustomStatements !== undefined)
    out.CustomStatements = substituteParameters(o.CustomStatements, ctx)
  for (const key of ['SourceVpcWhitelist', 'SourceVpcBlacklist']) {
    if (o[key] === undefined) continue
    // Intrinsics the template does not determine become placeholders (the policy reports them);
    // anything else that is not a string is refused, as SAM refuses it.
    // A whole-list intrinsic (`!Ref` to a CommaDelimitedList parameter) is a list too.
    const list = isIntrinsic(o[key]) ? [o[key]] : asArray(o[key])
    if (list !== undefined && list.every((x) => typeof x === 'string' || isIntrinsic(x)))
      out[key] = stringList(
        [resolveIntrinsics(list, ctx).value].flat(2).filter((x) => x !== undefined),
        key,
      )
    else stringList(o[key], key)
  }
  return out
}

/** SAM's `add_resource_policy` for one path whose methods are `methods`. */
export function addResourcePolicy(
  b: PolicyBuilder,
  rp: JsonObject,
  path: string,
  methods: readonly string[],
  stage: unknown,
): void {
  const resources = (): unknown[] => methodResources(path, methods, stage)
  for (const [key, effect] of [
    ['AwsAccountWhitelist', 'Allow'],
    ['AwsAccountBlacklist', 'Deny'],
  ] as const) {
    const v = rp[key]
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue
    if (asObject(v) === undefined && asArray(v) === undefined)
      throw new SamTemplateError(`Type of '${JSON.stringify(v)}' must be a list or dictionary`)
    b.statements.push({
      Effect: effect,
      Action: 'execute-api:Invoke',
      Resource: resources(),
      Principal: { AWS: asArray(v) ?? [v] },
    })
  }
  if (rp.IpRangeWhitelist !== undefined) ipPair(b, resources(), rp.IpRangeWhitelist, 'NotIpAddress')
  if (rp.IpRangeBlacklist !== undefined) ipPair(b, resources(), rp.IpRangeBlacklist, 'IpAddress')
  if (
    rp.SourceVpcBlacklist !== undefined ||
    rp.IntrinsicVpcBlacklist !== undefined ||
    rp.IntrinsicVpceBlacklist !== undefined
  )
    vpcPair(
      b,
      resources(),
      stringList(rp.SourceVpcBlacklist, 'SourceVpcBlacklist'),
      rp.IntrinsicVpcBlacklist,
      rp.IntrinsicVpceBlacklist,
      'StringEquals',
    )
  if (
    rp.SourceVpcWhitelist !== undefined ||
    rp.IntrinsicVpcWhitelist !== undefined ||
    rp.IntrinsicVpceWhitelist !== undefined
  )
    vpcPair(
      b,
      resources(),
      stringList(rp.SourceVpcWhitelist, 'SourceVpcWhitelist'),
      rp.IntrinsicVpcWhitelist,
      rp.IntrinsicVpceWhitelist,
      'StringNotEquals',
    )
}

/** SAM's `add_custom_statements`. */
export function addCustomStatements(b: PolicyBuilder, custom: unknown): void {
  if (custom === undefined || custom === null) return
  for (const s of asArray(custom) ?? [custom]) pushUnique(b, s)
}
