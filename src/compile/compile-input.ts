/**
 * What the snapshot compiler reads: validated, defaulted manifests grouped by kind, each with where
 * it came from (file) so every compile error can name `file: kind/namespace/name: field: problem`.
 * The specs are the `src/api/v1alpha1` types themselves: the loaders hand over what the schema
 * validated, so the compiler reads exactly what the CRDs declare.
 *
 * @module
 */
import type { ObjectRef } from '../api/object-ref.js'
import type {
  AuthorizerSpec,
  PolicySpec,
  PrincipalSpec,
  PrivateEndpointSpec,
  RestApiSpec,
} from '../api/v1alpha1/index.js'

export type { ObjectRef } from '../api/object-ref.js'

export interface Manifest<S> {
  readonly ref: ObjectRef
  readonly file: string
  readonly spec: S
}

export interface SecretInput {
  readonly ref: ObjectRef
  readonly file: string
  /** Decoded values (from `data` base64 or `stringData`). */
  readonly data: Readonly<Record<string, string>>
}

export interface ServiceBinding {
  readonly ref: ObjectRef
  readonly file: string
  /** Value of the `portcullis.dev/rest-api` annotation: a RestApi name in the Service's namespace. */
  readonly restApi: string
}

export interface CompileInput {
  readonly restApis: readonly Manifest<RestApiSpec>[]
  readonly authorizers: readonly Manifest<AuthorizerSpec>[]
  readonly principals: readonly Manifest<PrincipalSpec>[]
  readonly policies: readonly Manifest<PolicySpec>[]
  readonly privateEndpoints: readonly Manifest<PrivateEndpointSpec>[]
  readonly secrets: readonly SecretInput[]
  readonly services: readonly ServiceBinding[]
}

/** A problem with one object: `file: kind/namespace/name: field: problem`. */
export interface CompileError {
  readonly file: string
  readonly ref: ObjectRef
  readonly path: string
  readonly message: string
}
