/**
 * PrivateEndpoint source attribution with label selectors, compiled by compileSnapshot and matched
 * against a workload directory: NetworkPolicy-peer semantics (namespaceSelector, podSelector scoped to
 * the endpoint's namespace, both, empty selectors), AND with the entry's other fields, SPIFFE vs pod
 * IP identity (a disagreeing pod proves nothing), and local mode where selectors never match.
 */
import { describe, expect, it } from 'vitest'
import { compileSnapshot } from './compile-snapshot.js'
import { emptyCompileInput, type CompileInput } from './compile-input.js'
import type { PrivateEndpointSpec } from '../api/v1alpha1/index.js'
import type { CompiledSource } from './private-endpoint-sources.js'
import { parseIp, resolveSourceIdentity, sourceMatches } from './private-endpoint-sources.js'
import type { PodIdentity, WorkloadDirectory } from './workload-directory.js'
import { privateEndpointSpec, restApiSpec } from '../../test/helpers/specs.js'
import { DEFAULT_TRUST_DOMAINS, identifyPeer } from './peer-identity.js'

const DEFAULTS = { accountId: '111122223333', region: 'us-east-1' }

function compileEndpoint(sources: PrivateEndpointSpec['sources'], workloads?: WorkloadDirectory) {
  const input: CompileInput = {
    ...emptyCompileInput(),
    restApis: [
      {
        ref: { kind: 'RestApi', namespace: 'shop', name: 'inventory' },
        file: 'api.yaml',
        spec: restApiSpec({
          hosts: ['inventory.shop.internal'],
          endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['frontend'] },
          routes: [{ path: '/items', methods: ['GET'] }],
        }),
      },
    ],
    privateEndpoints: [
      {
        ref: { kind: 'PrivateEndpoint', namespace: 'shop', name: 'frontend' },
        file: 'pe.yaml',
        spec: privateEndpointSpec({ sources }),
      },
    ],
  }
  return compileSnapshot(input, {
    defaults: DEFAULTS,
    generation: 1,
    ...(workloads ? { workloads } : {}),
  })
}

function sourcesOf(r: ReturnType<typeof compileEndpoint>): readonly CompiledSource[] {
  const ep = r.snapshot.apisByRef.get('shop/inventory')?.endpoints[0]
  if (ep === undefined) throw new Error(`endpoint not compiled: ${JSON.stringify(r.errors)}`)
  return ep.sources
}

/** A fixed cluster: namespaces with labels, pods by IP. */
function directory(): WorkloadDirectory {
  const l = (o: Record<string, string>) => new Map(Object.entries(o))
  const namespaces = new Map([
    ['shop', l({ 'kubernetes.io/metadata.name': 'shop', team: 'shop' })],
    ['web', l({ 'kubernetes.io/metadata.name': 'web', team: 'shop', tier: 'frontend' })],
    ['batch', l({ 'kubernetes.io/metadata.name': 'batch' })],
  ])
  const pod = (namespace: string, serviceAccount: string, labels: Record<string, string>) =>
    ({ namespace, serviceAccount, labels: l(labels) }) satisfies PodIdentity
  const pods = new Map<string, PodIdentity>([
    ['10.0.0.1', pod('shop', 'checkout', { app: 'checkout' })],
    ['10.0.0.2', pod('shop', 'default', { app: 'cart' })],
    ['10.0.1.1', pod('web', 'ui', { app: 'checkout' })],
    ['10.0.1.2', pod('web', 'ui', { app: 'ui' })],
    ['10.0.2.1', pod('batch', 'reporter', { app: 'report' })],
    // A pod in a namespace the index has no labels for (not listed yet, or deleted).
    ['10.0.3.1', pod('ghost', 'default', { app: 'checkout' })],
    ['fd00::1', pod('web', 'ui', { app: 'v6' })],
  ])
  return {
    podByIp: (ip) => pods.get(ip.toString()),
    namespaceLabels: (ns) => namespaces.get(ns),
  }
}

const DIR = directory()

/** Does a request with this source IP / SPIFFE principal fall under the entry? */
function attributed(
  source: CompiledSource,
  req: { ip?: string; principal?: string },
  mode: 'kubernetes' | 'local' = 'kubernetes',
): boolean {
  const workloads = mode === 'kubernetes' ? DIR : undefined
  const who = resolveSourceIdentity(
    identifyPeer(req.principal, DEFAULT_TRUST_DOMAINS),
    parseIp(req.ip),
    workloads,
  )
  return sourceMatches(source, who)
}

function only(sources: PrivateEndpointSpec['sources']): CompiledSource {
  const r = compileEndpoint(sources, DIR)
  expect(r.errors).toEqual([])
  const s = sourcesOf(r)[0]
  if (s === undefined) throw new Error('no source')
  return s
}

const spiffe = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`

describe('PrivateEndpoint sources with label selectors (Kubernetes mode)', () => {
  it('namespaceSelector alone: pods of namespaces with those labels, by pod IP', () => {
    const s = only([{ namespaceSelector: { matchLabels: { tier: 'frontend' } } }])
    expect(attributed(s, { ip: '10.0.1.2' })).toBe(true)
    expect(attributed(s, { ip: '10.0.0.1' })).toBe(false) // shop has no tier label
    expect(attributed(s, { ip: '192.0.2.7' })).toBe(false) // not a pod
    expect(attributed(s, {})).toBe(false)
  })

  it('namespaceSelector alone: a SPIFFE workload of a selected namespace matches through the namespace labels', () => {
    const s = only([{ namespaceSelector: { matchLabels: { team: 'shop' } } }])
    expect(attributed(s, { principal: spiffe('web', 'anything') })).toBe(true)
    expect(attributed(s, { principal: spiffe('batch', 'reporter') })).toBe(false)
    // A namespace the index does not know has no labels: nothing matches, not even NotIn.
    const notIn = only([
      { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } },
    ])
    expect(attributed(notIn, { principal: spiffe('batch', 'x') })).toBe(true)
    expect(attributed(notIn, { principal: spiffe('nowhere', 'x') })).toBe(false)
    expect(attributed(notIn, { ip: '10.0.3.1' })).toBe(false)
  })

  it("podSelector alone: pods with those labels in the PrivateEndpoint's own namespace only", () => {
    const s = only([{ podSelector: { matchLabels: { app: 'checkout' } } }])
    expect(attributed(s, { ip: '10.0.0.1' })).toBe(true) // shop/checkout
    expect(attributed(s, { ip: '10.0.0.2' })).toBe(false) // shop, other labels
    expect(attributed(s, { ip: '10.0.1.1' })).toBe(false) // same labels, namespace web
    expect(attributed(s, { ip: '10.0.3.1' })).toBe(false) // same labels, namespace ghost
  })

  it('podSelector needs the pod: a SPIFFE principal alone carries no pod labels', () => {
    const s = only([{ podSelector: {} }])
    expect(attributed(s, { principal: spiffe('shop', 'checkout') })).toBe(false)
    expect(attributed(s, { principal: spiffe('shop', 'checkout'), ip: '10.0.0.1' })).toBe(true)
  })

  it('a pod IP that disagrees with the SPIFFE principal is ignored (the authenticated identity wins)', () => {
    const s = only([{ podSelector: { matchLabels: { app: 'checkout' } } }])
    // 10.0.0.1 is shop/checkout, but the peer certificate says shop/default: labels unknown.
    expect(attributed(s, { principal: spiffe('shop', 'default'), ip: '10.0.0.1' })).toBe(false)
    // The namespace comes from SPIFFE, not from the pod: web's workload with shop's pod IP.
    const ns = only([{ namespaces: ['shop'] }])
    expect(attributed(ns, { principal: spiffe('web', 'ui'), ip: '10.0.0.1' })).toBe(false)
  })

  it('namespaceSelector AND podSelector: pods with those labels in namespaces with those labels', () => {
    const s = only([
      {
        namespaceSelector: { matchLabels: { team: 'shop' } },
        podSelector: { matchLabels: { app: 'checkout' } },
      },
    ])
    expect(attributed(s, { ip: '10.0.0.1' })).toBe(true) // shop/checkout
    expect(attributed(s, { ip: '10.0.1.1' })).toBe(true) // web/checkout (web has team=shop)
    expect(attributed(s, { ip: '10.0.1.2' })).toBe(false) // web/ui
    expect(attributed(s, { ip: '10.0.3.1' })).toBe(false) // ghost: namespace labels unknown
  })

  it('empty selectors: namespaceSelector {} = every known namespace; podSelector {} = every pod of the own namespace', () => {
    const anyNs = only([{ namespaceSelector: {} }])
    expect(attributed(anyNs, { ip: '10.0.2.1' })).toBe(true)
    expect(attributed(anyNs, { principal: spiffe('web', 'x') })).toBe(true)
    expect(attributed(anyNs, { ip: '192.0.2.1' })).toBe(false)
    const anyPodHere = only([{ podSelector: {} }])
    expect(attributed(anyPodHere, { ip: '10.0.0.2' })).toBe(true)
    expect(attributed(anyPodHere, { ip: '10.0.1.2' })).toBe(false)
    const everyPod = only([{ namespaceSelector: {}, podSelector: {} }])
    expect(attributed(everyPod, { ip: '10.0.1.2' })).toBe(true)
    expect(attributed(everyPod, { principal: spiffe('web', 'ui') })).toBe(false) // no pod
  })

  it('namespaces[] scopes a podSelector instead of the own namespace; both fields must hold', () => {
    const s = only([{ namespaces: ['web'], podSelector: { matchLabels: { app: 'checkout' } } }])
    expect(attributed(s, { ip: '10.0.1.1' })).toBe(true)
    expect(attributed(s, { ip: '10.0.0.1' })).toBe(false)
    const both = only([
      { namespaces: ['batch'], namespaceSelector: { matchLabels: { team: 'shop' } } },
    ])
    expect(attributed(both, { ip: '10.0.2.1' })).toBe(false) // batch lacks team=shop
    expect(attributed(both, { ip: '10.0.1.1' })).toBe(false) // web not in namespaces
  })

  it('serviceAccounts and ipBlocks in the same entry must hold too', () => {
    const sa = only([
      {
        namespaceSelector: { matchLabels: { team: 'shop' } },
        serviceAccounts: [{ namespace: 'web', name: 'ui' }],
      },
    ])
    expect(attributed(sa, { ip: '10.0.1.2' })).toBe(true) // web/ui by pod IP
    expect(attributed(sa, { ip: '10.0.0.1' })).toBe(false) // shop/checkout
    const ip = only([
      { podSelector: { matchLabels: { app: 'checkout' } }, ipBlocks: [{ cidr: '10.0.0.0/31' }] },
    ])
    expect(attributed(ip, { ip: '10.0.0.1' })).toBe(true)
    const ipOut = only([
      { podSelector: { matchLabels: { app: 'checkout' } }, ipBlocks: [{ cidr: '10.0.9.0/24' }] },
    ])
    expect(attributed(ipOut, { ip: '10.0.0.1' })).toBe(false)
  })

  it('namespaces[] and serviceAccounts[] match a pod IP without SPIFFE in Kubernetes mode, not in local mode', () => {
    const ns = only([{ namespaces: ['web'] }])
    expect(attributed(ns, { ip: '10.0.1.2' })).toBe(true)
    expect(attributed(ns, { ip: '10.0.1.2' }, 'local')).toBe(false)
    const sa = only([{ serviceAccounts: [{ namespace: 'batch', name: 'reporter' }] }])
    expect(attributed(sa, { ip: '10.0.2.1' })).toBe(true)
    expect(attributed(sa, { ip: '10.0.2.1' }, 'local')).toBe(false)
    expect(attributed(sa, { principal: spiffe('batch', 'reporter') }, 'local')).toBe(true)
  })

  it('IPv6 pods, and IPv4-mapped IPv6 sources finding IPv4 pods', () => {
    const s = only([{ namespaceSelector: { matchLabels: { tier: 'frontend' } } }])
    expect(attributed(s, { ip: 'fd00:0:0:0:0:0:0:1' })).toBe(true)
    expect(attributed(s, { ip: '::ffff:10.0.1.2' })).toBe(true)
  })

  it('an IPv4-compatible source (::a.b.c.d) is IPv6: it finds no IPv4 pod and no IPv4 ipBlock', () => {
    const s = only([{ namespaceSelector: { matchLabels: { tier: 'frontend' } } }])
    expect(attributed(s, { ip: '::10.0.1.2' })).toBe(false)
    const block = only([{ ipBlocks: [{ cidr: '10.0.0.0/16' }] }])
    expect(attributed(block, { ip: '::ffff:10.0.1.2' })).toBe(true)
    expect(attributed(block, { ip: '::10.0.1.2' })).toBe(false)
  })

  it('a foreign-trust-domain or malformed principal names no namespace, and the pod IP does not stand in', () => {
    const ns = only([{ namespaces: ['web'] }])
    expect(attributed(ns, { principal: spiffe('web', 'ui') })).toBe(true)
    for (const principal of [
      'spiffe://other.example/ns/web/sa/ui',
      'spiffe://evil@cluster.local/ns/web/sa/ui',
      'spiffe://cluster.local:443/ns/web/sa/ui',
      'spiffe://cluster.local/ns/web/sa/ui?x=1',
      'spiffe://cluster.local/ns/web/sa/ui#f',
      'spiffe://cluster.local/ns/web/sa/ui/',
      'SPIFFE://cluster.local/ns/web/sa/ui',
      'spiffe://Cluster.Local/ns/web/sa/ui',
      'spiffe://cluster.local/ns/%77eb/sa/ui',
      'spiffe://cluster.local/ns/x/../web/sa/ui',
    ]) {
      expect(attributed(ns, { principal }), principal).toBe(false)
      // 10.0.1.2 is web/ui's pod: with a principal that identifies nothing, it proves nothing.
      expect(attributed(ns, { principal, ip: '10.0.1.2' }), principal).toBe(false)
    }
    // Without any principal the pod IP still attributes (Kubernetes mode).
    expect(attributed(ns, { ip: '10.0.1.2' })).toBe(true)
  })

  it('in local mode (no directory) a selector entry admits nobody and compile warns; Kubernetes mode does not warn', () => {
    const local = compileEndpoint([{ namespaceSelector: {} }])
    expect(local.warnings).toEqual([
      expect.stringContaining('spec.sources[0] uses label selectors'),
    ])
    const s = sourcesOf(local)[0]
    if (s === undefined) throw new Error('no source')
    expect(attributed(s, { ip: '10.0.1.2' }, 'local')).toBe(false)
    expect(attributed(s, { principal: spiffe('web', 'ui') }, 'local')).toBe(false)
    expect(compileEndpoint([{ namespaceSelector: {} }], DIR).warnings).toEqual([])
  })

  it('an invalid selector is a compile error on the PrivateEndpoint (and its API), with the field path', () => {
    const r = compileEndpoint(
      [
        { ipBlocks: [{ cidr: '10.0.0.0/8' }] },
        { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } },
      ],
      DIR,
    )
    expect(r.errors.map((e) => `${e.ref.kind}/${e.ref.name}: ${e.path}`)).toEqual([
      'PrivateEndpoint/frontend: spec.sources[1].podSelector.matchExpressions[0].values',
      'RestApi/inventory: spec.endpointConfiguration.vpcEndpointIds[0]',
    ])
    expect(r.snapshot.apisByRef.has('shop/inventory')).toBe(false)
  })

  it('entries are OR-ed: a caller matching any entry is attributed', () => {
    const r = compileEndpoint(
      [
        { podSelector: { matchLabels: { app: 'nope' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } },
      ],
      DIR,
    )
    const sources = sourcesOf(r)
    const who = resolveSourceIdentity(undefined, parseIp('10.0.2.1'), DIR)
    expect(sources.some((s) => sourceMatches(s, who))).toBe(true)
    const other = resolveSourceIdentity(undefined, parseIp('10.0.0.2'), DIR)
    expect(sources.some((s) => sourceMatches(s, other))).toBe(false)
  })
})
