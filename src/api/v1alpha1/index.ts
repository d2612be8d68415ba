/**
 * The `portcullis.dev/v1alpha1` API: schemas (TypeBox = TS types = CRD schemas), kind registry,
 * semantic validation and CRD builder.
 *
 * @module
 */
import type { KindResource } from './kinds.js'

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

/** Names for the kinds other modules name often; any kind is `KindResource<'Kind'>`. */
export type RestApi = KindResource<'RestApi'>
export type Authorizer = KindResource<'Authorizer'>
export type Principal = KindResource<'Principal'>
export type Policy = KindResource<'Policy'>
export type PrivateEndpoint = KindResource<'PrivateEndpoint'>
export type ApiKey = KindResource<'ApiKey'>
export type UsagePlan = KindResource<'UsagePlan'>
export type IdentityProvider = KindResource<'IdentityProvider'>
