/**
 * OpenAPI 2 (Swagger) and 3 documents with API Gateway's `x-amazon-apigateway-*` extensions → an
 * ImportedApi. Used for OpenAPI exports, and for the `DefinitionBody` / `Body` of SAM and
 * CloudFormation APIs (their intrinsics are resolved with the template's context).
 *
 * Security follows API Gateway's import: an operation's `security` (else the document's) names
 * schemes; a scheme with `x-amazon-apigateway-authorizer` is a TOKEN / REQUEST / Cognito / JWT
 * authorizer, `x-amazon-apigateway-authtype: awsSigv4` is AWS_IAM, an `apiKey` scheme without
 * authorizer is the API key, and SAM's `NONE` marker means no authorization. A method whose
 * security cannot be mapped is left out (so it stays closed: 403 Missing Authentication Token) and
 * reported, never written as an open NONE route.
 *
 * @module
 */
import {
  DEFAULT_TOKEN_IDENTITY_SOURCE,
  type AuthorizationType,
  type AuthorizerSpec,
  type HttpMethod,
} from '../api/v1alpha1/index.js'
import { cognitoIssuerFromProviderArn } from '../authn/jwt/jwt-authorizer-config.js'
import { parseIdentitySource } from '../authn/lambda/lambda-authorizer-config.js'
import { compilePolicy } from '../policy/compile-policy.js'
import { newImportedApi, type ImportedApi, type ImportedRoute } from './imported-api.js'
import { resolveIntrinsics, type IntrinsicContext } from './intrinsics.js'
import { asArray, asObject, asString, toObjectName, type JsonObject } from './json-shape.js'
import { authorizerUriPlaceholder, lambdaFunctionName } from './lambda-placeholder.js'
import { pointerTo, type ImportReport } from './report.js'

const OPERATION_KEYS: Readonly<Record<string, HttpMethod>> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
}

/** True when `a` can name a real user pool (the same check the authorizer compiler makes). */
function isUserPoolArn(a: unknown): a is string {
  return typeof a === 'string' && !(cognitoIssuerFromProviderArn(a) instanceof Error)
}

/** A user pool ARN that parses but names no pool, for the user to replace. */
export function userPoolPlaceholder(name: string, ctx: IntrinsicContext): string {
  const id = toObjectName(name).replace(/[^a-z0-9]/g, '') || 'pool'
  return `arn:aws:cognito-idp:${ctx.region}:${ctx.accountId}:userpool/${ctx.region}_TODO${id}`
}

export interface OpenApiOptions {
  readonly file: string
  /** Pointer of the document inside the file (`` for a whole-file export). */
  readonly pointer: string
  readonly name: string
  readonly stage: string
  readonly ctx: IntrinsicContext
  readonly report: ImportReport
  /** Told each route written, with the operation it came from (conditional wrappers removed). */
  readonly onRoute?: (route: ImportedRoute, operation: JsonObject) => void
}

export type SchemeMapping =
  | { readonly kind: 'authorizer'; readonly type: AuthorizationType; readonly key: string }
  | { readonly kind: 'iam' }
  | { readonly kind: 'apiKey' }
  | { readonly kind: 'none' }
  | { readonly kind: 'unmappable'; readonly why: string }

export function isOpenApi(doc: JsonObject): boolean {
  return (
    // YAML reads an unquoted `swagger: 2.0` as a number.
    (['string', 'number'].includes(typeof doc.swagger) ||
      ['string', 'number'].includes(typeof doc.openapi)) &&
    asObject(doc.paths) !== undefined
  )
}

/** Resolves intrinsics in `v`; reports what could not be resolved as a TODO at `pointer`. */
export function resolved(
  v: unknown,
  what: string,
  pointer: string,
  o: Pick<OpenApiOptions, 'ctx' | 'report' | 'file'>,
): { value: unknown; ok: boolean } {
  const r = resolveIntrinsics(v, o.ctx)
  if (r.unresolved.length > 0) {
    o.report.add(
      'todo',
      what,
      o.file,
      pointer,
      `not determined by the template (${r.unresolved.join(', ')}); placeholder written`,
    )
  }
  return { value: r.value, ok: r.unresolved.length === 0 }
}

function schemesOf(doc: JsonObject): { schemes: JsonObject; pointer: string } {
  const v3 = asObject(asObject(doc.components)?.securitySchemes)
  if (v3 !== undefined) return { schemes: v3, pointer: '/components/securitySchemes' }
  return { schemes: asObject(doc.securityDefinitions) ?? {}, pointer: '/securityDefinitions' }
}

/** The header an OpenAPI `apiKey` scheme names, as an API Gateway identity source. */
function headerIdentity(scheme: JsonObject): string | undefined {
  const name = asString(scheme.name)
  return scheme.in === 'header' && name !== undefined ? `method.request.header.${name}` : undefined
}

/** Splits a REQUEST identitySource into the parts Portcullis can read and those it cannot. */
function supportedRequestSources(source: string): {
  sources: string | undefined
  dropped: string[]
} {
  const kept: string[] = []
  const dropped: string[] = []
  for (const part of source.split(',').map((x) => x.trim())) {
    if (part === '') continue
    if (parseIdentitySource(part, 'REQUEST').ok) kept.push(part)
    else dropped.push(part)
  }
  return { sources: kept.length > 0 ? kept.join(', ') : undefined, dropped }
}

/** Maps one API Gateway authorizer (OpenAPI extension shape) and registers it on the API. */
export function mapAuthorizer(
  key: string,
  scheme: JsonObject,
  ext: JsonObject,
  ptr: string,
  api: ImportedApi,
  o: Pick<OpenApiOptions, 'ctx' | 'report' | 'file'>,
  /** Where a field of `ext` sits in the source (CloudFormation spells them in PascalCase). */
  fieldPointer: (field: string) => string = (field) =>
    pointerTo(ptr, 'x-amazon-apigateway-authorizer', field),
): SchemeMapping {
  const r = (field: string): unknown =>
    resolved(ext[field], `authorizer ${key} ${field}`, fieldPointer(field), o).value
  const type = asString(r('type'))?.toLowerCase()
  const ttlRaw = r('authorizerResultTtlInSeconds')
  const ttl = typeof ttlRaw === 'number' ? ttlRaw : ttlRaw === undefined ? 300 : Number(ttlRaw)
  // An empty identitySource is API Gateway's "not set" (its console writes it that way).
  let identitySource = asString(r('identitySource')) || headerIdentity(scheme)
  const validation = asString(r('identityValidationExpression'))
  let spec: AuthorizerSpec
  let authType: AuthorizationType
  const notes: string[] = []
  const common = {
    timeoutMillis: 3000,
    payloadFormatVersion: '1.0',
    enableSimpleResponses: false,
  } as const
  if (type === 'token' || type === 'request') {
    const fn = lambdaFunctionName(ext.authorizerUri)
    const uri = authorizerUriPlaceholder(fn)
    o.report.add(
      'todo',
      `authorizer ${key} authorizerUri`,
      o.file,
      fieldPointer('authorizerUri'),
      `Lambda function ${fn ?? '(unnamed)'} → placeholder ${uri}: serve the function over HTTP and put its URL here`,
    )
    const cacheable = Number.isInteger(ttl) && ttl >= 0 && ttl <= 3600
    if (!cacheable)
      notes.push(`authorizerResultTtlInSeconds ${String(ttlRaw)} is not 0–3600; 300 used`)
    let effectiveTtl = cacheable ? ttl : 300
    if (type === 'request' && identitySource !== undefined) {
      const kept = supportedRequestSources(identitySource)
      if (kept.dropped.length > 0) {
        identitySource = kept.sources
        // A cache key without the dropped sources would hand one caller's cached Allow to
        // requests that differ only in them: no caching instead.
        notes.push(
          `identity sources ${kept.dropped.join(', ')} dropped (not a request value Portcullis has); TTL 0 used`,
        )
        effectiveTtl = 0
      }
    }
    if (type === 'request' && effectiveTtl > 0 && identitySource === undefined) {
      notes.push('REQUEST authorizer without identitySource cannot cache: TTL 0 used')
      effectiveTtl = 0
    }
    spec = {
      ...common,
      type: type === 'token' ? 'TOKEN' : 'REQUEST',
      authorizerUri: uri,
      authorizerResultTtlInSeconds: effectiveTtl,
      ...(identitySource !== undefined
        ? { identitySource }
        : type === 'token'
          ? { identitySource: DEFAULT_TOKEN_IDENTITY_SOURCE }
          : {}),
      ...(type === 'token' && validation !== undefined
        ? { identityValidationExpression: validation }
        : {}),
    }
    if (type === 'request' && validation !== undefined)
      notes.push('identityValidationExpression ignored (API Gateway ignores it for REQUEST)')
    authType = 'CUSTOM'
  } else if (type === 'cognito_user_pools') {
    const arnsPtr = fieldPointer('providerARNs')
    const raw = resolveIntrinsics(ext.providerARNs, o.ctx)
    const arns: string[] = []
    ;(asArray(raw.value) ?? [raw.value]).forEach((a, i) => {
      if (isUserPoolArn(a)) arns.push(a)
      else {
        const ph = userPoolPlaceholder(String(a).replace(/^TODO-/, ''), o.ctx)
        arns.push(ph)
        o.report.add(
          'todo',
          `authorizer ${key} providerARNs[${i}]`,
          o.file,
          pointerTo(arnsPtr, i),
          `user pool ARN not determined by the template (${raw.unresolved.join(', ') || String(a)}); placeholder ${ph}`,
        )
      }
    })
    if (arns.length === 0)
      return { kind: 'unmappable', why: 'cognito_user_pools without providerARNs' }
    spec = {
      ...common,
      type: 'COGNITO_USER_POOLS',
      providerARNs: arns.slice(0, 10),
      authorizerResultTtlInSeconds: Number.isInteger(ttl) && ttl >= 0 && ttl <= 3600 ? ttl : 300,
      ...(identitySource !== undefined ? { identitySource } : {}),
      ...(validation !== undefined ? { identityValidationExpression: validation } : {}),
    }
    authType = 'COGNITO_USER_POOLS'
  } else if (type === 'jwt') {
    const jwt = asObject(r('jwtConfiguration'))
    const issuer = asString(jwt?.issuer)
    const audience = (asArray(jwt?.audience) ?? []).filter(
      (a): a is string => typeof a === 'string',
    )
    if (issuer === undefined || !/^https?:\/\//.test(issuer) || audience.length === 0)
      return { kind: 'unmappable', why: 'JWT authorizer without a usable issuer and audience' }
    spec = {
      ...common,
      type: 'JWT',
      jwtConfiguration: { issuer, audience },
      authorizerResultTtlInSeconds: 300,
      ...(identitySource !== undefined ? { identitySource } : {}),
    }
    authType = 'JWT'
  } else {
    return { kind: 'unmappable', why: `unknown authorizer type ${String(type)}` }
  }
  if (ext.authorizerCredentials !== undefined)
    notes.push('authorizerCredentials (the invoke role) has no counterpart and was dropped')
  api.authorizers.set(key, { key, spec, source: { file: o.file, pointer: ptr } })
  o.report.add(
    notes.length > 0 ? 'approximated' : 'mapped',
    `authorizer ${key} (${spec.type})`,
    o.file,
    ptr,
    notes.length > 0 ? notes.join('; ') : undefined,
  )
  return { kind: 'authorizer', type: authType, key }
}

function mapScheme(
  key: string,
  schemes: JsonObject,
  schemesPtr: string,
  api: ImportedApi,
  o: OpenApiOptions,
): SchemeMapping {
  const scheme = asObject(schemes[key])
  const ptr = pointerTo(schemesPtr, key)
  if (scheme === undefined) {
    // SAM writes `NONE: []` for "no authorization" (it never defines a NONE scheme).
    if (key === 'NONE') return { kind: 'none' }
    return { kind: 'unmappable', why: `security scheme ${key} is not defined` }
  }
  const ext = asObject(scheme['x-amazon-apigateway-authorizer'])
  if (ext !== undefined) return mapAuthorizer(key, scheme, ext, ptr, api, o)
  const authtype = asString(scheme['x-amazon-apigateway-authtype'])?.toLowerCase()
  if (authtype === 'awssigv4') {
    o.report.add('mapped', `security scheme ${key} (AWS_IAM)`, o.file, ptr)
    return { kind: 'iam' }
  }
  if (authtype === 'cognito_user_pools' || authtype === 'custom')
    return {
      kind: 'unmappable',
      why: `scheme ${key} has authtype ${authtype} but no x-amazon-apigateway-authorizer`,
    }
  if (scheme.type === 'apiKey') {
    o.report.add(
      'mapped',
      `security scheme ${key} (API key)`,
      o.file,
      ptr,
      'routes get apiKeyRequired: true',
    )
    return { kind: 'apiKey' }
  }
  return {
    kind: 'unmappable',
    why: `scheme ${key} (${String(scheme.type)}) has no API Gateway authorizer or authtype`,
  }
}

interface OperationAuth {
  readonly authorizationType: AuthorizationType
  readonly authorizer?: string
  readonly scopes: readonly string[]
  readonly apiKeyRequired: boolean
  readonly notes: readonly string[]
}

function operationAuth(
  op: JsonObject,
  docSecurity: unknown,
  mapping: (key: string) => SchemeMapping,
): OperationAuth | { unmappable: string } {
  const legacy = asString(asObject(op['x-amazon-apigateway-auth'])?.type)?.toLowerCase()
  const security = asArray(op.security ?? docSecurity) ?? []
  const notes: string[] = []
  let authorizationType: AuthorizationType = legacy === 'aws_iam' ? 'AWS_IAM' : 'NONE'
  let authorizer: string | undefined
  let scopes: string[] = []
  let apiKeyRequired = false
  // API Gateway (its exports, and SAM) lists the API key and the authorizer as separate
  // requirements of one method: every requirement's API key counts; the first authorization wins.
  let authorizedBy = -1
  for (const [i, raw] of security.entries()) {
    for (const [key, value] of Object.entries(asObject(raw) ?? {})) {
      const m = mapping(key)
      switch (m.kind) {
        case 'unmappable':
          return { unmappable: m.why }
        case 'none':
          break
        case 'apiKey':
          apiKeyRequired = true
          break
        case 'iam':
        case 'authorizer':
          if (authorizedBy === i)
            return { unmappable: 'more than one authorization in one security requirement' }
          if (authorizedBy >= 0) {
            notes.push(
              `alternative authorization ${key} ignored: API Gateway applies one per method, the first is used`,
            )
            break
          }
          authorizedBy = i
          authorizationType = m.kind === 'iam' ? 'AWS_IAM' : m.type
          if (m.kind === 'authorizer') authorizer = m.key
          scopes = (asArray(value) ?? []).filter((s): s is string => typeof s === 'string')
          break
      }
    }
  }
  if (
    authorizationType !== 'COGNITO_USER_POOLS' &&
    authorizationType !== 'JWT' &&
    scopes.length > 0
  ) {
    notes.push(`scopes ${scopes.join(' ')} ignored (they apply only to Cognito/JWT authorizers)`)
    scopes = []
  }
  if (op['x-amazon-apigateway-api-key-required'] === true) apiKeyRequired = true
  return {
    authorizationType,
    ...(authorizer !== undefined ? { authorizer } : {}),
    scopes,
    apiKeyRequired,
    notes,
  }
}

/** Maps the resource policy extension (or any policy document) onto the API, statement by statement. */
export function mapPolicy(
  raw: unknown,
  pointer: string,
  api: ImportedApi,
  o: Pick<OpenApiOptions, 'ctx' | 'report' | 'file'>,
): void {
  // A policy that cannot be read must not vanish: no policy admits more than any policy.
  const refuse = (why: string): void => {
    o.report.add(
      'not-mapped',
      'resource policy',
      o.file,
      pointer,
      `${why}; the API's policy denies every request`,
    )
    api.policyRefused = [...(api.policyRefused ?? []), `the policy at ${pointer}`]
  }
  let doc = substitutedJson(raw) ?? raw
  if (typeof raw === 'string') {
    try {
      doc = JSON.parse(raw) as unknown
    } catch {
      refuse('not valid JSON')
      return
    }
  }
  const r = resolveIntrinsics(doc, o.ctx)
  const policy = asObject(r.value)
  const statements =
    asArray(policy?.Statement) ?? (policy?.Statement !== undefined ? [policy.Statement] : [])
  if (policy === undefined || statements.length === 0) {
    refuse(r.unresolved.length > 0 ? `not determined (${r.unresolved.join(', ')})` : 'no Statement')
    return
  }
  const rawStatements = asObject(doc)?.Statement
  // Statement by statement as written, so pointers and indexes stay those of the source even when
  // an `Fn::If` removes one (AWS::NoValue); a Statement that is itself an intrinsic is read whole.
  const rawList = asArray(rawStatements)
  const whole = rawList ? undefined : resolveIntrinsics(rawStatements, o.ctx).unresolved
  const entries = rawList
    ? rawList.map((raw, i) => {
        const one = resolveIntrinsics(raw, o.ctx)
        return {
          raw,
          resolved: one.value,
          unresolved: one.unresolved,
          ptr: pointerTo(pointer, 'Statement', i),
        }
      })
    : statements.map((resolved) => ({
        raw: rawStatements,
        resolved,
        unresolved: whole ?? [],
        ptr: pointerTo(pointer, 'Statement'),
      }))
  const kept: unknown[] = []
  entries.forEach(({ raw, resolved: s, unresolved: notDetermined, ptr }, i) => {
    if (s === undefined) {
      o.report.add(
        'mapped',
        `policy statement ${i}`,
        o.file,
        ptr,
        'its Fn::If chooses AWS::NoValue: no statement, as in CloudFormation',
      )
      return
    }
    const sid = asString(asObject(s)?.Sid)
    const effect = asString(asObject(s)?.Effect) ?? undeterminedIfEffect(raw, o.ctx)
    const element = `policy statement ${i}${sid !== undefined ? ` (${sid})` : ''} ${effect ?? '?'}`
    // A placeholder in a Deny would make it deny nobody: only an Allow may keep one.
    const problems =
      statementProblems(s) ??
      (notDetermined.length > 0 && effect !== 'Allow' ? 'placeholder in a Deny' : undefined)
    if (problems !== undefined) {
      const unresolved =
        notDetermined.length > 0 ? ` (not determined: ${notDetermined.join(', ')})` : ''
      if (effect === 'Allow') {
        o.report.add(
          'not-mapped',
          element,
          o.file,
          ptr,
          `left out: ${problems}${unresolved}; without this Allow the policy admits less, never more`,
        )
      } else {
        // Leaving out a Deny (or a statement whose effect is unknown) would admit what it denied.
        o.report.add(
          'not-mapped',
          element,
          o.file,
          ptr,
          `left out: ${problems}${unresolved}; a Deny cannot be left out, so the API's policy denies every request`,
        )
        api.policyRefused = [...(api.policyRefused ?? []), `${element} at ${ptr}`]
      }
      return
    }
    kept.push(s)
    if (notDetermined.length > 0)
      o.report.add(
        'todo',
        element,
        o.file,
        ptr,
        `not determined by the template (${notDetermined.join(', ')}); placeholder written`,
      )
    else o.report.add('mapped', element, o.file, ptr)
  })
  // A policy whose every statement was left out must not vanish: no policy admits more than any.
  if (kept.length === 0 && api.policy === undefined)
    api.policyRefused = [...(api.policyRefused ?? []), `every statement of ${pointer}`]
  api.policy = {
    Version: asString(policy.Version) ?? '2012-10-17',
    Statement: [...(api.policy?.Statement ?? []), ...kept],
  }
}

/**
 * The effect of a statement that is an `Fn::If` on a condition the template does not determine:
 * `Allow` when every branch is an Allow or AWS::NoValue (leaving it out then only narrows access),
 * else undefined (it may be a Deny, so it cannot be left out).
 */
function undeterminedIfEffect(raw: unknown, ctx: IntrinsicContext): 'Allow' | undefined {
  const branches = asArray(asObject(raw)?.['Fn::If'])?.slice(1)
  if (branches?.length !== 2) return undefined
  const allAllow = branches.every((b) => {
    const v = resolveIntrinsics(b, ctx).value
    return v === undefined || asObject(v)?.Effect === 'Allow'
  })
  return allAllow ? 'Allow' : undefined
}

/**
 * `!Sub` of a JSON policy text: the JSON is parsed first and each string with a `${...}` becomes
 * its own `Fn::Sub`, so one undetermined value leaves one placeholder, not the whole policy.
 */
function substitutedJson(raw: unknown): unknown {
  const o = asObject(raw)
  if (o === undefined || Object.keys(o).length !== 1 || o['Fn::Sub'] === undefined) return undefined
  const list = asArray(o['Fn::Sub'])
  const template = asString(list !== undefined ? list[0] : o['Fn::Sub'])
  if (template === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(template) as unknown
  } catch {
    return undefined
  }
  const vars = list?.[1]
  const wrap = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.includes('${') ? { 'Fn::Sub': vars !== undefined ? [v, vars] : v } : v
    if (Array.isArray(v)) return v.map(wrap)
    const m = asObject(v)
    return m === undefined ? v : Object.fromEntries(Object.entries(m).map(([k, x]) => [k, wrap(x)]))
  }
  return wrap(parsed)
}

/** Any ARN prefix will do: the statement is checked, not evaluated. */
const CHECK_ARN_PREFIX = 'arn:aws:execute-api:us-east-1:123456789012:import'

/** Why a resource-policy statement would not pass validation, or undefined when it would. */
function statementProblems(statement: unknown): string | undefined {
  const res = compilePolicy(
    { Version: '2012-10-17', Statement: [statement] },
    { kind: 'resource', executeApiArnPrefix: CHECK_ARN_PREFIX },
  )
  if (res.ok) return undefined
  return res.errors
    .map((e) => `${e.path.replace(/^Statement\[0\]\.?/, '') || 'statement'}: ${e.message}`)
    .join('; ')
}

/** Maps one OpenAPI document. Routes are added to `into` when given (SAM merges events into it). */
export function mapOpenApi(doc: JsonObject, o: OpenApiOptions, into?: ImportedApi): ImportedApi {
  const api = into ?? newImportedApi(o.name, { file: o.file, pointer: o.pointer || '/' }, o.stage)
  const at = (...t: (string | number)[]): string => pointerTo(o.pointer, ...t)
  const { schemes, pointer: schemesPtr } = schemesOf(doc)
  const mapped = new Map<string, SchemeMapping>()
  const mapping = (key: string): SchemeMapping => {
    let m = mapped.get(key)
    if (m === undefined) {
      m = mapScheme(key, schemes, at(...schemesPtr.split('/').slice(1)), api, o)
      mapped.set(key, m)
    }
    return m
  }
  // Every defined scheme is reported (and authorizers written) even when no method uses it.
  for (const key of Object.keys(schemes)) {
    const m = mapping(key)
    if (m.kind === 'unmappable')
      o.report.add(
        'not-mapped',
        `security scheme ${key}`,
        o.file,
        at(...schemesPtr.split('/').slice(1), key),
        m.why,
      )
  }

  const keySource = asString(
    resolveIntrinsics(doc['x-amazon-apigateway-api-key-source'], o.ctx).value,
  )
  if (keySource !== undefined) {
    if (keySource === 'HEADER' || keySource === 'AUTHORIZER') {
      api.apiKeySource = keySource
      o.report.add(
        'mapped',
        `apiKeySource ${keySource}`,
        o.file,
        at('x-amazon-apigateway-api-key-source'),
      )
    } else
      o.report.add(
        'not-mapped',
        'apiKeySource',
        o.file,
        at('x-amazon-apigateway-api-key-source'),
        `unknown value ${keySource}`,
      )
  }

  const endpoint = asObject(doc['x-amazon-apigateway-endpoint-configuration'])
  if (endpoint !== undefined)
    mapEndpointIds(
      endpoint.vpcEndpointIds,
      at('x-amazon-apigateway-endpoint-configuration', 'vpcEndpointIds'),
      api,
      o,
    )

  if (doc['x-amazon-apigateway-policy'] !== undefined)
    mapPolicy(doc['x-amazon-apigateway-policy'], at('x-amazon-apigateway-policy'), api, o)

  for (const [rawPath, item] of Object.entries(asObject(doc.paths) ?? {})) {
    let pathItem = asObject(item)
    // SAM wraps conditional paths in `Fn::If [cond, path, AWS::NoValue]`.
    const conditional = asArray(pathItem?.['Fn::If'])
    if (conditional !== undefined) pathItem = asObject(conditional[1])
    if (pathItem === undefined) continue
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath
    for (const [opKey, opValue] of Object.entries(pathItem)) {
      const method = OPERATION_KEYS[opKey.toLowerCase()]
      if (method === undefined) continue
      const ptr = at('paths', rawPath, opKey)
      const element = `method ${method} ${path}`
      let op = asObject(opValue) ?? {}
      const opIf = asArray(op['Fn::If'])
      if (opIf !== undefined) op = asObject(opIf[1]) ?? {}
      if (!path.startsWith('/')) {
        o.report.add('not-mapped', element, o.file, ptr, 'path does not start with /')
        continue
      }
      const auth = operationAuth(op, doc.security, mapping)
      if ('unmappable' in auth) {
        o.report.add(
          'not-mapped',
          element,
          o.file,
          ptr,
          `${auth.unmappable}: left out, so it answers 403 Missing Authentication Token until written by hand`,
        )
        continue
      }
      const route: ImportedRoute = {
        path,
        method,
        authorizationType: auth.authorizationType,
        ...(auth.authorizer !== undefined ? { authorizer: auth.authorizer } : {}),
        ...(auth.scopes.length > 0 ? { authorizationScopes: auth.scopes } : {}),
        apiKeyRequired: auth.apiKeyRequired,
      }
      api.routes.push(route)
      o.onRoute?.(route, op)
      const what = `${element} (${auth.authorizationType}${auth.authorizer !== undefined ? ` ${auth.authorizer}` : ''}${auth.apiKeyRequired ? ', API key' : ''})`
      o.report.add(
        auth.notes.length > 0 ? 'approximated' : 'mapped',
        what,
        o.file,
        ptr,
        auth.notes.length > 0 ? auth.notes.join('; ') : undefined,
      )
    }
  }
  return api
}

/**
 * VPC endpoint IDs become PrivateEndpoint names. Which in-cluster callers each endpoint stands for
 * is not in the source: the importer cannot know it, so each gets a TODO (see to-manifests).
 */
export function mapEndpointIds(
  raw: unknown,
  pointer: string,
  api: ImportedApi,
  o: Pick<OpenApiOptions, 'ctx' | 'report' | 'file'>,
): void {
  const ids = resolveIntrinsics(raw, o.ctx)
  // API Gateway accepts vpcEndpointIds only on PRIVATE APIs.
  if ((asArray(ids.value) ?? []).length > 0) api.endpointType = 'PRIVATE'
  ;(asArray(ids.value) ?? []).forEach((id, i) => {
    if (typeof id !== 'string') return
    const name = toObjectName(id)
    if (!api.vpcEndpointIds.includes(name)) api.vpcEndpointIds.push(name)
    o.report.add(
      'todo',
      `VPC endpoint ${id}`,
      o.file,
      pointerTo(pointer, i),
      `PrivateEndpoint ${name} written with a placeholder source (192.0.2.0/32, admits nobody): list the in-cluster callers it stands for`,
    )
  })
}
