/**
 * What the manifest loader produces: typed objects (the Portcullis kinds, v1 Secrets, annotated v1
 * Services) with where they came from, and ConfigErrors naming file, object and field.
 *
 * @module
 */
import type { ConfigProblem } from '../../api/config-problem.js'
import type { ObjectRef } from '../../api/object-ref.js'
import type { ServicePort } from '../../api/core-v1.js'
import type {
  KindResource,
  KindSpec,
  LoadedObjectMeta,
  PolicyFieldKind,
  PortcullisKind,
} from '../../api/v1alpha1/index.js'

export const DEFAULT_NAMESPACE = 'default'

/** A manifest problem (the loaders' errors carry a stable code for callers that branch on it). */
export interface ConfigError extends ConfigProblem {
  readonly code: 'ERR_CONFIG_INVALID_MANIFEST'
}

interface Loaded<K extends string> {
  readonly kind: K
  readonly ref: ObjectRef
  /** File the object came from (or a source label such as `kubernetes`). */
  readonly file: string
  readonly metadata: LoadedObjectMeta
}

/** A loaded object of one Portcullis kind: the whole object and, for the compiler, its spec. */
export type LoadedKind<K extends PortcullisKind> = Loaded<K> & {
  readonly object: KindResource<K>
  readonly spec: KindSpec<K>
}
/** A loaded object of any Portcullis kind, discriminated by `kind`. */
export type LoadedPortcullisObject = {
  readonly [K in PortcullisKind]: LoadedKind<K>
}[PortcullisKind]

/** Names for the kinds other modules name; any kind is `LoadedKind<'Kind'>`. */
export type LoadedRestApi = LoadedKind<'RestApi'>
export type LoadedPrincipal = LoadedKind<'Principal'>
export type LoadedPrivateEndpoint = LoadedKind<'PrivateEndpoint'>

export type LoadedSecret = Loaded<'Secret'> & {
  /** Decoded values (`data` base64-decoded as UTF-8, overlaid by `stringData`, as the API server does). */
  readonly data: Readonly<Record<string, string>>
}
export type LoadedService = Loaded<'Service'> & {
  /** The RestApi named by the `portcullis.dev/rest-api` annotation. */
  readonly restApi: { readonly namespace: string; readonly name: string }
  readonly selector: Readonly<Record<string, string>> | undefined
  readonly ports: readonly ServicePort[]
  readonly clusterIP: string | undefined
}

export type LoadedObject = LoadedPortcullisObject | LoadedSecret | LoadedService

/** Checks a policy document with the policy engine; paths are relative to the document. */
export type ValidatePolicyHook = (
  doc: unknown,
  kind: PolicyFieldKind,
) => readonly { readonly path: string; readonly message: string }[]

export interface ParseOptions {
  /** Called for every policy document field after it parsed as an object. */
  readonly validatePolicy?: ValidatePolicyHook
}

export interface ManifestLoadResult {
  readonly objects: LoadedObject[]
  readonly errors: ConfigError[]
  readonly warnings: string[]
}

export type ParseObjectResult =
  | { readonly status: 'loaded'; readonly object: LoadedObject }
  | { readonly status: 'invalid'; readonly errors: ConfigError[] }
  | { readonly status: 'ignored'; readonly warning: string }

export function configError(
  file: string,
  ref: ObjectRef | undefined,
  path: string,
  message: string,
): ConfigError {
  return ref === undefined
    ? { code: 'ERR_CONFIG_INVALID_MANIFEST', file, path, message }
    : { code: 'ERR_CONFIG_INVALID_MANIFEST', file, ref, path, message }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Metadata with the namespace filled in (`default` when absent, as `kubectl apply` without `-n`). */
export function withNamespace(metadata: Record<string, unknown>): LoadedObjectMeta {
  const namespace =
    typeof metadata['namespace'] === 'string' ? metadata['namespace'] : DEFAULT_NAMESPACE
  return { ...metadata, namespace } as LoadedObjectMeta
}
