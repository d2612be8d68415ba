/**
 * Checks that JSON Schema cannot express: the local twins of the CRDs' CEL rules, `set` list
 * uniqueness, regular expressions, CIDRs, URLs, identity sources and route path syntax. Runs after the
 * schema validation passed (so the spec has its typed shape) and returns field-path errors.
 *
 * @module
 */
import { BlockList, isIP } from 'node:net'
import type { TSchema } from '@sinclair/typebox'
import { crossFieldRulesOf, parsePolicyDocument } from './common.js'
import type { AuthorizerSpec } from './authorizer.js'
import { KIND_INFO, type KindSpec, type PortcullisKind } from './kinds.js'
import type { PrincipalSpec } from './principal.js'
import type { PrivateEndpointSpec } from './private-endpoint.js'
import { HTTP_METHODS, type RestApiSpec } from './rest-api.js'
import type { UsagePlanSpec } from './usage-plan.js'

/** One problem in one field; `path` is the full field path, e.g. `spec.routes[2].path`. */
export interface FieldError {
  readonly path: string
  readonly message: string
}

/** Which policy engine grammar a policy document field follows. */
export type PolicyFieldKind = 'resource' | 'identity' | 'endpoint' | 'trust'

/** A policy document inside a spec, with its field path. */
export interface PolicyField {
  readonly path: string
  readonly kind: PolicyFieldKind
  readonly value: unknown
}

/**
 * Validates what the schema cannot, for a spec that already passed the schema of `kind`.
 * Never throws; an empty array means valid.
 */
export function validateSemantics(kind: PortcullisKind, spec: unknown): FieldError[] {
  const errors: FieldError[] = []
  walkSchema(KIND_INFO[kind].spec, spec, 'spec', errors)
  for (const field of policyFieldsOf(kind, spec)) {
    const parsed = parsePolicyDocument(field.value)
    if (!parsed.ok) errors.push({ path: field.path, message: parsed.message })
  }
  runKindRules(kind, specOf(kind, spec), errors)
  return errors
}

/** The policy document fields of a spec (present ones only), with their field paths and grammar. */
export function policyFieldsOf(kind: PortcullisKind, spec: unknown): PolicyField[] {
  return kindPolicyFields(kind, specOf(kind, spec))
}

/**
 * The spec as its kind's type. Sound because both entry points run only on a spec that passed the
 * schema of `kind`, which is what `KindSpec<K>` is the static type of.
 */
function specOf<K extends PortcullisKind>(_kind: K, spec: unknown): KindSpec<K> {
  return spec as KindSpec<K>
}

function runKindRules<K extends PortcullisKind>(
  kind: K,
  spec: KindSpec<K>,
  errors: FieldError[],
): void {
  KIND_RULES[kind]?.(spec, errors)
}

function kindPolicyFields<K extends PortcullisKind>(kind: K, spec: KindSpec<K>): PolicyField[] {
  return POLICY_FIELDS[kind](spec)
}

/** Rules beyond the schema and its CEL twins, for the kinds that have any. */
const KIND_RULES: {
  readonly [K in PortcullisKind]?: (spec: KindSpec<K>, errors: FieldError[]) => void
} = {
  RestApi: checkRestApi,
  Authorizer: checkAuthorizer,
  Principal: checkPrincipal,
  PrivateEndpoint: checkPrivateEndpoint,
  UsagePlan: checkUsagePlan,
}

/**
 * Where each kind holds policy documents, and which grammar they follow. Every kind has an entry
 * (`none` when it holds no policy), so a new kind cannot leave a policy field unparsed and unchecked
 * by omission.
 */
const POLICY_FIELDS: { readonly [K in PortcullisKind]: (spec: KindSpec<K>) => PolicyField[] } = {
  RestApi: (s) => {
    const fields: PolicyField[] = []
    if (s.policy !== undefined) {
      fields.push({ path: 'spec.policy', kind: 'resource', value: s.policy })
    }
    if (s.candidatePolicy !== undefined) {
      fields.push({ path: 'spec.candidatePolicy', kind: 'resource', value: s.candidatePolicy })
    }
    return fields
  },
  Principal: (s) => {
    const fields: PolicyField[] = (s.policies ?? []).map((p, i) => ({
      path: `spec.policies[${i}].policyDocument`,
      kind: 'identity' as const,
      value: p.policyDocument,
    }))
    ;(s.candidatePolicies ?? []).forEach((p, i) => {
      fields.push({
        path: `spec.candidatePolicies[${i}].policyDocument`,
        kind: 'identity',
        value: p.policyDocument,
      })
    })
    if (s.assumeRolePolicyDocument !== undefined) {
      fields.push({
        path: 'spec.assumeRolePolicyDocument',
        kind: 'trust',
        value: s.assumeRolePolicyDocument,
      })
    }
    return fields
  },
  Policy: (s) => [{ path: 'spec.policyDocument', kind: 'identity', value: s.policyDocument }],
  PrivateEndpoint: (s) =>
    s.policy === undefined ? [] : [{ path: 'spec.policy', kind: 'endpoint', value: s.policy }],
  Authorizer: none,
  ApiKey: none,
  UsagePlan: none,
  IdentityProvider: none,
}

function none(): PolicyField[] {
  return []
}

// ---------------------------------------------------------------------------------------------------
// Generic: CEL twins and list-type checks, found by walking the schema alongside the value.

function walkSchema(schema: TSchema, value: unknown, path: string, errors: FieldError[]): void {
  if (value === null || typeof value !== 'object') return
  const s = schema as Record<string, unknown>
  for (const rule of crossFieldRulesOf(schema)) {
    let ok = false
    try {
      ok = rule.check(value)
    } catch {
      ok = false // a twin that trips over an unexpected shape counts as a violation: fail closed
    }
    if (!ok) errors.push({ path: path + (rule.fieldPath ?? ''), message: rule.message })
  }
  if (Array.isArray(value)) {
    const items = s['items'] as TSchema | undefined
    if (s['x-kubernetes-list-type'] === 'set') checkSet(value, path, errors)
    const mapKeys = s['x-kubernetes-list-map-keys']
    if (s['x-kubernetes-list-type'] === 'map' && Array.isArray(mapKeys)) {
      checkMapList(value, mapKeys as string[], path, errors)
    }
    if (items !== undefined) {
      value.forEach((v, i) => {
        walkSchema(items, v, `${path}[${i}]`, errors)
      })
    }
    return
  }
  const props = s['properties'] as Record<string, TSchema> | undefined
  if (props === undefined) return
  for (const [key, sub] of Object.entries(props)) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) walkSchema(sub, v, `${path}.${key}`, errors)
  }
}

function checkSet(values: unknown[], path: string, errors: FieldError[]): void {
  const seen = new Map<string, number>()
  values.forEach((v, i) => {
    const key = JSON.stringify(v)
    const first = seen.get(key)
    if (first !== undefined) {
      errors.push({
        path: `${path}[${i}]`,
        message: `duplicate value ${key} (also at index ${first})`,
      })
    } else seen.set(key, i)
  })
}

function checkMapList(values: unknown[], keys: string[], path: string, errors: FieldError[]): void {
  const seen = new Map<string, number>()
  values.forEach((v, i) => {
    const key = JSON.stringify(keys.map((k) => (v as Record<string, unknown>)[k]))
    const first = seen.get(key)
    if (first !== undefined) {
      errors.push({
        path: `${path}[${i}]`,
        message: `duplicate entry for ${keys.join(', ')} (also at index ${first})`,
      })
    } else seen.set(key, i)
  })
}

// ---------------------------------------------------------------------------------------------------
// RestApi: route paths.

const LITERAL_SEGMENT = /^[A-Za-z0-9._~:@!$&'()*+,;=-]+$/
const PARAM_SEGMENT = /^\{([A-Za-z0-9_-]+)\}$/
const GREEDY_SEGMENT = /^\{([A-Za-z0-9_-]+)\+\}$/

/** A parsed route path segment. */
export type PathSegment =
  | { readonly type: 'literal'; readonly value: string }
  | { readonly type: 'param'; readonly name: string }
  | { readonly type: 'greedy'; readonly name: string }

export type ParsedRoutePath =
  | { readonly ok: true; readonly segments: readonly PathSegment[] }
  | { readonly ok: false; readonly message: string }

/**
 * Parses an API Gateway resource path: `/` alone, or `/`-separated non-empty segments, each a
 * literal, a `{param}`, or a greedy `{proxy+}` (last segment only). Parameter names are unique.
 */
export function parseRoutePath(path: string): ParsedRoutePath {
  if (!path.startsWith('/')) return { ok: false, message: 'must start with /' }
  if (path === '/') return { ok: true, segments: [] }
  const raw = path.slice(1).split('/')
  const segments: PathSegment[] = []
  const names = new Set<string>()
  for (const [i, seg] of raw.entries()) {
    if (seg === '') return { ok: false, message: 'empty path segment (double or trailing /)' }
    let m: RegExpExecArray | null
    if ((m = GREEDY_SEGMENT.exec(seg)) !== null) {
      if (i !== raw.length - 1) {
        return { ok: false, message: `greedy parameter ${seg} must be the last segment` }
      }
      segments.push({ type: 'greedy', name: m[1] ?? '' })
    } else if ((m = PARAM_SEGMENT.exec(seg)) !== null) {
      segments.push({ type: 'param', name: m[1] ?? '' })
    } else if (seg === '.' || seg === '..') {
      return { ok: false, message: `dot segment "${seg}" is not allowed` }
    } else if (LITERAL_SEGMENT.test(seg)) {
      segments.push({ type: 'literal', value: seg })
      continue
    } else {
      return {
        ok: false,
        message: `invalid segment "${seg}": use literal characters [A-Za-z0-9._~:@!$&'()*+,;=-], {param} or a final {proxy+}`,
      }
    }
    const last = segments[segments.length - 1]
    const name = last !== undefined && last.type !== 'literal' ? last.name : ''
    if (names.has(name)) return { ok: false, message: `duplicate path parameter {${name}}` }
    names.add(name)
  }
  return { ok: true, segments }
}

function segmentKey(s: PathSegment): string {
  return s.type === 'literal' ? `/${s.value}` : s.type === 'param' ? '/{}' : '/{+}'
}

function checkRestApi(spec: RestApiSpec, errors: FieldError[]): void {
  // AWS allows one variable child per resource: `/pets/{id}` next to `/pets/{petId}` is refused.
  const variableAt = new Map<string, { name: string; greedy: boolean; route: number }>()
  const methodAt = new Map<string, number>()
  spec.routes.forEach((route, i) => {
    const path = `spec.routes[${i}].path`
    const parsed = parseRoutePath(route.path)
    if (!parsed.ok) {
      errors.push({ path, message: parsed.message })
      return
    }
    let prefix = ''
    for (const seg of parsed.segments) {
      if (seg.type !== 'literal') {
        const other = variableAt.get(prefix)
        const greedy = seg.type === 'greedy'
        if (other === undefined) variableAt.set(prefix, { name: seg.name, greedy, route: i })
        else if (other.name !== seg.name || other.greedy !== greedy) {
          const mine = greedy ? `{${seg.name}+}` : `{${seg.name}}`
          const theirs = other.greedy ? `{${other.name}+}` : `{${other.name}}`
          errors.push({
            path,
            message: `${mine} conflicts with ${theirs} of routes[${other.route}]: only one path variable is allowed under ${prefix || '/'}`,
          })
          return
        }
      }
      prefix += segmentKey(seg)
    }
    for (const method of route.methods) {
      const key = `${method} ${prefix || '/'}`
      const first = methodAt.get(key)
      if (first !== undefined) {
        errors.push({
          path,
          message: `duplicate route ${method} ${route.path} (also routes[${first}])`,
        })
      } else methodAt.set(key, i)
    }
  })
}

// ---------------------------------------------------------------------------------------------------
// Authorizer: URLs, regular expression, identity sources.

const HEADER_NAME = "[A-Za-z0-9!#$%&'*+.^_`|~-]+"
const TOKEN_HEADER_SOURCE = new RegExp(
  `^(method\\.request\\.header\\.|\\$request\\.header\\.)${HEADER_NAME}$`,
)
const REQUEST_SOURCE = new RegExp(
  `^(method\\.request\\.header\\.${HEADER_NAME}|\\$request\\.header\\.${HEADER_NAME}|method\\.request\\.querystring\\.[^\\s,]+|\\$request\\.querystring\\.[^\\s,]+|\\$?stageVariables\\.[A-Za-z0-9_.:/?#&=,-]+|\\$?context\\.[A-Za-z0-9_.-]+)$`,
)

function checkUrl(value: string | undefined, path: string, errors: FieldError[]): void {
  if (value === undefined) return
  let url: URL
  try {
    url = new URL(value)
  } catch {
    errors.push({ path, message: 'must be an absolute http(s) URL' })
    return
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    errors.push({ path, message: 'must be an absolute http(s) URL' })
  } else if (url.username !== '' || url.password !== '') {
    // Credentials in a URL would end up in logs and status; use the authorizer's own auth instead.
    errors.push({ path, message: 'must not contain credentials' })
  }
}

function checkAuthorizer(spec: AuthorizerSpec, errors: FieldError[]): void {
  checkUrl(spec.authorizerUri, 'spec.authorizerUri', errors)
  checkUrl(spec.jwksUri, 'spec.jwksUri', errors)
  checkUrl(spec.jwtConfiguration?.issuer, 'spec.jwtConfiguration.issuer', errors)
  if (spec.identityValidationExpression !== undefined) {
    try {
      new RegExp(spec.identityValidationExpression)
    } catch (err) {
      errors.push({
        path: 'spec.identityValidationExpression',
        message: `invalid regular expression: ${(err as Error).message}`,
      })
    }
  }
  const source = spec.identitySource
  if (source === undefined) return
  const path = 'spec.identitySource'
  if (spec.type === 'REQUEST') {
    source.split(',').forEach((part, i) => {
      const p = part.trim()
      if (/^(method\.request\.path\.|\$request\.path\.)/.test(p)) {
        errors.push({
          path,
          message: `source ${i + 1} "${p}": path parameters cannot be identity sources`,
        })
      } else if (!REQUEST_SOURCE.test(p)) {
        errors.push({
          path,
          message: `source ${i + 1} "${p}": expected method.request.header.<Name>, method.request.querystring.<Name>, stageVariables.<Name> or context.<var>`,
        })
      }
    })
  } else if (spec.type === 'TOKEN') {
    if (!/^method\.request\.header\./.test(source) || !TOKEN_HEADER_SOURCE.test(source)) {
      errors.push({
        path,
        message: 'a TOKEN authorizer takes exactly one method.request.header.<Name>',
      })
    }
  } else if (!TOKEN_HEADER_SOURCE.test(source)) {
    errors.push({
      path,
      message: 'expected one header: method.request.header.<Name> or $request.header.<Name>',
    })
  }
}

// ---------------------------------------------------------------------------------------------------
// Principal: uniqueness inside the object.

function checkPrincipal(spec: PrincipalSpec, errors: FieldError[]): void {
  const keys = new Map<string, number>()
  ;(spec.accessKeys ?? []).forEach((k, i) => {
    const first = keys.get(k.accessKeyId)
    if (first !== undefined) {
      errors.push({
        path: `spec.accessKeys[${i}].accessKeyId`,
        message: `duplicate access key ID (also accessKeys[${first}])`,
      })
    } else keys.set(k.accessKeyId, i)
  })
  for (const field of ['policies', 'candidatePolicies'] as const) {
    const names = new Map<string, number>()
    ;(spec[field] ?? []).forEach((p, i) => {
      const first = names.get(p.policyName)
      if (first !== undefined) {
        errors.push({
          path: `spec.${field}[${i}].policyName`,
          message: `duplicate policy name (also ${field}[${first}])`,
        })
      } else names.set(p.policyName, i)
    })
  }
}

// ---------------------------------------------------------------------------------------------------
// PrivateEndpoint: CIDRs.

export type ParsedCidr =
  | {
      readonly ok: true
      readonly address: string
      readonly prefix: number
      readonly family: 'ipv4' | 'ipv6'
    }
  | { readonly ok: false; readonly message: string }

/** Parses `addr/prefix` (IPv4 or IPv6). A bare address is refused: NetworkPolicy needs a prefix. */
export function parseCidr(cidr: string): ParsedCidr {
  const slash = cidr.indexOf('/')
  if (slash < 0) return { ok: false, message: `"${cidr}" is not a CIDR (missing /prefix)` }
  const address = cidr.slice(0, slash)
  const prefixText = cidr.slice(slash + 1)
  const version = isIP(address)
  if (version === 0) return { ok: false, message: `"${cidr}": "${address}" is not an IP address` }
  const max = version === 4 ? 32 : 128
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, message: `"${cidr}": prefix must be 0–${max}` }
  }
  return { ok: true, address, prefix: Number(prefixText), family: version === 4 ? 'ipv4' : 'ipv6' }
}

function checkPrivateEndpoint(spec: PrivateEndpointSpec, errors: FieldError[]): void {
  spec.sources.forEach((source, i) => {
    ;(source.ipBlocks ?? []).forEach((block, j) => {
      const base = `spec.sources[${i}].ipBlocks[${j}]`
      const cidr = parseCidr(block.cidr)
      if (!cidr.ok) {
        errors.push({ path: `${base}.cidr`, message: cidr.message })
        return
      }
      const within = new BlockList()
      within.addSubnet(cidr.address, cidr.prefix, cidr.family)
      ;(block.except ?? []).forEach((ex, k) => {
        const path = `${base}.except[${k}]`
        const e = parseCidr(ex)
        if (!e.ok) errors.push({ path, message: e.message })
        else if (
          e.family !== cidr.family ||
          e.prefix < cidr.prefix ||
          !within.check(e.address, e.family)
        ) {
          errors.push({ path, message: `"${ex}" is not inside ${block.cidr}` })
        }
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------------
// UsagePlan: per-method throttle keys.

export type ParsedMethodThrottleKey =
  | { readonly ok: true; readonly path: string; readonly method: string }
  | { readonly ok: false; readonly message: string }

/**
 * Parses a per-method throttle key, `/resource/path/METHOD` as AWS writes it (`/pets/{petId}/GET`;
 * the root resource is `//GET`). The path part must itself be a valid route path.
 */
export function parseMethodThrottleKey(key: string): ParsedMethodThrottleKey {
  const slash = key.lastIndexOf('/')
  const method = key.slice(slash + 1)
  const rawPath = slash <= 0 ? '' : key.slice(0, slash)
  const path = rawPath === '' ? '/' : rawPath
  if (slash < 0 || !key.startsWith('/') || !(HTTP_METHODS as readonly string[]).includes(method)) {
    return {
      ok: false,
      message: `"${key}": expected /resource/path/METHOD with METHOD one of ${HTTP_METHODS.join(', ')}`,
    }
  }
  const parsed = parseRoutePath(path)
  if (!parsed.ok) return { ok: false, message: `"${key}": ${parsed.message}` }
  return { ok: true, path, method }
}

function checkUsagePlan(spec: UsagePlanSpec, errors: FieldError[]): void {
  spec.apiStages.forEach((stage, i) => {
    for (const key of Object.keys(stage.throttle ?? {})) {
      const parsed = parseMethodThrottleKey(key)
      if (!parsed.ok) {
        errors.push({ path: `spec.apiStages[${i}].throttle`, message: parsed.message })
      }
    }
  })
}
