/**
 * CloudFormation templates → ImportedApis: each `AWS::ApiGateway::RestApi` with its inline `Body`
 * (OpenAPI), `Policy`, `EndpointConfiguration` and `ApiKeySourceType`, plus the API built from
 * `AWS::ApiGateway::Resource` / `Method` / `Authorizer` resources; stage from `Stage`/`Deployment`;
 * API keys and usage plans are mapped by usage-plans.ts, over the APIs of every mapper.
 *
 * @module
 */
import type { AuthorizationType, HttpMethod } from '../api/v1alpha1/index.js'
import { HTTP_METHODS } from '../api/v1alpha1/index.js'
import { newImportedApi, type ImportedApi } from './imported-api.js'
import type { MapperInput } from './import-options.js'
import { refTarget, resolveIntrinsics } from './intrinsics.js'
import { asArray, asObject, asString, toObjectName, type JsonObject } from './json-shape.js'
import { isOpenApi, mapAuthorizer, mapEndpointIds, mapOpenApi, mapPolicy } from './openapi.js'
import { pointerTo } from './report.js'

interface Res {
  readonly id: string
  readonly type: string
  readonly props: JsonObject
  readonly pointer: string
}

function isRootRef(v: unknown): boolean {
  return asArray(asObject(v)?.['Fn::GetAtt'])?.[1] === 'RootResourceId'
}

export function mapCloudFormation(input: MapperInput): ImportedApi[] {
  const all: Res[] = Object.entries(asObject(input.doc.Resources) ?? {}).flatMap(([id, r]) => {
    const o = asObject(r)
    const type = asString(o?.Type)
    return type?.startsWith('AWS::ApiGateway') === true
      ? [
          {
            id,
            type,
            props: asObject(o?.Properties) ?? {},
            pointer: pointerTo('/Resources', id, 'Properties'),
          },
        ]
      : []
  })
  const of = (type: string): Res[] => all.filter((r) => r.type === type)
  const f = input.file
  const byId = new Map<string, ImportedApi>()
  for (const r of of('AWS::ApiGateway::RestApi')) {
    const stageOf =
      of('AWS::ApiGateway::Stage').find((s) => refTarget(s.props.RestApiId) === r.id)?.props
        .StageName ??
      of('AWS::ApiGateway::Deployment').find((s) => refTarget(s.props.RestApiId) === r.id)?.props
        .StageName
    const stage =
      input.options.stage ?? asString(resolveIntrinsics(stageOf, input.ctx).value) ?? 'prod'
    const name = toObjectName(r.id)
    const body = asObject(r.props.Body)
    let api = newImportedApi(
      name,
      { file: f, pointer: r.pointer },
      /^[A-Za-z0-9_-]+$/.test(stage) ? stage : 'prod',
    )
    if (body !== undefined && isOpenApi(body))
      api = mapOpenApi(
        body,
        {
          file: f,
          pointer: pointerTo(r.pointer, 'Body'),
          name,
          stage: api.stage,
          ctx: input.ctx,
          report: input.report,
        },
        api,
      )
    if (r.props.BodyS3Location !== undefined)
      input.report.add(
        'not-mapped',
        `BodyS3Location of ${r.id}`,
        f,
        pointerTo(r.pointer, 'BodyS3Location'),
        'external definition: import that file with --format openapi',
      )
    if (r.props.Policy !== undefined)
      mapPolicy(r.props.Policy, pointerTo(r.pointer, 'Policy'), api, input)
    const ec = asObject(resolveIntrinsics(r.props.EndpointConfiguration, input.ctx).value)
    if (ec !== undefined) {
      const types = (asArray(ec.Types) ?? []).map(String)
      const ptr = pointerTo(r.pointer, 'EndpointConfiguration')
      api.endpointType = types.includes('PRIVATE') ? 'PRIVATE' : 'REGIONAL'
      const exact = types.length === 1 && (types[0] === 'PRIVATE' || types[0] === 'REGIONAL')
      input.report.add(
        exact ? 'mapped' : 'approximated',
        `endpoint type ${types.join(',')}`,
        f,
        ptr,
        exact ? undefined : `mapped to ${api.endpointType}`,
      )
      if (ec.VpcEndpointIds !== undefined)
        mapEndpointIds(
          asObject(r.props.EndpointConfiguration)?.VpcEndpointIds,
          pointerTo(ptr, 'VpcEndpointIds'),
          api,
          input,
        )
    }
    const keySource = asString(resolveIntrinsics(r.props.ApiKeySourceType, input.ctx).value)
    if (keySource === 'HEADER' || keySource === 'AUTHORIZER') {
      api.apiKeySource = keySource
      input.report.add(
        'mapped',
        `apiKeySource ${keySource}`,
        f,
        pointerTo(r.pointer, 'ApiKeySourceType'),
      )
    }
    api.logicalId = r.id
    byId.set(r.id, api)
  }

  for (const a of of('AWS::ApiGateway::Authorizer')) {
    const api = byId.get(refTarget(a.props.RestApiId) ?? '')
    if (api === undefined) {
      input.report.add(
        'not-mapped',
        `authorizer ${a.id}`,
        f,
        a.pointer,
        'RestApiId names no RestApi of this template',
      )
      continue
    }
    const ext = {
      type: a.props.Type,
      authorizerUri: a.props.AuthorizerUri,
      identitySource: a.props.IdentitySource,
      identityValidationExpression: a.props.IdentityValidationExpression,
      authorizerResultTtlInSeconds: a.props.AuthorizerResultTtlInSeconds,
      providerARNs: a.props.ProviderARNs,
      authorizerCredentials: a.props.AuthorizerCredentials,
    }
    const pascal = (field: string): string =>
      pointerTo(
        a.pointer,
        field.charAt(0).toUpperCase() + field.slice(1).replace('providerARNs', 'ProviderARNs'),
      )
    const m = mapAuthorizer(a.id, {}, ext, pointerTo('/Resources', a.id), api, input, pascal)
    if (m.kind === 'unmappable')
      input.report.add('not-mapped', `authorizer ${a.id}`, f, a.pointer, m.why)
  }

  // Resource paths: walk ParentId up to the API's root.
  const resources = new Map(of('AWS::ApiGateway::Resource').map((r) => [r.id, r]))
  const pathOf = (id: string, depth = 0): string | undefined => {
    const r = resources.get(id)
    if (r === undefined || depth > 64) return undefined
    const part = asString(resolveIntrinsics(r.props.PathPart, input.ctx).value)
    if (part === undefined) return undefined
    if (isRootRef(r.props.ParentId)) return `/${part}`
    const parent = refTarget(r.props.ParentId)
    const base = parent === undefined ? undefined : pathOf(parent, depth + 1)
    return base === undefined ? undefined : `${base}/${part}`
  }

  for (const m of of('AWS::ApiGateway::Method')) {
    const api = byId.get(refTarget(m.props.RestApiId) ?? '')
    const method = asString(resolveIntrinsics(m.props.HttpMethod, input.ctx).value)?.toUpperCase()
    const path = isRootRef(m.props.ResourceId) ? '/' : pathOf(refTarget(m.props.ResourceId) ?? '')
    const element = `method ${method ?? '?'} ${path ?? '?'}`
    if (
      api === undefined ||
      path === undefined ||
      method === undefined ||
      !(HTTP_METHODS as readonly string[]).includes(method)
    ) {
      input.report.add(
        'not-mapped',
        element,
        f,
        m.pointer,
        'RestApiId, ResourceId or HttpMethod not determined by the template',
      )
      continue
    }
    const type = (
      asString(resolveIntrinsics(m.props.AuthorizationType, input.ctx).value) ?? 'NONE'
    ).toUpperCase()
    const authorizer = refTarget(m.props.AuthorizerId)
    const known = authorizer !== undefined && api.authorizers.has(authorizer)
    let authorizationType: AuthorizationType
    if (type === 'NONE' || type === 'AWS_IAM') authorizationType = type
    else if ((type === 'CUSTOM' || type === 'COGNITO_USER_POOLS') && known) authorizationType = type
    else {
      input.report.add(
        'not-mapped',
        element,
        f,
        m.pointer,
        `authorization ${type} with authorizer ${authorizer ?? '(none)'} cannot be mapped: left out, so it answers 403 Missing Authentication Token`,
      )
      continue
    }
    const scopes = (
      asArray(resolveIntrinsics(m.props.AuthorizationScopes, input.ctx).value) ?? []
    ).filter((s): s is string => typeof s === 'string')
    const apiKeyRequired =
      resolveIntrinsics(m.props.ApiKeyRequired, input.ctx).value === true ||
      m.props.ApiKeyRequired === 'true'
    api.routes.push({
      path,
      method: method as HttpMethod,
      authorizationType,
      ...(known ? { authorizer } : {}),
      ...(authorizationType === 'COGNITO_USER_POOLS' && scopes.length > 0
        ? { authorizationScopes: scopes }
        : {}),
      apiKeyRequired,
    })
    input.report.add(
      'mapped',
      `${element} (${authorizationType}${known ? ` ${authorizer}` : ''}${apiKeyRequired ? ', API key' : ''})`,
      f,
      m.pointer,
    )
  }

  return [...byId.values()]
}
