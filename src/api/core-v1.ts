/**
 * The parts of Kubernetes `v1` Secrets and Services that Portcullis reads in local mode (and validates
 * the same way in Kubernetes mode): Secrets hold access keys; Services annotated
 * `portcullis.dev/rest-api` bind a RestApi to their in-cluster host names and pods.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { ObjectMeta, StringMap } from './v1alpha1/common.js'

/** Annotation on a Service naming the RestApi it serves: `<name>` (same namespace) or `<namespace>/<name>`. */
export const REST_API_ANNOTATION = 'portcullis.dev/rest-api'

/**
 * The one rule on what a Service may bind: a RestApi of its own namespace. Binding another team's
 * API would let one namespace route traffic under another's policies. Returns the problem, or
 * undefined when the binding is allowed; the loaders report it, the NetworkPolicy builder skips it.
 */
export function serviceBindingProblem(
  serviceNamespace: string,
  restApi: { readonly namespace: string; readonly name: string },
): string | undefined {
  return restApi.namespace === serviceNamespace
    ? undefined
    : `must name a RestApi in namespace ${serviceNamespace}, not ${restApi.namespace}/${restApi.name}`
}

const SECRET_KEY = '^[-._a-zA-Z0-9]+$'

export const SecretManifest = Type.Object(
  {
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('Secret'),
    metadata: ObjectMeta,
    type: Type.Optional(Type.String({ maxLength: 253 })),
    immutable: Type.Optional(Type.Boolean()),
    data: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        propertyNames: { pattern: SECRET_KEY, maxLength: 253 },
        additionalProperties: { type: 'string' },
      }),
    ),
    stringData: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        propertyNames: { pattern: SECRET_KEY, maxLength: 253 },
        additionalProperties: { type: 'string' },
      }),
    ),
  },
  { additionalProperties: false },
)
export type SecretManifest = Static<typeof SecretManifest>

export const ServicePort = Type.Object(
  {
    name: Type.Optional(Type.String()),
    protocol: Type.Optional(Type.String()),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    targetPort: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String()]),
    ),
    appProtocol: Type.Optional(Type.String()),
    nodePort: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
)
export type ServicePort = Static<typeof ServicePort>

export const ServiceManifest = Type.Object(
  {
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('Service'),
    metadata: ObjectMeta,
    spec: Type.Optional(
      Type.Object(
        {
          selector: Type.Optional(StringMap()),
          ports: Type.Optional(Type.Array(ServicePort)),
          clusterIP: Type.Optional(Type.String()),
          type: Type.Optional(Type.String()),
        },
        // Other Service fields are Kubernetes' business, not ours.
        { additionalProperties: true },
      ),
    ),
    status: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
)
export type ServiceManifest = Static<typeof ServiceManifest>
