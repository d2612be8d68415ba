/**
 * PrivateEndpoint `sources[]` compiled for attribution: which endpoint a request came through,
 * decided from its SPIFFE source principal (namespace / service account, configured trust domains
 * only: see peer-identity.ts) or its source IP.
 * Fields within one source entry must all match (as in a NetworkPolicy peer); entries are OR-ed.
 *
 * Label selectors need pod and namespace labels, which only Kubernetes mode knows (its
 * {@link WorkloadDirectory}): in folder mode a source with a selector never matches (fail closed), and
 * compile reports a warning. In Kubernetes mode the source IP is also looked up among pod IPs, which
 * gives the caller's namespace, service account and pod labels when it has no SPIFFE principal.
 * Selector semantics are a NetworkPolicy peer's: `namespaceSelector` = pods (or SPIFFE workloads) of
 * namespaces with those labels; `podSelector` = pods with those labels in the namespaces the entry
 * scopes to (`namespaceSelector` / `namespaces`), else in the PrivateEndpoint's own namespace.
 *
 * @module
 */
import { parseIpAddress, parseIpCidr, type IpAddress, type IpCidr } from '../lib/ip-address.js'
import type { LabelMatcher } from './label-selector.js'
import type { PeerIdentity } from './peer-identity.js'
import type { PodIdentity, WorkloadDirectory } from './workload-directory.js'

type Cidr = IpCidr

export interface CompiledIpBlock {
  readonly cidr: Cidr
  readonly except: readonly Cidr[]
}

export interface CompiledSource {
  readonly namespaces: ReadonlySet<string> | undefined
  /** `namespace/name` of allowed service accounts. */
  readonly serviceAccounts: ReadonlySet<string> | undefined
  readonly ipBlocks: readonly CompiledIpBlock[] | undefined
  /** True when the entry uses namespaceSelector/podSelector (resolvable only in Kubernetes mode). */
  readonly usesSelectors: boolean
  readonly namespaceSelector: LabelMatcher | undefined
  readonly podSelector: LabelMatcher | undefined
  /** The PrivateEndpoint's namespace: where a podSelector without a namespace scope selects. */
  readonly endpointNamespace: string
}

export interface SourceIdentity {
  readonly namespace: string | undefined
  readonly serviceAccount: string | undefined
  readonly ip: IpAddress | undefined
  /** The pod that owns the source IP (Kubernetes mode), when it agrees with the SPIFFE principal. */
  readonly pod?: PodIdentity | undefined
  /** Kubernetes mode's live directory; undefined in local mode, where selectors never match. */
  readonly workloads?: WorkloadDirectory | undefined
}

/** Parses a CIDR or bare address (bare = host route). Returns undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  return parseIpCidr(text)
}

/** Parses an address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`, and only that) becomes IPv4. */
export function parseIp(text: string | undefined): IpAddress | undefined {
  return parseIpAddress(text)
}

function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  return ip.kind() === cidr[0].kind() && ip.match(cidr)
}

/**
 * Who sent a request. A source principal (mTLS-authenticated, see identifyPeer) names the namespace
 * and service account when it is a SPIFFE id of a configured trust domain; without a principal, the
 * pod owning the source IP does (Kubernetes mode). The pod is used only when it is the principal's
 * workload itself (same namespace and service account) or there is no principal: an IP that
 * disagrees with the authenticated identity, or stands beside a principal that identifies nothing
 * (foreign or malformed), proves nothing (fail closed).
 * Cost: one Map lookup (IPv4 by number), and only when a directory is given.
 */
export function resolveSourceIdentity(
  peer: PeerIdentity | undefined,
  ip: IpAddress | undefined,
  workloads: WorkloadDirectory | undefined,
): SourceIdentity {
  if (workloads === undefined) {
    return { namespace: peer?.namespace, serviceAccount: peer?.serviceAccount, ip }
  }
  let pod = ip === undefined ? undefined : workloads.podByIp(ip)
  if (peer !== undefined) {
    if (
      pod !== undefined &&
      (peer.namespace === undefined ||
        pod.namespace !== peer.namespace ||
        pod.serviceAccount !== peer.serviceAccount)
    ) {
      pod = undefined
    }
    return {
      namespace: peer.namespace,
      serviceAccount: peer.serviceAccount,
      ip,
      pod,
      workloads,
    }
  }
  return {
    namespace: pod?.namespace,
    serviceAccount: pod?.serviceAccount,
    ip,
    pod,
    workloads,
  }
}

/** The label-selector part of a source entry (the entry's other fields are checked by the caller). */
function selectorsMatch(source: CompiledSource, who: SourceIdentity): boolean {
  const dir = who.workloads
  const ns = who.namespace
  if (dir === undefined || ns === undefined) return false
  if (source.namespaceSelector === undefined && source.podSelector === undefined) return false
  if (source.namespaceSelector !== undefined) {
    const labels = dir.namespaceLabels(ns)
    if (labels === undefined || !source.namespaceSelector(labels)) return false
  } else if (source.namespaces === undefined && ns !== source.endpointNamespace) {
    // A podSelector with no namespace scope selects in the endpoint's own namespace, as a
    // NetworkPolicy peer's bare podSelector selects in the policy's namespace.
    return false
  }
  if (source.podSelector !== undefined) {
    // Pod labels come only from the pod index: a SPIFFE identity alone carries none.
    if (who.pod === undefined || !source.podSelector(who.pod.labels)) return false
  }
  return true
}

export function sourceMatches(source: CompiledSource, who: SourceIdentity): boolean {
  let constrained = false
  if (source.usesSelectors) {
    if (!selectorsMatch(source, who)) return false
    constrained = true
  }
  if (source.namespaces) {
    constrained = true
    if (who.namespace === undefined || !source.namespaces.has(who.namespace)) return false
  }
  if (source.serviceAccounts) {
    constrained = true
    if (who.namespace === undefined || who.serviceAccount === undefined) return false
    if (!source.serviceAccounts.has(`${who.namespace}/${who.serviceAccount}`)) return false
  }
  if (source.ipBlocks) {
    constrained = true
    const ip = who.ip
    if (ip === undefined) return false
    const hit = source.ipBlocks.some(
      (b) => inCidr(ip, b.cidr) && !b.except.some((e) => inCidr(ip, e)),
    )
    if (!hit) return false
  }
  // An empty source entry admits nothing: fail closed rather than "everything".
  return constrained
}
