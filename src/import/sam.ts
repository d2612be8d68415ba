/**
 * SAM templates → ImportedApis: every `AWS::Serverless::Api` (with `Globals.Api` merged in) and the
 * implicit `ServerlessRestApi` that functions' and state machines' `Api` events without `RestApiId`
 * create. Routes come from the inline `DefinitionBody` and from the events; authorization from
 * `Auth` (DefaultAuthorizer, Authorizers, ApiKeyRequired, per-event Auth); the resource policy from
 * the `ResourcePolicy` shorthands, expanded as SAM expands them. A template SAM itself refuses is
 * refused with SAM's reason (exit 2): nothing faithful can be written for it.
 *
 * @module
 */
import {
  DEFAULT_TOKEN_IDENTITY_SOURCE,
  type AuthorizerSpec,
  type HttpMethod,
} from '../api/v1alpha1/index.js'
import { newImportedApi, type ImportedApi, type ImportedRoute } from './imported-api.js'
import type { MapperInput } from './import-options.js'
import { resolveIntrinsics } from './intrinsics.js'
import { asArray, asObject, asString, toObjectName, type JsonObject } from './json-shape.js'
import { authorizerUriPlaceholder, lambdaFunctionName } from './lambda-placeholder.js'
import {
  isOpenApi,
  mapOpenApi,
  mapPolicy,
  resolved,
  userPoolPlaceholder,
  mapEndpointIds,
} from './openapi.js'
import { ImportInputError } from './read-document.js'
import { mapSamUsagePlans, type SamUsagePlanInput } from './usage-plans.js'
import { ImportReport, pointerTo } from './report.js'
import {
  RESOURCE_POLICY_KEYS,
  SamTemplateError,
  addCustomStatements,
  addResourcePolicy,
  checkResourcePolicy,
  type PolicyBuilder,
} from './sam-resource-policy.js'
import { cognitoIssuerFromProviderArn } from '../authn/jwt/jwt-authorizer-config.js'
import { CONTEXT_IDENTITY_VARIABLES } from '../authn/lambda/lambda-authorizer-config.js'

const IMPLICIT_API = 'ServerlessRestApi'
const AUTH_KEYS = new Set([
  'DefaultAuthorizer',
  'Authorizers',
  'ApiKeyRequired',
  'ResourcePolicy',
  'UsagePlan',
  'AddDefaultAuthorizerToCorsPreflight',
  'AddApiKeyRequiredToCorsPreflight',
  'InvokeRole',
])
const EVENT_SOURCES = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine'])

function merge(globals: unknown, own: unknown): unknown {
  const g = asObject(globals)
  const o = asObject(own)
  if (g === undefined || o === undefined) return own === undefined ? globals : own
  const out: Record<string, unknown> = { ...g }
  for (const [k, v] of Object.entries(o)) out[k] = merge(g[k], v)
  return out
}

interface ApiEvent {
  readonly path: string
  readonly method: string
  readonly auth: JsonObject | undefined
  readonly pointer: string
  readonly owner: string
  /** Template position of the owning resource, and the event's logical id. */
  readonly order: readonly [number, string]
  /** SAM passes no stage to state machines' events (their statements name a null stage). */
  readonly stateMachine: boolean
}

interface SamApi {
  readonly logicalId: string
  readonly props: JsonObject
  readonly pointer: string
  readonly events: ApiEvent[]
}

function restApiIdOf(v: unknown): string | undefined {
  if (v === undefined) return IMPLICIT_API
  return asString(asObject(v)?.Ref) ?? asString(v)
}

function collectApis(input: MapperInput): SamApi[] {
  const resources = asObject(input.doc.Resources) ?? {}
  const globalsApi = asObject(asObject(input.doc.Globals)?.Api) ?? {}
  const apis = new Map<string, SamApi>()
  for (const [id, r] of Object.entries(resources)) {
    const res = asObject(r)
    if (res?.Type !== 'AWS::Serverless::Api') continue
    apis.set(id, {
      logicalId: id,
      props: asObject(merge(globalsApi, res.Properties ?? {})) ?? {},
      pointer: pointerTo('/Resources', id, 'Properties'),
      events: [],
    })
  }
  let resourceIndex = -1
  for (const [id, r] of Object.entries(resources)) {
    resourceIndex++
    const res = asObject(r)
    if (res === undefined || !EVENT_SOURCES.has(asString(res.Type) ?? '')) continue
    for (const [eid, e] of Object.entries(asObject(asObject(res.Properties)?.Events) ?? {})) {
      const ev = asObject(e)
      if (ev?.Type !== 'Api') continue
      const p = asObject(ev.Properties) ?? {}
      const apiId = restApiIdOf(p.RestApiId)
      const pointer = pointerTo('/Resources', id, 'Properties', 'Events', eid)
      if (apiId === undefined) {
        input.report.add(
          'not-mapped',
          `event ${id}.${eid}`,
          input.file,
          pointer,
          'RestApiId is not a Ref to an API of this template',
        )
        continue
      }
      let api = apis.get(apiId)
      if (api === undefined && apiId === IMPLICIT_API) {
        api = { logicalId: IMPLICIT_API, props: globalsApi, pointer: '/Globals/Api', events: [] }
        apis.set(IMPLICIT_API, api)
      }
      if (api === undefined) {
        input.report.add(
          'not-mapped',
          `event ${id}.${eid}`,
          input.file,
          pointer,
          `RestApiId ${apiId} is not an AWS::Serverless::Api of this template`,
        )
        continue
      }
      const path = asString(resolveIntrinsics(p.Path, input.ctx).value)
      const method = asString(resolveIntrinsics(p.Method, input.ctx).value)
      if (path === undefined || method === undefined) {
        input.report.add(
          'not-mapped',
          `event ${id}.${eid}`,
          input.file,
          pointer,
          'Path or Method is not a string',
        )
        continue
      }
      api.events.push({
        path,
        method:
          method.toLowerCase() === 'any' ? 'x-amazon-apigateway-any-method' : method.toLowerCase(),
        auth: asObject(p.Auth),
        pointer,
        owner: `${id}.${eid}`,
        order: [resourceIndex, eid],
        stateMachine: res.Type === 'AWS::Serverless::StateMachine',
      })
    }
  }
  return [...apis.values()]
}

function identitySource(
  identity: JsonObject,
  payload: string,
  dropped: string[],
): string | undefined {
  if (payload === 'TOKEN') {
    const h = asString(identity.Header)
    return h !== undefined ? `method.request.header.${h}` : undefined
  }
  const parts: string[] = []
  const add = (key: string, prefix: string): void => {
    for (const x of asArray(identity[key]) ?? [])
      if (typeof x === 'string') parts.push(`${prefix}${x}`)
  }
  add('Headers', 'method.request.header.')
  add('QueryStrings', 'method.request.querystring.')
  add('StageVariables', 'stageVariables.')
  for (const x of asArray(identity.Context) ?? [])
    if (typeof x === 'string') {
      if ((CONTEXT_IDENTITY_VARIABLES as readonly string[]).includes(x)) parts.push(`context.${x}`)
      else dropped.push(`context.${x}`)
    }
  return parts.length > 0 ? parts.join(', ') : undefined
}

function mapAuthorizers(
  input: MapperInput,
  api: ImportedApi,
  authorizers: JsonObject,
  ptr: string,
): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>()
  for (const [key, raw] of Object.entries(authorizers)) {
    const a = asObject(raw)
    const p = pointerTo(ptr, key)
    if (a === undefined) throw new SamTemplateError(`Authorizer ${key} must be a map`)
    if (a.AuthorizationScopes !== undefined && asArray(a.AuthorizationScopes) === undefined)
      throw new SamTemplateError(
        `Property 'Authorizers.${key}.AuthorizationScopes' should be a list.`,
      )
    out.set(key, a)
    const identity = asObject(resolveIntrinsics(a.Identity ?? {}, input.ctx).value) ?? {}
    const ttlRaw = identity.ReauthorizeEvery
    const notes: string[] = []
    let ttl =
      typeof ttlRaw === 'number' && Number.isInteger(ttlRaw) && ttlRaw >= 0 && ttlRaw <= 3600
        ? ttlRaw
        : 300
    if (ttlRaw !== undefined && ttl !== ttlRaw)
      notes.push(
        `ReauthorizeEvery ${JSON.stringify(ttlRaw)} not determined or out of range: 300 used`,
      )
    const common = {
      timeoutMillis: 3000,
      payloadFormatVersion: '1.0',
      enableSimpleResponses: false,
    } as const
    const validation = asString(identity.ValidationExpression)
    let spec: AuthorizerSpec
    if (a.UserPoolArn !== undefined) {
      const r = resolveIntrinsics(a.UserPoolArn, input.ctx)
      const arns = (asArray(r.value) ?? [r.value]).map((v, i) => {
        if (typeof v === 'string' && !(cognitoIssuerFromProviderArn(v) instanceof Error)) return v
        const ph = userPoolPlaceholder(String(v).replace(/^TODO-/, ''), input.ctx)
        input.report.add(
          'todo',
          `authorizer ${key} UserPoolArn${Array.isArray(r.value) ? `[${i}]` : ''}`,
          input.file,
          pointerTo(p, 'UserPoolArn'),
          `not a user pool ARN the template determines (${r.unresolved.join(', ') || String(v)}); placeholder ${ph}`,
        )
        return ph
      })
      spec = {
        ...common,
        type: 'COGNITO_USER_POOLS',
        providerARNs: arns.slice(0, 10),
        authorizerResultTtlInSeconds: ttl,
        identitySource: `method.request.header.${asString(identity.Header) ?? 'Authorization'}`,
        ...(validation !== undefined ? { identityValidationExpression: validation } : {}),
      }
    } else if (a.FunctionArn !== undefined) {
      const payload = asString(a.FunctionPayloadType) ?? 'TOKEN'
      const fn = lambdaFunctionName(a.FunctionArn)
      const uri = authorizerUriPlaceholder(fn)
      input.report.add(
        'todo',
        `authorizer ${key} FunctionArn`,
        input.file,
        pointerTo(p, 'FunctionArn'),
        `Lambda function ${fn ?? '(unnamed)'} → placeholder ${uri}: serve the function over HTTP and put its URL here`,
      )
      const dropped: string[] = []
      const source = identitySource(identity, payload, dropped)
      if (dropped.length > 0)
        notes.push(
          `identity sources ${dropped.join(', ')} dropped (no such request context variable here)`,
        )
      if (payload === 'REQUEST' && source === undefined && ttl > 0) {
        notes.push('REQUEST authorizer without identity sources cannot cache: TTL 0 used')
        ttl = 0
      }
      if (a.FunctionInvokeRole !== undefined)
        notes.push('FunctionInvokeRole has no counterpart and was dropped')
      spec = {
        ...common,
        type: payload === 'REQUEST' ? 'REQUEST' : 'TOKEN',
        authorizerUri: uri,
        authorizerResultTtlInSeconds: ttl,
        ...(source !== undefined
          ? { identitySource: source }
          : payload === 'TOKEN'
            ? { identitySource: DEFAULT_TOKEN_IDENTITY_SOURCE }
            : {}),
        ...(payload === 'TOKEN' && validation !== undefined
          ? { identityValidationExpression: validation }
          : {}),
      }
    } else {
      throw new SamTemplateError(`Authorizer ${key} needs UserPoolArn or FunctionArn`)
    }
    api.authorizers.set(key, { key, spec, source: { file: input.file, pointer: p } })
    input.report.add(
      notes.length > 0 ? 'approximated' : 'mapped',
      `authorizer ${key} (${spec.type})`,
      input.file,
      p,
      notes.length > 0 ? notes.join('; ') : undefined,
    )
  }
  return out
}

function mapOneApi(
  input: MapperInput,
  sam: SamApi,
): { api: ImportedApi; samPolicy: unknown[]; usagePlan: SamUsagePlanInput | undefined } {
  const { props } = sam
  const f = input.file
  // SAM's resources name the stage as written (null when an explicit API has none).
  const stageRaw = props.StageName ?? (sam.logicalId === IMPLICIT_API ? 'Prod' : null)
  const stageResolved = asString(
    resolved(stageRaw, 'StageName', pointerTo(sam.pointer, 'StageName'), input).value,
  )
  const stage =
    input.options.stage ??
    (stageResolved !== undefined && /^[A-Za-z0-9_-]+$/.test(stageResolved) ? stageResolved : 'prod')
  const api = newImportedApi(toObjectName(sam.logicalId), { file: f, pointer: sam.pointer }, stage)

  const auth = props.Auth
  if (auth !== undefined && asObject(auth) === undefined)
    throw new SamTemplateError(
      `Resource with id [${sam.logicalId}] is invalid. Property 'Auth' should be a map.`,
    )
  const authObj = asObject(auth) ?? {}
  for (const k of Object.keys(authObj))
    if (!AUTH_KEYS.has(k))
      throw new SamTemplateError(
        `Resource with id [${sam.logicalId}] is invalid. Invalid value for 'Auth' property (${k})`,
      )
  if (auth !== undefined && props.DefinitionUri !== undefined)
    throw new SamTemplateError(
      `Resource with id [${sam.logicalId}] is invalid. Auth works only with inline Swagger specified in 'DefinitionBody' property.`,
    )
  const body = asObject(props.DefinitionBody)
  if (
    props.DefinitionBody !== undefined &&
    (body === undefined || (!isOpenApi(body) && asObject(body['Fn::Transform']) === undefined)) &&
    auth !== undefined
  )
    throw new SamTemplateError(
      `Resource with id [${sam.logicalId}] is invalid. Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.`,
    )
  const authPtr = pointerTo(sam.pointer, 'Auth')
  const authorizersRaw = authObj.Authorizers
  if (authorizersRaw !== undefined && asObject(authorizersRaw) === undefined)
    throw new SamTemplateError(
      `Resource with id [${sam.logicalId}] is invalid. Authorizers must be a map`,
    )
  const authorizers = mapAuthorizers(
    input,
    api,
    asObject(authorizersRaw) ?? {},
    pointerTo(authPtr, 'Authorizers'),
  )
  const defaultAuth = authObj.DefaultAuthorizer
  if (
    defaultAuth !== undefined &&
    (typeof defaultAuth !== 'string' ||
      (defaultAuth !== 'AWS_IAM' && !authorizers.has(defaultAuth)))
  )
    throw new SamTemplateError(
      `Resource with id [${sam.logicalId}] is invalid. Unable to set DefaultAuthorizer because '${JSON.stringify(defaultAuth)}' was not defined in 'Authorizers'.`,
    )
  let usagePlan: SamUsagePlanInput | undefined
  if (authObj.UsagePlan !== undefined) {
    const up = asObject(authObj.UsagePlan)
    if (up === undefined)
      throw new SamTemplateError(
        `Resource with id [${sam.logicalId}] is invalid. 'UsagePlan' must be a dictionary`,
      )
    // The element's own place in the source: the API's Auth, else Globals.Api.Auth.
    const own = asObject(
      asObject(asObject(asObject(asObject(input.doc.Resources)?.[sam.logicalId])?.Properties)?.Auth)
        ?.UsagePlan,
    )
    usagePlan = {
      api,
      logicalId: sam.logicalId,
      config: up,
      pointer: own !== undefined ? pointerTo(authPtr, 'UsagePlan') : '/Globals/Api/Auth/UsagePlan',
    }
  }
  const apiRp =
    authObj.ResourcePolicy !== undefined
      ? checkResourcePolicy(authObj.ResourcePolicy, input.ctx)
      : undefined

  // Endpoint configuration: a string type or {Type, VPCEndpointIds}.
  if (props.EndpointConfiguration !== undefined) {
    const ptr = pointerTo(sam.pointer, 'EndpointConfiguration')
    const ec = resolveIntrinsics(props.EndpointConfiguration, input.ctx).value
    const type = asString(ec) ?? asString(asObject(ec)?.Type)
    if (type === 'PRIVATE') api.endpointType = 'PRIVATE'
    input.report.add(
      type === 'PRIVATE' || type === 'REGIONAL' ? 'mapped' : 'approximated',
      `endpoint type ${String(type)}`,
      f,
      ptr,
      type === 'PRIVATE' || type === 'REGIONAL'
        ? undefined
        : 'mapped to REGIONAL (edge-optimized APIs are reachable like regional ones)',
    )
    const ids = asObject(props.EndpointConfiguration)?.VPCEndpointIds
    if (ids !== undefined) mapEndpointIds(ids, pointerTo(ptr, 'VPCEndpointIds'), api, input)
    if (type !== undefined) api.endpointType = type === 'PRIVATE' ? 'PRIVATE' : 'REGIONAL'
  }
  if (props.DefinitionUri !== undefined)
    input.report.add(
      'not-mapped',
      `DefinitionUri of ${sam.logicalId}`,
      f,
      pointerTo(sam.pointer, 'DefinitionUri'),
      'external definition: import that file with --format openapi',
    )
  // Paths as SAM sees them, in its order: the body's, then each event's.
  const paths = new Map<string, string[]>()
  const builder: PolicyBuilder = { statements: [] }
  let bodyPolicy: unknown
  /** Routes of the DefinitionBody, with the operation each came from. */
  const bodyOps = new Map<ImportedRoute, JsonObject>()
  if (body !== undefined && isOpenApi(body)) {
    const { ['x-amazon-apigateway-policy']: policy, ...rest } = body
    bodyPolicy = policy
    mapOpenApi(
      rest,
      {
        file: f,
        pointer: pointerTo(sam.pointer, 'DefinitionBody'),
        name: api.name,
        stage,
        ctx: input.ctx,
        report: input.report,
        onRoute: (route, op) => bodyOps.set(route, op),
      },
      api,
    )
    for (const [p, item] of Object.entries(asObject(rest.paths) ?? {})) {
      const inner = asObject(asArray(asObject(item)?.['Fn::If'])?.[1]) ?? asObject(item) ?? {}
      paths.set(p, Object.keys(inner))
    }
    const bp = asObject(bodyPolicy)
    if (bp !== undefined && bp.Statement != null) {
      const list = asArray(bp.Statement) ?? [bp.Statement]
      builder.statements.push(...list)
      const ptr = pointerTo(
        sam.pointer,
        'DefinitionBody',
        'x-amazon-apigateway-policy',
        'Statement',
      )
      list.forEach((_, i) => {
        input.report.add(
          'mapped',
          `policy statement ${i}`,
          f,
          Array.isArray(bp.Statement) ? pointerTo(ptr, i) : ptr,
        )
      })
    }
  }
  const cors = props.Cors !== undefined
  const explicitBody = body !== undefined && isOpenApi(body)
  const addMethod = (path: string, method: string): void => {
    const ms = paths.get(path) ?? []
    if (!ms.includes(method)) ms.push(method)
    if (cors && !ms.includes('options')) ms.push('options')
    paths.set(path, ms)
  }

  // SAM first adds every event's method to the definition (template order), then translates each
  // resource's events in logical-id order: the statements follow that order, over those methods.
  for (const ev of sam.events) addMethod(ev.path, ev.method)
  const ordered = [...sam.events].sort((a, b) =>
    a.order[0] !== b.order[0]
      ? a.order[0] - b.order[0]
      : a.order[1] < b.order[1]
        ? -1
        : a.order[1] > b.order[1]
          ? 1
          : 0,
  )
  for (const ev of ordered) {
    const evAuth = ev.auth ?? {}
    const authPtr2 = pointerTo(ev.pointer, 'Properties', 'Auth')
    if (
      evAuth.OverrideApiAuth === true &&
      evAuth.Authorizer === undefined &&
      evAuth.ApiKeyRequired === undefined &&
      evAuth.ResourcePolicy === undefined
    )
      throw new SamTemplateError(
        `Resource with id [${ev.owner.split('.')[0]}] is invalid. Event with id [${ev.owner.split('.')[1]}] is invalid. Must define one of: Authorizer, ApiKeyRequired or ResourcePolicy when using the OverrideApiAuth property.`,
      )
    // SAM substitutes parameter defaults into the event's Authorizer.
    const evAuthorizer =
      evAuth.Authorizer === undefined
        ? undefined
        : resolveIntrinsics(evAuth.Authorizer, input.ctx).value
    const name = evAuthorizer ?? defaultAuth ?? 'NONE'
    if (
      typeof name !== 'string' ||
      (name !== 'NONE' && name !== 'AWS_IAM' && !authorizers.has(name))
    )
      throw new SamTemplateError(
        `Event ${ev.owner}: unable to set Authorizer ${JSON.stringify(name)} on API method [${ev.method}] for path [${ev.path}]: the method authorizer must be a string with a corresponding entry in the API's Authorizers.`,
      )
    if (evAuthorizer === 'NONE' && defaultAuth === undefined)
      throw new SamTemplateError(
        `Event ${ev.owner}: unable to set Authorizer on API method [${ev.method}] for path [${ev.path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified.`,
      )
    const a = authorizers.get(name)
    const auth = samRouteAuth(name, a, evAuth.AuthorizationScopes ?? a?.AuthorizationScopes)
    const authorizationType = auth.authorizationType
    const method: HttpMethod =
      ev.method === 'x-amazon-apigateway-any-method'
        ? 'ANY'
        : (ev.method.toUpperCase() as HttpMethod)
    const apiKeyRequired = evAuth.ApiKeyRequired ?? authObj.ApiKeyRequired
    const path = ev.path.length > 1 ? ev.path.replace(/\/+$/, '') : ev.path
    // SAM adds events to a DefinitionBody it generates, or merges them (MergeDefinitions); a
    // DefinitionBody of the template's own is served as written, without the events' methods.
    // OverrideApiAuth alone reaches into it: the event's auth replaces that of the body's method.
    const overrides =
      evAuth.OverrideApiAuth === true &&
      api.routes.some((r) => r.path === path && r.method === method)
    if (explicitBody && props.MergeDefinitions !== true && !overrides) {
      input.report.add(
        'not-mapped',
        `event ${ev.owner} (${method} ${path})`,
        f,
        ev.pointer,
        "the API's own DefinitionBody is served as written: SAM adds no event method to it (only with MergeDefinitions: true; OverrideApiAuth sets the auth of a method it has)",
      )
    } else {
      // An event on a method the DefinitionBody already has replaces it, as SAM's integration does.
      const existing = api.routes.findIndex((r) => r.path === path && r.method === method)
      if (existing >= 0) api.routes.splice(existing, 1)
      api.routes.push({
        path,
        method,
        ...auth,
        apiKeyRequired: apiKeyRequired === true,
      })
      input.report.add(
        'mapped',
        `method ${method} ${path} (${authorizationType}${auth.authorizer !== undefined ? ` ${name}` : ''}${apiKeyRequired === true ? ', API key' : ''})`,
        f,
        ev.pointer,
      )
    }
    if (evAuth.ResourcePolicy !== undefined) {
      const rp = checkResourcePolicy(evAuth.ResourcePolicy, input.ctx)
      addResourcePolicy(
        builder,
        rp,
        ev.path,
        paths.get(ev.path) ?? [],
        ev.stateMachine ? null : stageRaw,
      )
      addCustomStatements(builder, rp.CustomStatements)
      reportShorthands(input, rp, pointerTo(authPtr2, 'ResourcePolicy'))
    }
  }
  applyAuthDefaults(input, api, {
    bodyOps,
    paths: cors ? [...paths.keys()] : [],
    auth: authObj,
    authorizers,
    pointer: sam.pointer,
  })
  if (apiRp !== undefined) {
    for (const [p, ms] of paths) addResourcePolicy(builder, apiRp, p, ms, stageRaw)
    addCustomStatements(builder, apiRp.CustomStatements)
    reportShorthands(input, apiRp, pointerTo(authPtr, 'ResourcePolicy'))
  }
  const samPolicy = [...builder.statements]
  if (builder.statements.length > 0) {
    // The statements are reported by shorthand above; only what stays unresolved is reported here.
    const scratch = new ImportReport()
    // A null stage (state machine events) would leave `${__Stage__}` in the resource: use the stage.
    const statements = JSON.parse(
      JSON.stringify(builder.statements).replace(
        /"__Stage__":null/g,
        `"__Stage__":${JSON.stringify(stage)}`,
      ),
    ) as unknown
    mapPolicy(
      { Version: '2012-10-17', Statement: statements },
      pointerTo(authPtr, 'ResourcePolicy'),
      api,
      { ...input, report: scratch },
    )
    for (const i of scratch.items) if (i.status !== 'mapped') input.report.items.push(i)
  }
  return { api, samPolicy, usagePlan }
}

/**
 * The auth SAM gives a method authorized by `name`: SAM's `NONE` marker, `AWS_IAM`, or an
 * authorizer of the API (`a`, undefined when the API defines none of that name): a Cognito one
 * (it has a UserPoolArn) with its scopes, else a Lambda one.
 */
function samRouteAuth(
  name: string,
  a: JsonObject | undefined,
  scopesRaw: unknown,
): Pick<ImportedRoute, 'authorizationType' | 'authorizer' | 'authorizationScopes'> {
  if (name === 'NONE') return { authorizationType: 'NONE' }
  if (name === 'AWS_IAM') return { authorizationType: 'AWS_IAM' }
  const cognito = a?.UserPoolArn !== undefined
  const scopes = (asArray(scopesRaw) ?? []).filter((x): x is string => typeof x === 'string')
  return {
    authorizationType: cognito ? 'COGNITO_USER_POOLS' : 'CUSTOM',
    ...(a !== undefined ? { authorizer: name } : {}),
    ...(cognito && scopes.length > 0 ? { authorizationScopes: scopes } : {}),
  }
}

/**
 * What SAM does to every method of the definition after adding the events' ones: each method
 * with an integration and no authorizer of its own gets the DefaultAuthorizer (unless it names
 * SAM's `NONE` marker), and the API key when `Auth.ApiKeyRequired` (unless `api_key_false`);
 * with `Cors`, every path gets an `OPTIONS` preflight method (a mock integration) that gets the
 * default authorizer unless `AddDefaultAuthorizerToCorsPreflight: false`, and the API key unless
 * `AddApiKeyRequiredToCorsPreflight: false`.
 */
function applyAuthDefaults(
  input: MapperInput,
  api: ImportedApi,
  o: {
    readonly bodyOps: ReadonlyMap<ImportedRoute, JsonObject>
    readonly paths: readonly string[]
    readonly auth: JsonObject
    readonly authorizers: ReadonlyMap<string, JsonObject>
    readonly pointer: string
  },
): void {
  const def = asString(o.auth.DefaultAuthorizer)
  const keyRequired = o.auth.ApiKeyRequired === true
  const defaultAuth = (): Pick<
    ImportedRoute,
    'authorizationType' | 'authorizer' | 'authorizationScopes'
  > => {
    if (def === undefined) return { authorizationType: 'NONE' }
    const a = o.authorizers.get(def)
    return samRouteAuth(def, a, a?.AuthorizationScopes)
  }
  api.routes.forEach((route, i) => {
    const op = o.bodyOps.get(route)
    if (op === undefined || op['x-amazon-apigateway-integration'] === undefined) return
    const security = (asArray(op.security) ?? []).flatMap((r) => Object.keys(asObject(r) ?? {}))
    let next = route
    if (
      def !== undefined &&
      route.authorizationType === 'NONE' &&
      !security.includes('NONE') &&
      (route.method !== 'OPTIONS' || o.auth.AddDefaultAuthorizerToCorsPreflight !== false)
    ) {
      next = {
        path: route.path,
        method: route.method,
        apiKeyRequired: route.apiKeyRequired,
        ...defaultAuth(),
      }
    }
    if (
      keyRequired &&
      !next.apiKeyRequired &&
      !security.includes('api_key_false') &&
      (route.method !== 'OPTIONS' || o.auth.AddApiKeyRequiredToCorsPreflight !== false)
    )
      next = { ...next, apiKeyRequired: true }
    if (next !== route) {
      api.routes[i] = next
      input.report.add(
        'mapped',
        `Auth defaults of ${api.name} on ${route.method} ${route.path}`,
        input.file,
        pointerTo(o.pointer, 'Auth'),
        `${next.authorizationType}${next.authorizer !== undefined ? ` ${next.authorizer}` : ''}${next.apiKeyRequired ? ', API key' : ''}, as SAM applies them to the definition's methods`,
      )
    }
  })
  for (const raw of o.paths) {
    const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw
    if (api.routes.some((r) => r.path === path && r.method === 'OPTIONS')) continue
    const route: ImportedRoute = {
      path,
      method: 'OPTIONS',
      ...(o.auth.AddDefaultAuthorizerToCorsPreflight !== false
        ? defaultAuth()
        : { authorizationType: 'NONE' }),
      apiKeyRequired: keyRequired && o.auth.AddApiKeyRequiredToCorsPreflight !== false,
    }
    api.routes.push(route)
    input.report.add(
      'mapped',
      `method OPTIONS ${path} (${route.authorizationType}${route.authorizer !== undefined ? ` ${route.authorizer}` : ''}${route.apiKeyRequired ? ', API key' : ''})`,
      input.file,
      pointerTo(o.pointer, 'Cors'),
      'the CORS preflight method SAM generates (its response headers are not written: answer preflights in Envoy)',
    )
  }
}

function reportShorthands(input: MapperInput, rp: JsonObject, ptr: string): void {
  for (const k of RESOURCE_POLICY_KEYS)
    if (rp[k] !== undefined)
      input.report.add(
        'mapped',
        `resource policy ${k}`,
        input.file,
        pointerTo(ptr, k),
        'expanded into policy statements as SAM expands it',
      )
  for (const k of Object.keys(rp))
    if (!(RESOURCE_POLICY_KEYS as readonly string[]).includes(k))
      input.report.add(
        'not-mapped',
        `resource policy ${k}`,
        input.file,
        pointerTo(ptr, k),
        'not a SAM ResourcePolicy shorthand',
      )
}

/** The SAM-expanded `x-amazon-apigateway-policy` of each API (for comparison with SAM's output). */
export function samResourcePolicies(input: MapperInput): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>()
  for (const sam of collectApis(input)) {
    out.set(sam.logicalId, mapOneApi(input, sam).samPolicy)
  }
  return out
}

export function mapSam(input: MapperInput): ImportedApi[] {
  const apis: ImportedApi[] = []
  const errors: string[] = []
  for (const r of Object.entries(asObject(input.doc.Resources) ?? {})) {
    const t = asString(asObject(r[1])?.Type)
    if (t === 'AWS::Serverless::HttpApi')
      input.report.add(
        'not-mapped',
        `HTTP API ${r[0]}`,
        input.file,
        pointerTo('/Resources', r[0]),
        'HTTP APIs (API Gateway v2) are not REST APIs',
      )
  }
  const plans: SamUsagePlanInput[] = []
  for (const sam of collectApis(input)) {
    try {
      const one = mapOneApi(input, sam)
      one.api.logicalId = sam.logicalId
      apis.push(one.api)
      if (one.usagePlan !== undefined) plans.push(one.usagePlan)
    } catch (e) {
      if (!(e instanceof SamTemplateError)) throw e
      errors.push(e.message)
    }
  }
  if (errors.length > 0)
    throw new ImportInputError(
      `${input.file}: SAM refuses this template, so nothing is written: ${errors.join(' ')}`,
    )
  mapSamUsagePlans(input, plans)
  return apis
}
