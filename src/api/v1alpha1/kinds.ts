/**
 * The registry of `portcullis.dev/v1alpha1` kinds: one entry per kind (names, spec schema, printer
 * columns, the compile-input bucket), from which the TypeScript types, the CRDs, the manifest
 * loader, the compile input, the object counts and the Kubernetes source are all derived. A new kind
 * goes into {@link KINDS} and {@link KIND_INFO} (TypeScript rejects one without the other); the few
 * other files it needs are listed in docs/development/adding-a-kind.md.
 *
 * @module
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { ApiKeySpec } from './api-key.js'
import { AuthorizerSpec } from './authorizer.js'
import type { ObjectMeta, ObjectStatus } from './common.js'
import { IdentityProviderSpec } from './identity-provider.js'
import { PolicySpec } from './policy.js'
import { PrincipalSpec } from './principal.js'
import { PrivateEndpointSpec } from './private-endpoint.js'
import { RestApiSpec } from './rest-api.js'
import { UsagePlanSpec } from './usage-plan.js'

/** Every kind, in the stable order of the CRDs, the docs and the Kubernetes watches. */
export const KINDS = [
  'RestApi',
  'Authorizer',
  'Principal',
  'Policy',
  'PrivateEndpoint',
  'ApiKey',
  'UsagePlan',
  'IdentityProvider',
] as const
export type PortcullisKind = (typeof KINDS)[number]

/** What per-kind object counts cover: every kind, then the core objects the compiler reads. */
export const COUNTED_KINDS = [...KINDS, 'Secret', 'Service'] as const

export interface PrinterColumn {
  readonly name: string
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  readonly jsonPath: string
  readonly description: string
  readonly priority?: number
}

export interface KindInfo<K extends PortcullisKind = PortcullisKind> {
  readonly kind: K
  /** The kind's property in the compiler's input (`restApis` holds the RestApis). */
  readonly bucket: string
  readonly listKind: string
  readonly plural: string
  readonly singular: string
  readonly shortNames: readonly string[]
  /** One sentence for the CRD description. */
  readonly description: string
  readonly spec: TSchema
  readonly printerColumns: readonly PrinterColumn[]
}

const READY: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether Portcullis serves this object.',
}
const REASON: PrinterColumn = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: 'Why it is (not) ready.',
  priority: 1,
}
const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
}

/*
 * `as const satisfies`, not a type annotation: the literal entries keep their exact types (each
 * kind's spec schema and bucket name), which the mapped types below read, while the compiler still
 * checks that every kind has a complete entry and no entry lacks a kind.
 */
export const KIND_INFO = {
  RestApi: {
    kind: 'RestApi',
    bucket: 'restApis',
    listKind: 'RestApiList',
    plural: 'restapis',
    singular: 'restapi',
    shortNames: ['rapi'],
    description:
      'RestApi is an Amazon API Gateway REST API: routes with their authorization type, resource policy, endpoint configuration and the hosts it serves.',
    spec: RestApiSpec,
    printerColumns: [
      {
        name: 'Endpoint',
        type: 'string',
        jsonPath: '.spec.endpointConfiguration.type',
        description: 'REGIONAL or PRIVATE.',
      },
      { name: 'Stage', type: 'string', jsonPath: '.spec.stage', description: 'Stage in ARNs.' },
      {
        name: 'API ID',
        type: 'string',
        jsonPath: '.spec.apiId',
        description: 'API ID in ARNs.',
        priority: 1,
      },
      {
        name: 'Hosts',
        type: 'string',
        jsonPath: '.spec.hosts',
        description: 'Host names served.',
        priority: 1,
      },
      READY,
      REASON,
      AGE,
    ],
  },
  Authorizer: {
    kind: 'Authorizer',
    bucket: 'authorizers',
    listKind: 'AuthorizerList',
    plural: 'authorizers',
    singular: 'authorizer',
    shortNames: ['authz'],
    description:
      'Authorizer is an API Gateway authorizer: a TOKEN/REQUEST HTTP (Lambda-style) authorizer, a Cognito user pool authorizer or a JWT authorizer.',
    spec: AuthorizerSpec,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Authorizer type.' },
      {
        name: 'TTL',
        type: 'integer',
        jsonPath: '.spec.authorizerResultTtlInSeconds',
        description: 'Result cache TTL in seconds.',
      },
      {
        name: 'URI',
        type: 'string',
        jsonPath: '.spec.authorizerUri',
        description: 'Authorizer endpoint.',
        priority: 1,
      },
      READY,
      REASON,
      AGE,
    ],
  },
  Principal: {
    kind: 'Principal',
    bucket: 'principals',
    listKind: 'PrincipalList',
    plural: 'principals',
    singular: 'principal',
    shortNames: ['iamprincipal'],
    description:
      'Principal is an IAM user or role that signs requests with SigV4: access keys (secret in a Secret), inline and managed policies, and tags.',
    spec: PrincipalSpec,
    printerColumns: [
      { name: 'ARN', type: 'string', jsonPath: '.spec.arn', description: 'Principal ARN.' },
      READY,
      REASON,
      AGE,
    ],
  },
  Policy: {
    kind: 'Policy',
    bucket: 'policies',
    listKind: 'PolicyList',
    plural: 'policies',
    singular: 'policy',
    shortNames: ['iampolicy'],
    description:
      'Policy is a customer managed IAM identity policy that Principals attach through managedPolicyRefs.',
    spec: PolicySpec,
    printerColumns: [READY, REASON, AGE],
  },
  PrivateEndpoint: {
    kind: 'PrivateEndpoint',
    bucket: 'privateEndpoints',
    listKind: 'PrivateEndpointList',
    plural: 'privateendpoints',
    singular: 'privateendpoint',
    shortNames: ['vpce'],
    description:
      'PrivateEndpoint is the counterpart of a VPC interface endpoint: the in-cluster sources that reach PRIVATE APIs through it, and its endpoint policy.',
    spec: PrivateEndpointSpec,
    printerColumns: [READY, REASON, AGE],
  },
  ApiKey: {
    kind: 'ApiKey',
    bucket: 'apiKeys',
    listKind: 'ApiKeyList',
    plural: 'apikeys',
    singular: 'apikey',
    shortNames: ['ak'],
    description:
      'ApiKey is an API Gateway API key: its value (in a Secret), whether it is enabled and its customer id. Usage plans name the keys they admit.',
    spec: ApiKeySpec,
    printerColumns: [
      {
        name: 'Enabled',
        type: 'boolean',
        jsonPath: '.spec.enabled',
        description: 'Disabled keys are refused.',
      },
      {
        name: 'Customer',
        type: 'string',
        jsonPath: '.spec.customerId',
        description: 'Customer id.',
        priority: 1,
      },
      READY,
      REASON,
      AGE,
    ],
  },
  UsagePlan: {
    kind: 'UsagePlan',
    bucket: 'usagePlans',
    listKind: 'UsagePlanList',
    plural: 'usageplans',
    singular: 'usageplan',
    shortNames: ['uplan'],
    description:
      'UsagePlan is an API Gateway usage plan: the API stages its API keys may call, a token-bucket throttle (plan-wide and per method) and a quota per DAY, WEEK or MONTH.',
    spec: UsagePlanSpec,
    printerColumns: [
      {
        name: 'Rate',
        type: 'number',
        jsonPath: '.spec.throttle.rateLimit',
        description: 'Requests per second per key.',
      },
      {
        name: 'Quota',
        type: 'integer',
        jsonPath: '.spec.quota.limit',
        description: 'Requests per period per key.',
      },
      {
        name: 'Period',
        type: 'string',
        jsonPath: '.spec.quota.period',
        description: 'Quota period.',
      },
      READY,
      REASON,
      AGE,
    ],
  },
  IdentityProvider: {
    kind: 'IdentityProvider',
    bucket: 'identityProviders',
    listKind: 'IdentityProviderList',
    plural: 'identityproviders',
    singular: 'identityprovider',
    shortNames: ['oidcprovider'],
    description:
      'IdentityProvider is an OpenID Connect issuer (an IAM OIDC identity provider) whose tokens roles may trust: AssumeRoleWithWebIdentity exchanges them for session credentials.',
    spec: IdentityProviderSpec,
    printerColumns: [
      { name: 'URL', type: 'string', jsonPath: '.spec.url', description: 'Issuer URL.' },
      READY,
      REASON,
      AGE,
    ],
  },
} as const satisfies { readonly [K in PortcullisKind]: KindInfo<K> }

type KindInfoMap = typeof KIND_INFO

/** The spec of a kind, as its schema validates it (`KindSpec<'RestApi'>` is `RestApiSpec`). */
export type KindSpec<K extends PortcullisKind> = Static<KindInfoMap[K]['spec']>

/** The compile-input bucket of a kind (`KindBucket<'RestApi'>` is `'restApis'`). */
export type KindBucket<K extends PortcullisKind = PortcullisKind> = KindInfoMap[K]['bucket']

/** The kind a compile-input bucket holds (`KindOfBucket<'restApis'>` is `'RestApi'`). */
export type KindOfBucket<B extends KindBucket> = {
  readonly [K in PortcullisKind as KindBucket<K>]: K
}[B]

/** Metadata after loading: the namespace is always set (`default` when the manifest had none). */
export type LoadedObjectMeta = ObjectMeta & { readonly namespace: string }

/** One loaded object of a kind, as a manifest or the API server holds it. */
export interface KindResource<K extends PortcullisKind> {
  readonly apiVersion: 'portcullis.dev/v1alpha1'
  readonly kind: K
  readonly metadata: LoadedObjectMeta
  readonly spec: KindSpec<K>
  readonly status?: ObjectStatus
}

/** An object of any kind, discriminated by `kind`. */
export type PortcullisResource = { readonly [K in PortcullisKind]: KindResource<K> }[PortcullisKind]

export function isPortcullisKind(kind: unknown): kind is PortcullisKind {
  return typeof kind === 'string' && (KINDS as readonly string[]).includes(kind)
}
