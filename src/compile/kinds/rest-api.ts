/**
 * `RestApi`: ARN prefix and defaults, resource policy, endpoints (vpcEndpointIds), and the route
 * table with each route's authorizer resolved. Hosts are claimed afterwards (hosts.ts), across APIs.
 *
 * @module
 */
import type {
  AuthorizationType,
  AuthorizerSpec,
  AuthorizerType,
  RestApiSpec,
} from '../../api/v1alpha1/index.js'
import type { Manifest } from '../compile-input.js'
import { buildRouteTable } from '../route-table.js'
import type {
  CompiledApi,
  CompiledAuthorizer,
  CompiledEndpoint,
  CompiledRollout,
  CompiledRoute,
} from '../snapshot.js'
import { key, sortByRef, type CompileContext } from './compile-context.js'

const AUTHORIZER_TYPES_FOR: Partial<Record<AuthorizationType, readonly AuthorizerType[]>> = {
  CUSTOM: ['TOKEN', 'REQUEST'],
  COGNITO_USER_POOLS: ['COGNITO_USER_POOLS'],
  JWT: ['JWT'],
}

export interface CompiledRestApis {
  /** `namespace/name` → compiled API, for the valid ones. */
  readonly apisByRef: Map<string, CompiledApi>
  /** The manifests of the valid ones, for the host claims. */
  readonly apiFiles: Map<string, Manifest<RestApiSpec>>
}

export function compileRestApis(
  restApis: readonly Manifest<RestApiSpec>[],
  declaredAuthorizers: readonly Manifest<AuthorizerSpec>[],
  authorizers: ReadonlyMap<string, CompiledAuthorizer>,
  endpoints: ReadonlyMap<string, CompiledEndpoint>,
  ctx: CompileContext,
  /** Some Principal has identity policies under trial. */
  principalCandidates = false,
): CompiledRestApis {
  const apisByRef = new Map<string, CompiledApi>()
  const apiFiles = new Map<string, Manifest<RestApiSpec>>()
  for (const m of sortByRef(restApis)) {
    const { ref, file, spec } = m
    const before = ctx.errors.length
    const apiRef = key(ref.namespace, ref.name)
    const apiId = spec.apiId ?? ref.name
    const accountId = spec.accountId ?? ctx.opts.defaults.accountId
    const region = spec.region ?? ctx.opts.defaults.region
    const stage = spec.stage ?? 'prod'
    const arnPrefix = `arn:aws:execute-api:${region}:${accountId}:${apiId}`
    const endpointType = spec.endpointConfiguration?.type === 'PRIVATE' ? 'PRIVATE' : 'REGIONAL'
    const apiEndpoints: CompiledEndpoint[] = []
    ;(spec.endpointConfiguration?.vpcEndpointIds ?? []).forEach((name, i) => {
      const e = endpoints.get(key(ref.namespace, name))
      if (e) apiEndpoints.push(e)
      else
        ctx.err(
          file,
          ref,
          `spec.endpointConfiguration.vpcEndpointIds[${i}]`,
          `PrivateEndpoint ${ref.namespace}/${name} not found or invalid`,
        )
    })
    if (
      endpointType === 'PRIVATE' &&
      (spec.endpointConfiguration?.vpcEndpointIds ?? []).length === 0
    ) {
      ctx.err(
        file,
        ref,
        'spec.endpointConfiguration.vpcEndpointIds',
        'a PRIVATE API needs at least one PrivateEndpoint',
      )
    }
    const resourcePolicy =
      spec.policy === undefined
        ? undefined
        : ctx.policy(file, ref, 'spec.policy', spec.policy, 'resource', arnPrefix)
    const routeInputs = spec.routes.map((r, i) => {
      const authorizationType = r.authorizationType
      let authorizer: CompiledAuthorizer | undefined
      const wanted = AUTHORIZER_TYPES_FOR[authorizationType]
      if (wanted) {
        if (r.authorizerName === undefined) {
          ctx.err(
            file,
            ref,
            `spec.routes[${i}].authorizerName`,
            `required for authorizationType ${authorizationType}`,
          )
        } else {
          const found = authorizers.get(key(ref.namespace, r.authorizerName))
          const declared = declaredAuthorizers.find(
            (a) => a.ref.namespace === ref.namespace && a.ref.name === r.authorizerName,
          )
          if (declared === undefined) {
            ctx.err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} not found`,
            )
          } else if (!wanted.includes(declared.spec.type)) {
            ctx.err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} has type ${declared.spec.type}; ${authorizationType} needs ${wanted.join(' or ')}`,
            )
          } else if (found === undefined && ctx.opts.authorizerCompiler !== undefined) {
            ctx.err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} is invalid`,
            )
          }
          authorizer = found
        }
      }
      const route: CompiledRoute = Object.freeze({
        path: r.path,
        methods: r.methods,
        authorizationType,
        authorizer,
        authorizationScopes: r.authorizationScopes ?? [],
        apiKeyRequired: r.apiKeyRequired ?? false,
        enforcement: r.enforcement,
      })
      return { path: r.path, methods: r.methods, route }
    })
    const { table, errors: routeErrors } = buildRouteTable(routeInputs)
    for (const e of routeErrors) ctx.err(file, ref, `spec.routes[${e.index}].path`, e.message)
    const candidatePolicy =
      spec.candidatePolicy === undefined
        ? undefined
        : ctx.policy(file, ref, 'spec.candidatePolicy', spec.candidatePolicy, 'resource', arnPrefix)
    if (
      ctx.errors.length !== before ||
      (spec.policy !== undefined && resourcePolicy === undefined) ||
      (spec.candidatePolicy !== undefined && candidatePolicy === undefined)
    )
      continue
    const compiledApi: CompiledApi = Object.freeze({
      ref: apiRef,
      namespace: ref.namespace,
      name: ref.name,
      apiId,
      accountId,
      region,
      stage,
      stageVariables: spec.stageVariables ?? {},
      endpointType,
      endpoints: apiEndpoints,
      resourcePolicy,
      arnPrefix,
      routes: table,
      apiKeySource: spec.apiKeySource === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
      rollout: undefined,
    })
    const rollout = compileRollout(
      spec,
      routeInputs.some((r) => r.route.enforcement === 'DryRun'),
      candidatePolicy === undefined
        ? undefined
        : Object.freeze({ ...compiledApi, resourcePolicy: candidatePolicy }),
      routeInputs.some(
        ({ route }) =>
          (principalCandidates && route.authorizationType === 'AWS_IAM') ||
          route.authorizer?.candidate !== undefined,
      ),
    )
    apisByRef.set(
      apiRef,
      rollout === undefined ? compiledApi : Object.freeze({ ...compiledApi, rollout }),
    )
    apiFiles.set(apiRef, m)
  }
  return { apisByRef, apiFiles }
}

/** Undefined unless the API has a dry-run, a decision log or a candidate that may apply. */
function compileRollout(
  spec: RestApiSpec,
  routeDryRun: boolean,
  candidate: CompiledApi | undefined,
  identityCandidates: boolean,
): CompiledRollout | undefined {
  const enforcement = spec.enforcement ?? 'Enforce'
  const log = spec.decisionLog
  const decisionLog =
    log?.enabled === true && log.sample > 0
      ? Object.freeze({ sample: Math.min(1, log.sample), denyOnly: log.denyOnly })
      : undefined
  const anyDryRun = enforcement === 'DryRun' || routeDryRun
  if (!anyDryRun && decisionLog === undefined && candidate === undefined && !identityCandidates)
    return undefined
  return Object.freeze({ enforcement, anyDryRun, decisionLog, candidate, identityCandidates })
}
