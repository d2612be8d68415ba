/**
 * What the snapshot compiler reads: validated manifests grouped by kind, each with where it came
 * from (file) so every compile error can name `file: kind/namespace/name: field: problem`.
 * Specs are the schema-validated, defaulted shapes of `src/api/v1alpha1`; only the fields the
 * compiler reads are spelled out here.
 *
 * @module
 */

export interface ObjectRef {
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

export interface Manifest<S> {
  readonly ref: ObjectRef
  readonly file: string
  readonly spec: S
}

export interface RouteInputSpec {
  readonly path: string
  readonly methods: readonly string[]
  readonly authorizationType?: string
  readonly authorizerName?: string
  readonly authorizationScopes?: readonly string[]
  readonly apiKeyRequired?: boolean
}

export interface RestApiInputSpec {
  readonly apiId?: string
  readonly accountId?: string
  readonly region?: string
  readonly stage?: string
  readonly stageVariables?: Readonly<Record<string, string>>
  readonly hosts?: readonly string[]
  readonly endpointConfiguration?: {
    readonly type?: string
    readonly vpcEndpointIds?: readonly string[]
  }
  readonly policy?: unknown
  readonly apiKeySource?: string
  readonly routes: readonly RouteInputSpec[]
}

export interface AuthorizerInputSpec {
  readonly type: string
  readonly [field: string]: unknown
}

export interface PrincipalInputSpec {
  readonly arn: string
  readonly accessKeys?: readonly {
    readonly accessKeyId: string
    readonly secretAccessKeyRef: { readonly name: string; readonly key: string }
    readonly status?: string
  }[]
  readonly policies?: readonly { readonly policyName: string; readonly policyDocument: unknown }[]
  readonly managedPolicyRefs?: readonly string[]
  readonly tags?: Readonly<Record<string, string>>
  readonly assumeRolePolicyDocument?: unknown
  readonly maxSessionDuration?: number
}

export interface IdentityProviderInputSpec {
  readonly url: string
  readonly clientIDList: readonly string[]
  readonly jwksUri?: string
}

export interface PolicyInputSpec {
  readonly policyDocument: unknown
}

export interface PrivateEndpointInputSpec {
  readonly sources: readonly {
    readonly namespaces?: readonly string[]
    readonly namespaceSelector?: unknown
    readonly podSelector?: unknown
    readonly serviceAccounts?: readonly { readonly namespace: string; readonly name: string }[]
    readonly ipBlocks?: readonly { readonly cidr: string; readonly except?: readonly string[] }[]
  }[]
  readonly policy?: unknown
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
  readonly restApis: readonly Manifest<RestApiInputSpec>[]
  readonly authorizers: readonly Manifest<AuthorizerInputSpec>[]
  readonly principals: readonly Manifest<PrincipalInputSpec>[]
  readonly policies: readonly Manifest<PolicyInputSpec>[]
  readonly privateEndpoints: readonly Manifest<PrivateEndpointInputSpec>[]
  /** Absent = none (inputs built before the kind existed). */
  readonly identityProviders?: readonly Manifest<IdentityProviderInputSpec>[]
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

export function formatCompileError(e: CompileError): string {
  return `${e.file}: ${e.ref.kind}/${e.ref.namespace}/${e.ref.name}: ${e.path}: ${e.message}`
}
