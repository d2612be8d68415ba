/**
 * What every source format maps into before manifests are written: one REST API with its routes,
 * authorizers, resource policy, endpoint configuration, and the API keys / usage plans that import
 * does not map (reported). Field values are already Portcullis values (authorizer specs, HTTP methods).
 *
 * @module
 */
import type { AuthorizationType, AuthorizerSpec, HttpMethod } from '../api/v1alpha1/index.js'
import type { SourceLocation } from './report.js'

export interface ImportedRoute {
  readonly path: string
  readonly method: HttpMethod
  readonly authorizationType: AuthorizationType
  /** Key of an ImportedAuthorizer of the same API (CUSTOM, COGNITO_USER_POOLS, JWT). */
  readonly authorizer?: string
  readonly authorizationScopes?: readonly string[]
  readonly apiKeyRequired: boolean
}

export interface ImportedAuthorizer {
  /** The source's name for it (scheme or authorizer name); manifests derive their name from it. */
  readonly key: string
  readonly spec: AuthorizerSpec
  readonly source: SourceLocation
}

/** An API key or usage plan: kept for the report (import writes no ApiKey/UsagePlan manifests). */
export interface ImportedUsageElement {
  readonly kind: 'ApiKey' | 'UsagePlan'
  readonly name: string
  readonly source: SourceLocation
}

export interface ImportedApi {
  /** Kubernetes object name of the RestApi. */
  readonly name: string
  readonly source: SourceLocation
  stage: string
  endpointType: 'REGIONAL' | 'PRIVATE'
  readonly vpcEndpointIds: string[]
  apiKeySource: 'HEADER' | 'AUTHORIZER'
  policy?: { Version?: string; Statement: unknown[] }
  /**
   * Statements that could not be mapped and may not be left out (a Deny, or every statement):
   * the RestApi is written with a policy denying every request instead of `policy`.
   */
  policyRefused?: string[]
  readonly routes: ImportedRoute[]
  readonly authorizers: Map<string, ImportedAuthorizer>
  readonly usage: ImportedUsageElement[]
  /** Set when ARNs in the API were built with the install's account/region (pseudo parameters). */
  accountId?: string
  region?: string
}

export function newImportedApi(name: string, source: SourceLocation, stage: string): ImportedApi {
  return {
    name,
    source,
    stage,
    endpointType: 'REGIONAL',
    vpcEndpointIds: [],
    apiKeySource: 'HEADER',
    routes: [],
    authorizers: new Map(),
    usage: [],
  }
}
