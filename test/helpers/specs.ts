/**
 * Specs as the loaders hand them to the compiler: a test writes only the fields it cares about and
 * the schema's own defaults (stage `prod`, route `authorizationType: NONE`, TTL 300...) fill the rest,
 * exactly as Ajv's `useDefaults` does when a manifest is loaded.
 */
import { Value } from '@sinclair/typebox/value'
import type { Static, TSchema } from '@sinclair/typebox'
import {
  AuthorizerSpec,
  PolicySpec,
  PrincipalSpec,
  PrivateEndpointSpec,
  RestApiSpec,
} from '../../src/api/v1alpha1/index.js'

/** Every field optional, all the way down (the defaults fill in what the schema defaults). */
export type Loose<T> = T extends string | number | boolean
  ? T
  : T extends readonly (infer U)[]
    ? readonly Loose<U>[]
    : T extends object
      ? { [K in keyof T]?: Loose<T[K]> }
      : T

function defaulted<S extends TSchema>(schema: S, spec: Loose<Static<S>>): Static<S> {
  return Value.Default(schema, structuredClone(spec))
}

export const restApiSpec = (s: Loose<RestApiSpec>): RestApiSpec => defaulted(RestApiSpec, s)
export const authorizerSpec = (s: Loose<AuthorizerSpec>): AuthorizerSpec =>
  defaulted(AuthorizerSpec, s)
export const principalSpec = (s: Loose<PrincipalSpec>): PrincipalSpec => defaulted(PrincipalSpec, s)
export const policySpec = (s: Loose<PolicySpec>): PolicySpec => defaulted(PolicySpec, s)
export const privateEndpointSpec = (s: Loose<PrivateEndpointSpec>): PrivateEndpointSpec =>
  defaulted(PrivateEndpointSpec, s)
