/**
 * The resources Kubernetes mode reads, with their API paths: the `portcullis.dev/v1alpha1`
 * kinds, `v1` Secrets and `v1` Services.
 *
 * @module
 */
import { GROUP, KIND_INFO, KINDS, VERSION, type PortcullisKind } from '../api/v1alpha1/index.js'

export interface CustomResource {
  readonly kind: PortcullisKind
  readonly plural: string
}

/** Kind → plural, from the registry the CRDs are built from. */
export const CUSTOM_RESOURCES: readonly CustomResource[] = KINDS.map((kind) => ({
  kind,
  plural: KIND_INFO[kind].plural,
}))

/** Collection path of a custom resource, in one namespace or (undefined) across the cluster. */
export function customResourcePath(plural: string, namespace: string | undefined): string {
  return namespace === undefined
    ? `/apis/${GROUP}/${VERSION}/${plural}`
    : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${plural}`
}

/** Path of one custom object (append `/status` for its status subresource). */
export function customObjectPath(plural: string, namespace: string, name: string): string {
  return `${customResourcePath(plural, namespace)}/${encodeURIComponent(name)}`
}

/** Collection path of a core (`v1`) resource such as `secrets` or `services`. */
export function coreResourcePath(plural: string, namespace: string | undefined): string {
  return namespace === undefined
    ? `/api/v1/${plural}`
    : `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`
}
