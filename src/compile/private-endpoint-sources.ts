/**
 * PrivateEndpoint `sources[]` compiled for attribution: which endpoint a request came through,
 * decided from its SPIFFE source principal (namespace / service account) or its source IP.
 * Fields within one source entry must all match (as in a NetworkPolicy peer); entries are OR-ed.
 * Label selectors need pod and namespace labels, which only Kubernetes mode knows: in folder mode a
 * source with a selector never matches (fail closed), and compile reports a warning.
 *
 * @module
 */
import ipaddr from 'ipaddr.js'

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

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
}

export interface SourceIdentity {
  readonly namespace: string | undefined
  readonly serviceAccount: string | undefined
  readonly ip: ipaddr.IPv4 | ipaddr.IPv6 | undefined
}

/** Parses a CIDR or bare address (bare = host route). Returns undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text)
    const addr = ipaddr.parse(text)
    return [addr, addr.kind() === 'ipv4' ? 32 : 128]
  } catch {
    return undefined
  }
}

/** Parses an address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes IPv4 so IPv4 CIDRs apply. */
export function parseIp(text: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (text === undefined || text === '') return undefined
  try {
    const addr = ipaddr.parse(text)
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      return (addr as ipaddr.IPv6).toIPv4Address()
    }
    return addr
  } catch {
    return undefined
  }
}

function inCidr(ip: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  return ip.kind() === cidr[0].kind() && ip.match(cidr)
}

/** `spiffe://<td>/ns/<ns>/sa/<sa>` → namespace and service account (Istio's identity format). */
export function parseSpiffe(
  principal: string | undefined,
): { namespace: string; serviceAccount: string } | undefined {
  if (principal === undefined || !principal.startsWith('spiffe://')) return undefined
  const m = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal)
  if (!m) return undefined
  return { namespace: m[1] ?? '', serviceAccount: m[2] ?? '' }
}

export function sourceMatches(source: CompiledSource, who: SourceIdentity): boolean {
  if (source.usesSelectors) return false
  let constrained = false
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
