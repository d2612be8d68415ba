/**
 * Pure: the NetworkPolicies that isolate the pods behind PRIVATE RestApis (docs/private-apis.md):
 * for each Service bound to a PRIVATE API (`portcullis.dev/rest-api`), one NetworkPolicy in the
 * Service's namespace selecting the Service's pods, admitting only the sources of the API's
 * PrivateEndpoints plus the gateway namespaces.
 *
 * A PrivateEndpoint source entry is an AND of its fields (as `sourceMatches` in compile/ decides), so
 * each entry maps to one NetworkPolicy peer where that AND can be expressed exactly:
 * - `namespaces` → `namespaceSelector` on `kubernetes.io/metadata.name In [...]` (merged with a given
 *   `namespaceSelector`, which is again an AND);
 * - `podSelector` → a peer with that podSelector and the namespace selector; without `namespaces` or
 *   `namespaceSelector` the pods are those of the PrivateEndpoint's own namespace, exactly as a bare
 *   NetworkPolicy podSelector (and as the decision's attribution) reads it, written out as a
 *   `kubernetes.io/metadata.name` requirement so it does not depend on where the policy lives;
 * - `ipBlocks` alone → one `ipBlock` peer per block.
 * What a NetworkPolicy cannot express is left out, fail closed (fewer callers reach the pods, never
 * more), and reported as a note: `serviceAccounts` (identity is L7; with `serviceAccountSources:
 * 'namespace'` the entry is widened to the accounts' namespaces instead), and `ipBlocks` combined with
 * any other field. A rule with no peers at all becomes `ingress: []` (deny all), never a rule with an
 * empty `from` (which Kubernetes reads as "from anywhere").
 *
 * @module
 */
import { parseCidr } from '../compile/private-endpoint-sources.js'
import type { LabelSelector } from '../api/v1alpha1/index.js'
import { serviceBindingProblem } from '../api/core-v1.js'
import type {
  LoadedObject,
  LoadedPrivateEndpoint,
  LoadedRestApi,
  LoadedService,
  ObjectRef,
} from '../sources/manifest.js'

/** Label on every NetworkPolicy Portcullis owns: the reconciler lists and prunes by it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY_VALUE = 'portcullis'
/** Annotation naming the RestApi (`namespace/name`) a NetworkPolicy isolates. */
export const NETWORK_POLICY_API_ANNOTATION = 'portcullis.dev/rest-api'
/** Namespace label the API server sets on every namespace (Kubernetes ≥ 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name'

export interface NetworkPolicyBuilderOptions {
  /** Namespaces whose pods (the gateway, ingress Envoys) are always admitted. */
  readonly gatewayNamespaces: readonly string[]
  /** Narrows the gateway peer to these pods (default: every pod of the gateway namespaces). */
  readonly gatewayPodSelector?: LabelSelector
  /**
   * `skip` (default, fail closed): source entries with `serviceAccounts` are left out, because a
   * NetworkPolicy cannot select by service account. `namespace`: admit the accounts' namespaces.
   */
  readonly serviceAccountSources?: 'skip' | 'namespace'
}

export interface NetworkPolicyPeer {
  readonly namespaceSelector?: LabelSelector
  readonly podSelector?: LabelSelector
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] }
}

export interface NetworkPolicyPort {
  readonly protocol: string
  readonly port: number | string
}

/** A `networking.k8s.io/v1` NetworkPolicy, as plain JSON ready to apply. */
export interface NetworkPolicyManifest {
  readonly apiVersion: 'networking.k8s.io/v1'
  readonly kind: 'NetworkPolicy'
  readonly metadata: {
    readonly name: string
    readonly namespace: string
    readonly labels: Readonly<Record<string, string>>
    readonly annotations: Readonly<Record<string, string>>
    readonly ownerReferences?: readonly {
      readonly apiVersion: 'v1'
      readonly kind: 'Service'
      readonly name: string
      readonly uid: string
      readonly controller: boolean
      readonly blockOwnerDeletion: boolean
    }[]
  }
  readonly spec: {
    readonly podSelector: { readonly matchLabels: Readonly<Record<string, string>> }
    readonly policyTypes: readonly ['Ingress']
    readonly ingress: readonly {
      readonly from: readonly NetworkPolicyPeer[]
      readonly ports?: readonly NetworkPolicyPort[]
    }[]
  }
}

/** Something the builder could not express, or left out on purpose; surfaced in logs. */
export interface NetworkPolicyNote {
  readonly ref: ObjectRef
  readonly path: string
  readonly message: string
}

export interface BuiltNetworkPolicies {
  readonly policies: readonly NetworkPolicyManifest[]
  readonly notes: readonly NetworkPolicyNote[]
}

/** `portcullis-<service>`: Service names are DNS labels (≤ 63), so this stays a valid name. */
export function networkPolicyName(serviceName: string): string {
  return `portcullis-${serviceName}`
}

export function buildNetworkPolicies(
  objects: readonly LoadedObject[],
  opts: NetworkPolicyBuilderOptions,
): BuiltNetworkPolicies {
  const notes: NetworkPolicyNote[] = []
  const apis = new Map<string, LoadedRestApi>()
  const endpoints = new Map<string, LoadedPrivateEndpoint>()
  const services: LoadedService[] = []
  for (const o of objects) {
    if (o.kind === 'RestApi') apis.set(`${o.ref.namespace}/${o.ref.name}`, o)
    else if (o.kind === 'PrivateEndpoint') endpoints.set(`${o.ref.namespace}/${o.ref.name}`, o)
    else if (o.kind === 'Service') services.push(o)
  }
  const policies: NetworkPolicyManifest[] = []
  for (const svc of [...services].sort(byRef)) {
    // A binding the loaders rejected builds no NetworkPolicy either.
    if (serviceBindingProblem(svc.ref.namespace, svc.restApi) !== undefined) continue
    const api = apis.get(`${svc.restApi.namespace}/${svc.restApi.name}`)
    if (api === undefined) continue
    if (api.spec.endpointConfiguration?.type !== 'PRIVATE') continue
    const selector = svc.selector ?? {}
    if (Object.keys(selector).length === 0) {
      // An empty podSelector would isolate every pod of the namespace: refuse, and say so.
      notes.push({
        ref: svc.ref,
        path: 'spec.selector',
        message: `bound to PRIVATE RestApi ${api.ref.name} but has no pod selector; no NetworkPolicy can isolate its pods`,
      })
      continue
    }
    const peers: NetworkPolicyPeer[] = []
    const ids = api.spec.endpointConfiguration.vpcEndpointIds ?? []
    ids.forEach((id, i) => {
      const ep = endpoints.get(`${api.ref.namespace}/${id}`)
      if (ep === undefined) {
        notes.push({
          ref: api.ref,
          path: `spec.endpointConfiguration.vpcEndpointIds[${i}]`,
          message: `PrivateEndpoint ${api.ref.namespace}/${id} not found; its sources are not admitted`,
        })
        return
      }
      peers.push(...peersOfEndpoint(ep, opts, notes))
    })
    peers.push(...gatewayPeers(opts))
    const from = dedupe(peers)
    const ports = portsOf(svc)
    const uid = typeof svc.metadata.uid === 'string' ? svc.metadata.uid : undefined
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: networkPolicyName(svc.ref.name),
        namespace: svc.ref.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        annotations: {
          [NETWORK_POLICY_API_ANNOTATION]: `${api.ref.namespace}/${api.ref.name}`,
        },
        ...(uid === undefined
          ? {}
          : {
              ownerReferences: [
                {
                  apiVersion: 'v1',
                  kind: 'Service',
                  name: svc.ref.name,
                  uid,
                  controller: true,
                  blockOwnerDeletion: false,
                },
              ],
            }),
      },
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Ingress'],
        // No peers → no rule at all: deny all ingress. A rule with `from: []` would admit everyone.
        ingress: from.length === 0 ? [] : [{ from, ...(ports.length > 0 ? { ports } : {}) }],
      },
    })
  }
  return { policies, notes }
}

function peersOfEndpoint(
  ep: LoadedPrivateEndpoint,
  opts: NetworkPolicyBuilderOptions,
  notes: NetworkPolicyNote[],
): NetworkPolicyPeer[] {
  const peers: NetworkPolicyPeer[] = []
  ep.spec.sources.forEach((s, i) => {
    const path = `spec.sources[${i}]`
    const note = (message: string): void => {
      notes.push({ ref: ep.ref, path, message })
    }
    const hasSelectors =
      s.namespaces !== undefined || s.namespaceSelector !== undefined || s.podSelector !== undefined
    if (s.ipBlocks !== undefined) {
      if (hasSelectors || s.serviceAccounts !== undefined) {
        note(
          'ipBlocks combined with other fields cannot be expressed in a NetworkPolicy; source not admitted at the network level',
        )
        return
      }
      for (const [j, b] of s.ipBlocks.entries()) {
        const cidr = normalizeCidr(b.cidr)
        const except = (b.except ?? []).map(normalizeCidr)
        if (cidr === undefined || except.some((e) => e === undefined)) {
          note(`ipBlocks[${j}]: not a CIDR; not admitted`)
          continue
        }
        peers.push({
          ipBlock: { cidr, ...(except.length > 0 ? { except: except as string[] } : {}) },
        })
      }
      return
    }
    let names: string[] | undefined =
      s.namespaces !== undefined
        ? [...s.namespaces]
        : s.podSelector !== undefined && s.namespaceSelector === undefined
          ? [ep.ref.namespace]
          : undefined
    if (s.serviceAccounts !== undefined) {
      if ((opts.serviceAccountSources ?? 'skip') === 'skip') {
        note(
          'serviceAccounts cannot be expressed in a NetworkPolicy; source not admitted at the network level (fail closed)',
        )
        return
      }
      const saNamespaces = [...new Set(s.serviceAccounts.map((sa) => sa.namespace))]
      names = names === undefined ? saNamespaces : names.filter((n) => saNamespaces.includes(n))
    }
    if (names !== undefined && names.length === 0) {
      note('admits no namespace; nothing to admit')
      return
    }
    const nsSelector = mergeSelectors(
      names === undefined
        ? undefined
        : {
            matchExpressions: [
              { key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...new Set(names)].sort() },
            ],
          },
      s.namespaceSelector,
    )
    if (s.podSelector !== undefined) {
      peers.push({ namespaceSelector: nsSelector ?? {}, podSelector: s.podSelector })
    } else if (nsSelector !== undefined) {
      peers.push({ namespaceSelector: nsSelector })
    }
  })
  return peers
}

function gatewayPeers(opts: NetworkPolicyBuilderOptions): NetworkPolicyPeer[] {
  const names = [...new Set(opts.gatewayNamespaces)].filter((n) => n !== '').sort()
  if (names.length === 0) return []
  return [
    {
      namespaceSelector: {
        matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: names }],
      },
      ...(opts.gatewayPodSelector ? { podSelector: opts.gatewayPodSelector } : {}),
    },
  ]
}

/** AND of two label selectors as one selector (matchLabels unioned, requirements concatenated). */
function mergeSelectors(
  a: LabelSelector | undefined,
  b: LabelSelector | undefined,
): LabelSelector | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const matchLabels = { ...(a.matchLabels ?? {}) }
  const matchExpressions = [...(a.matchExpressions ?? [])]
  for (const [k, v] of Object.entries(b.matchLabels ?? {})) {
    const existing = matchLabels[k]
    // The same key with two values cannot both hold: express the contradiction, still an AND.
    if (existing !== undefined && existing !== v) {
      matchExpressions.push({ key: k, operator: 'In', values: [v] })
    } else matchLabels[k] = v
  }
  matchExpressions.push(...(b.matchExpressions ?? []))
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  }
}

/** A CIDR as NetworkPolicy wants it (a bare address, should one get past validation, becomes /32 or /128). */
function normalizeCidr(text: string): string | undefined {
  const parsed = parseCidr(text)
  if (parsed === undefined) return undefined
  return text.includes('/') ? text : `${parsed[0].toString()}/${parsed[1]}`
}

function portsOf(svc: LoadedService): NetworkPolicyPort[] {
  const seen = new Set<string>()
  const out: NetworkPolicyPort[] = []
  for (const p of svc.ports) {
    const port = p.targetPort ?? p.port
    const protocol = p.protocol ?? 'TCP'
    const key = `${protocol}/${port}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ protocol, port })
  }
  return out
}

function dedupe(peers: readonly NetworkPolicyPeer[]): NetworkPolicyPeer[] {
  const seen = new Set<string>()
  return peers.filter((p) => {
    const k = JSON.stringify(p)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function byRef(a: LoadedService, b: LoadedService): number {
  const ka = `${a.ref.namespace}/${a.ref.name}`
  const kb = `${b.ref.namespace}/${b.ref.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
