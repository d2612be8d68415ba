/**
 * Whether the configuration needs the pod/namespace index: true when some PrivateEndpoint has a
 * source that pod identity can satisfy (`namespaceSelector`, `podSelector`, and in Kubernetes mode
 * also `namespaces` / `serviceAccounts`, which a pod IP matches without a SPIFFE principal). Sources
 * of `ipBlocks` alone never need it.
 *
 * @module
 */
import type { LoadedObject } from '../sources/manifest.js'

export function needsWorkloadIndex(objects: readonly LoadedObject[]): boolean {
  return objects.some(
    (o) =>
      o.kind === 'PrivateEndpoint' &&
      o.spec.sources.some(
        (s) =>
          s.namespaceSelector !== undefined ||
          s.podSelector !== undefined ||
          s.namespaces !== undefined ||
          s.serviceAccounts !== undefined,
      ),
  )
}
