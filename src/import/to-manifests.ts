/**
 * ImportedApi → Portcullis manifests: the RestApi (routes grouped by path and identical
 * authorization), one Authorizer per authorizer, one PrivateEndpoint per VPC endpoint, and the API
 * keys (each with the Secret holding its value) and usage plans the API owns.
 *
 * @module
 */
import type { RestApiSpec, PrivateEndpointSpec, HttpMethod } from '../api/v1alpha1/index.js'
import type { ImportedApi } from './imported-api.js'
import { toObjectName } from './json-shape.js'
import type { Manifest } from './manifest.js'
import type { ImportReport } from './report.js'
import { usageManifests } from './usage-manifests.js'

export type { Manifest } from './manifest.js'

/** Most routes a RestApi holds. */
const MAX_ROUTES = 300

/** A documentation range (RFC 5737): an endpoint admitting only it admits nobody real. */
export const PLACEHOLDER_SOURCE_CIDR = '192.0.2.0/32'

/** What an API gets when part of its policy cannot be mapped without admitting more. */
export const DENY_ALL_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'PortcullisImportPolicyNotMapped',
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
    },
  ],
}

export function authorizerObjectName(api: ImportedApi, key: string): string {
  return toObjectName(`${api.name}-${key}`)
}

function routes(api: ImportedApi, report: ImportReport): RestApiSpec['routes'] {
  const groups = new Map<string, { route: RestApiSpec['routes'][number]; methods: HttpMethod[] }>()
  for (const r of api.routes) {
    const route = {
      path: r.path,
      methods: [] as HttpMethod[],
      authorizationType: r.authorizationType,
      ...(r.authorizer !== undefined
        ? { authorizerName: authorizerObjectName(api, r.authorizer) }
        : {}),
      ...(r.authorizationScopes !== undefined
        ? { authorizationScopes: [...r.authorizationScopes].slice(0, 10) }
        : {}),
      apiKeyRequired: r.apiKeyRequired,
    }
    const key = JSON.stringify({ ...route, methods: undefined })
    const g = groups.get(key) ?? { route, methods: [] as HttpMethod[] }
    if (!g.methods.includes(r.method)) g.methods.push(r.method)
    groups.set(key, g)
  }
  const out = [...groups.values()].map((g) => ({ ...g.route, methods: g.methods }))
  if (out.length > MAX_ROUTES) {
    report.add(
      'not-mapped',
      `${out.length - MAX_ROUTES} routes of ${api.name}`,
      api.source.file,
      api.source.pointer,
      `a RestApi holds at most ${MAX_ROUTES} routes`,
    )
    return out.slice(0, MAX_ROUTES)
  }
  return out
}

/** The manifests of one API, RestApi first. Empty when the API has no method to serve. */
export function toManifests(
  api: ImportedApi,
  namespace: string,
  report: ImportReport,
  nameOf: (api: ImportedApi) => string = (a) => a.name,
): Manifest[] {
  const meta = (name: string): Manifest['metadata'] => ({ name, namespace })
  const out: Manifest[] = []
  if (api.endpointType === 'PRIVATE') {
    // A PRIVATE API is reachable only through endpoints: without any in the source, one
    // placeholder endpoint (admitting nobody) keeps the API valid and closed.
    if (api.vpcEndpointIds.length === 0) {
      const name = toObjectName(`${api.name}-endpoint`)
      api.vpcEndpointIds.push(name)
      report.add(
        'todo',
        `PrivateEndpoint ${name}`,
        api.source.file,
        api.source.pointer,
        `PRIVATE API without VPC endpoint IDs: ${name} written with a placeholder source (${PLACEHOLDER_SOURCE_CIDR}, admits nobody): list the in-cluster callers`,
      )
    }
  }
  const rs = routes(api, report)
  if (rs.length === 0) {
    report.add(
      'not-mapped',
      `API ${api.name}`,
      api.source.file,
      api.source.pointer,
      'no method could be mapped, so no RestApi is written (a RestApi needs at least one route)',
    )
  } else {
    const policy = api.policyRefused !== undefined ? DENY_ALL_POLICY : api.policy
    if (api.policyRefused !== undefined)
      report.add(
        'not-mapped',
        `resource policy of ${api.name}`,
        api.source.file,
        api.source.pointer,
        `written as a policy denying every request, because ${api.policyRefused.join(', ')} could not be mapped and leaving it out would admit more than the source: write the policy by hand`,
      )
    const spec: RestApiSpec = {
      stage: api.stage,
      ...(api.accountId !== undefined ? { accountId: api.accountId } : {}),
      ...(api.region !== undefined ? { region: api.region } : {}),
      endpointConfiguration: {
        type: api.endpointType,
        ...(api.endpointType === 'PRIVATE' && api.vpcEndpointIds.length > 0
          ? { vpcEndpointIds: api.vpcEndpointIds }
          : {}),
      },
      ...(policy !== undefined ? { policy } : {}),
      apiKeySource: api.apiKeySource,
      routes: rs,
    }
    out.push({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'RestApi',
      metadata: meta(api.name),
      spec,
    })
  }
  for (const a of api.authorizers.values())
    out.push({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Authorizer',
      metadata: meta(authorizerObjectName(api, a.key)),
      spec: a.spec,
    })
  if (api.endpointType === 'PRIVATE') {
    for (const id of api.vpcEndpointIds) {
      const spec: PrivateEndpointSpec = {
        sources: [{ ipBlocks: [{ cidr: PLACEHOLDER_SOURCE_CIDR }] }],
      }
      out.push({
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'PrivateEndpoint',
        metadata: meta(id),
        spec,
      })
    }
  }
  out.push(...usageManifests(api, namespace, report, nameOf))
  return out
}
