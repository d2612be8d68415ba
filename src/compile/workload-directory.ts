/**
 * What Kubernetes mode knows about the cluster's workloads, as the decision reads it: pod IP →
 * the pod's namespace, service account and labels; namespace → its labels. Kubernetes mode keeps
 * one live implementation (controller/workload-index.ts) that watch events update in place; local
 * mode has none, so label selectors never match there (fail closed).
 *
 * @module
 */
import type { IpAddress } from '../lib/ip-address.js'
import type { Labels } from './label-selector.js'

/** The identity of the pod that owns an IP. */
export interface PodIdentity {
  readonly namespace: string
  readonly serviceAccount: string
  readonly labels: Labels
}

export interface WorkloadDirectory {
  /**
   * The pod that owns this address (IPv4-mapped IPv6 already unmapped by `parseIpAddress`), or undefined
   * when no running pod owns it, or when two pods claim it (ambiguous: fail closed).
   */
  podByIp(ip: IpAddress): PodIdentity | undefined
  /** The namespace's labels, or undefined for a namespace that does not exist (or is not known yet). */
  namespaceLabels(namespace: string): Labels | undefined
}
