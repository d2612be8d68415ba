/**
 * The `portcullis.dev/v1alpha1` API: schemas (TypeBox = TS types = CRD schemas), kind registry,
 * semantic validation and CRD builder.
 *
 * @module
 */
import type { ApiKeySpec } from './api-key.js'
import type { AuthorizerSpec } from './authorizer.js'
import type { IdentityProviderSpec } from './identity-provider.js'
import type { ObjectMeta, ObjectStatus } from './common.js'
import type { PolicySpec } from './policy.js'
import type { PrincipalSpec } from './principal.js'
import type { PrivateEndpointSpec } from './private-endpoint.js'
import type { RestApiSpec } from './rest-api.js'
import type { UsagePlanSpec } from './usage-plan.js'

export * from './common.js'
export * from './rest-api.js'
export * from './authorizer.js'
export * from './principal.js'
export * from './policy.js'
export * from './private-endpoint.js'
export * from './api-key.js'
export * from './usage-plan.js'
export * from './identity-provider.js'
export * from './kinds.js'
export * from './validate-semantics.js'
export * from './crds.js'

/** Metadata after loading: the namespace is always set (`default` when the manifest had none). */
export type LoadedObjectMeta = ObjectMeta & { readonly namespace: string }

interface Resource<K extends string, S> {
  readonly apiVersion: 'portcullis.dev/v1alpha1'
  readonly kind: K
  readonly metadata: LoadedObjectMeta
  readonly spec: S
  readonly status?: ObjectStatus
}

export type RestApi = Resource<'RestApi', RestApiSpec>
export type Authorizer = Resource<'Authorizer', AuthorizerSpec>
export type Principal = Resource<'Principal', PrincipalSpec>
export type Policy = Resource<'Policy', PolicySpec>
export type PrivateEndpoint = Resource<'PrivateEndpoint', PrivateEndpointSpec>
export type ApiKey = Resource<'ApiKey', ApiKeySpec>
export type UsagePlan = Resource<'UsagePlan', UsagePlanSpec>
export type IdentityProvider = Resource<'IdentityProvider', IdentityProviderSpec>
export type PortcullisResource =
  | RestApi
  | Authorizer
  | Principal
  | Policy
  | PrivateEndpoint
  | ApiKey
  | UsagePlan
  | IdentityProvider
