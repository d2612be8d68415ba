/**
 * The live pod/namespace index behind PrivateEndpoint attribution in Kubernetes mode: pod IP → the
 * pod's namespace, service account and labels; namespace → labels. Fed incrementally by the pod and
 * namespace reflectors (one Map update per watch event), read by the decision as a
 * {@link WorkloadDirectory} with one Map lookup.
 *
 * Only what attribution needs is kept (no spec, no status beyond the IPs), so memory grows with the
 * number of pods by a few hundred bytes each. Pods that cannot own their IP are left out: finished
 * pods (Succeeded / Failed: their IP may already belong to another pod), host-network pods (their IP
 * is the node's, shared by everything on it) and pods without an IP yet. An IP claimed by two pods at
 * once (a reuse race between watch events) resolves to nobody until it is unambiguous again.
 *
 * @module
 */
import { ipKey, type IpKey } from '../compile/ip-key.js'
import { toLabels, type Labels } from '../compile/label-selector.js'
import type { PodIdentity, WorkloadDirectory } from '../compile/workload-directory.js'
import { parseIpAddress, type IpAddress } from '../lib/ip-address.js'

/** One indexed pod (a class, so a stored record is recognised with `instanceof`, not a cast). */
export class PodEntry implements PodIdentity {
  constructor(
    readonly namespace: string,
    readonly serviceAccount: string,
    readonly labels: Labels,
    /** The pod's addresses as {@link ipKey}s (IPv4 numbers, IPv6 RFC 5952 text). */
    readonly ips: readonly IpKey[],
  ) {}
}

/** One indexed namespace. */
export class NamespaceEntry {
  constructor(
    readonly name: string,
    readonly labels: Labels,
  ) {}
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/**
 * Reflector transform for `v1` Pods: the slim record stored (`metadata` for the reflector's key,
 * `entry` for the index), or undefined for a pod that must not be indexed (see the module comment).
 */
export function slimPod(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const spec = isRecord(obj['spec']) ? obj['spec'] : {}
  const status = isRecord(obj['status']) ? obj['status'] : {}
  const namespace = str(meta['namespace'])
  const name = str(meta['name'])
  if (namespace === undefined || name === undefined) return undefined
  if (spec['hostNetwork'] === true) return undefined
  const phase = status['phase']
  if (phase === 'Succeeded' || phase === 'Failed') return undefined
  const ips = new Set<IpKey>()
  const add = (text: unknown): void => {
    const ip = parseIpAddress(str(text))
    if (ip !== undefined) ips.add(ipKey(ip))
  }
  add(status['podIP'])
  if (Array.isArray(status['podIPs'])) {
    for (const p of status['podIPs'] as unknown[]) if (isRecord(p)) add(p['ip'])
  }
  if (ips.size === 0) return undefined
  // The API server's ServiceAccount admission fills in `default` when a pod names none.
  const serviceAccount = str(spec['serviceAccountName']) ?? str(spec['serviceAccount']) ?? 'default'
  return {
    metadata: { namespace, name },
    entry: new PodEntry(namespace, serviceAccount, toLabels(meta['labels']), [...ips]),
  }
}

/** Reflector transform for `v1` Namespaces: name and labels only. */
export function slimNamespace(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const name = str(meta['name'])
  if (name === undefined) return undefined
  return { metadata: { name }, entry: new NamespaceEntry(name, toLabels(meta['labels'])) }
}

function podOf(rec: Record<string, unknown> | undefined): PodEntry | undefined {
  const e = rec?.['entry']
  return e instanceof PodEntry ? e : undefined
}

function namespaceOf(rec: Record<string, unknown> | undefined): NamespaceEntry | undefined {
  const e = rec?.['entry']
  return e instanceof NamespaceEntry ? e : undefined
}

export class WorkloadIndex implements WorkloadDirectory {
  /** IP → its pod, or the pods claiming it when more than one does (then: nobody). */
  readonly #byIp = new Map<IpKey, PodEntry | readonly PodEntry[]>()
  readonly #namespaces = new Map<string, Labels>()
  #pods = 0

  podByIp(ip: IpAddress): PodIdentity | undefined {
    const hit = this.#byIp.get(ipKey(ip))
    return hit instanceof PodEntry ? hit : undefined
  }

  namespaceLabels(namespace: string): Labels | undefined {
    return this.#namespaces.get(namespace)
  }

  /** Pods and namespaces indexed, and IPs claimed by more than one pod (for logs and tests). */
  stats(): { pods: number; ips: number; ambiguousIps: number; namespaces: number } {
    let ambiguous = 0
    for (const v of this.#byIp.values()) if (!(v instanceof PodEntry)) ambiguous++
    return {
      pods: this.#pods,
      ips: this.#byIp.size,
      ambiguousIps: ambiguous,
      namespaces: this.#namespaces.size,
    }
  }

  /** Reflector `onItem` for pods: moves the pod's IPs from its previous to its next record. */
  applyPod(
    _key: string,
    prev: Record<string, unknown> | undefined,
    next: Record<string, unknown> | undefined,
  ): void {
    const before = podOf(prev)
    const after = podOf(next)
    if (before === after) return
    if (before !== undefined) {
      this.#pods--
      for (const ip of before.ips) this.#release(ip, before)
    }
    if (after !== undefined) {
      this.#pods++
      for (const ip of after.ips) this.#claim(ip, after)
    }
  }

  /** Reflector `onItem` for namespaces. */
  applyNamespace(
    _key: string,
    prev: Record<string, unknown> | undefined,
    next: Record<string, unknown> | undefined,
  ): void {
    const before = namespaceOf(prev)
    const after = namespaceOf(next)
    if (before !== undefined && before.name !== after?.name) this.#namespaces.delete(before.name)
    if (after !== undefined) this.#namespaces.set(after.name, after.labels)
  }

  /** Forgets everything (the watches stopped: nothing here can be trusted to stay current). */
  clear(): void {
    this.#byIp.clear()
    this.#namespaces.clear()
    this.#pods = 0
  }

  #claim(ip: IpKey, pod: PodEntry): void {
    const cur = this.#byIp.get(ip)
    if (cur === undefined) this.#byIp.set(ip, pod)
    else if (cur instanceof PodEntry) this.#byIp.set(ip, [cur, pod])
    else this.#byIp.set(ip, [...cur, pod])
  }

  #release(ip: IpKey, pod: PodEntry): void {
    const cur = this.#byIp.get(ip)
    if (cur === undefined) return
    if (cur instanceof PodEntry) {
      if (cur === pod) this.#byIp.delete(ip)
      return
    }
    const rest = cur.filter((p) => p !== pod)
    if (rest.length === 0) this.#byIp.delete(ip)
    else if (rest.length === 1 && rest[0] !== undefined) this.#byIp.set(ip, rest[0])
    else this.#byIp.set(ip, rest)
  }
}
