/**
 * One object `portcullis import` writes: a Portcullis kind, or the Secret holding an API key's value.
 *
 * @module
 */
import type { SecretManifest } from '../api/core-v1.js'
import type { ApiKeySpec } from '../api/v1alpha1/api-key.js'
import type { AuthorizerSpec, PrivateEndpointSpec, RestApiSpec } from '../api/v1alpha1/index.js'
import type { UsagePlanSpec } from '../api/v1alpha1/usage-plan.js'

interface Meta {
  readonly name: string
  readonly namespace: string
}

export type Manifest =
  | {
      readonly apiVersion: 'portcullis.dev/v1alpha1'
      readonly kind: 'RestApi' | 'Authorizer' | 'PrivateEndpoint' | 'ApiKey' | 'UsagePlan'
      readonly metadata: Meta
      readonly spec: RestApiSpec | AuthorizerSpec | PrivateEndpointSpec | ApiKeySpec | UsagePlanSpec
    }
  | (Pick<SecretManifest, 'apiVersion' | 'kind' | 'type' | 'stringData'> & {
      readonly metadata: Meta
      /** Absent: lets readers of `spec` treat every manifest alike. */
      readonly spec?: undefined
    })
