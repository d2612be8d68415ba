/**
 * The NetworkPolicy builder: exact manifests for an endpoint using every source kind, what is left
 * out fail-closed (service accounts, ipBlocks mixed with selectors, selector-less Services), and a
 * property that no generated policy ever admits "from anywhere".
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseManifestObject, type LoadedObject } from '../sources/manifest.js'
import { buildNetworkPolicies, type NetworkPolicyBuilderOptions } from './network-policy-builder.js'

function load(raw: unknown): LoadedObject {
  const r = parseManifestObject(raw, 'test')
  if (r.status !== 'loaded') throw new Error(`fixture invalid: ${JSON.stringify(r)}`)
  return r.object
}

const restApi = (name: string, endpoint: Record<string, unknown>, ns = 'shop') =>
  load({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'RestApi',
    metadata: { name, namespace: ns },
    spec: {
      endpointConfiguration: endpoint,
      routes: [{ path: '/pets', methods: ['GET'], authorizationType: 'NONE' }],
    },
  })

const endpoint = (name: string, sources: unknown[], ns = 'shop') =>
  load({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'PrivateEndpoint',
    metadata: { name, namespace: ns },
    spec: { sources },
  })

const service = (
  name: string,
  api: string,
  spec: Record<string, unknown> = {
    selector: { app: name },
    ports: [{ port: 80, targetPort: 8080 }],
  },
  extra: { uid?: string; ns?: string } = {},
) =>
  load({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: extra.ns ?? 'shop',
      annotations: { 'portcullis.dev/rest-api': api },
      ...(extra.uid ? { uid: extra.uid } : {}),
    },
    spec,
  })

const GW: NetworkPolicyBuilderOptions = { gatewayNamespaces: ['portcullis-system'] }
const gatewayPeer = {
  namespaceSelector: {
    matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['portcullis-system'] },
    ],
  },
}

describe('buildNetworkPolicies', () => {
  it('renders an endpoint with every source kind exactly: namespaces, selectors, ipBlocks, gateway; SA source left out with a note', () => {
    const objs = [
      restApi('petstore', { type: 'PRIVATE', vpcEndpointIds: ['frontend'] }),
      endpoint('frontend', [
        { namespaces: ['web'] },
        { serviceAccounts: [{ namespace: 'batch', name: 'reporter' }] },
        {
          namespaceSelector: { matchLabels: { team: 'shop' } },
          podSelector: { matchLabels: { app: 'checkout' } },
        },
        { ipBlocks: [{ cidr: '10.20.0.0/16', except: ['10.20.9.0/24'] }] },
      ]),
      service('petstore', 'petstore', undefined, { uid: 'uid-1' }),
    ]
    const r = buildNetworkPolicies(objs, GW)
    expect(r.policies).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'portcullis-petstore',
          namespace: 'shop',
          labels: { 'app.kubernetes.io/managed-by': 'portcullis' },
          annotations: { 'portcullis.dev/rest-api': 'shop/petstore' },
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              name: 'petstore',
              uid: 'uid-1',
              controller: true,
              blockOwnerDeletion: false,
            },
          ],
        },
        spec: {
          podSelector: { matchLabels: { app: 'petstore' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchExpressions: [
                      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['web'] },
                    ],
                  },
                },
                {
                  namespaceSelector: { matchLabels: { team: 'shop' } },
                  podSelector: { matchLabels: { app: 'checkout' } },
                },
                { ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.9.0/24'] } },
                gatewayPeer,
              ],
              ports: [{ protocol: 'TCP', port: 8080 }],
            },
          ],
        },
      },
    ])
    expect(r.notes).toEqual([
      {
        ref: { kind: 'PrivateEndpoint', namespace: 'shop', name: 'frontend' },
        path: 'spec.sources[1]',
        message: expect.stringContaining('serviceAccounts cannot be expressed') as unknown,
      },
    ])
  })

  it('makes nothing for a REGIONAL API, an unbound Service, or a missing RestApi', () => {
    const r = buildNetworkPolicies(
      [
        restApi('public', { type: 'REGIONAL' }),
        service('public', 'public'),
        service('ghost', 'does-not-exist'),
      ],
      GW,
    )
    expect(r.policies).toEqual([])
  })

  it('refuses a Service without a selector (an empty podSelector would isolate the whole namespace)', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['web'] }]),
        service('external', 'p', { ports: [{ port: 80 }] }),
        service('empty', 'p', { selector: {} }),
      ],
      GW,
    )
    expect(r.policies).toEqual([])
    expect(r.notes.map((n) => `${n.ref.name}:${n.path}`)).toEqual([
      'empty:spec.selector',
      'external:spec.selector',
    ])
  })

  it('with nothing admissible and no gateway namespaces, denies all ingress (ingress: []), never `from: []`', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ serviceAccounts: [{ namespace: 'batch', name: 'r' }] }]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies).toHaveLength(1)
    expect(r.policies[0]?.spec.ingress).toEqual([])
    expect(r.policies[0]?.spec.policyTypes).toEqual(['Ingress'])
  })

  it("serviceAccountSources 'namespace' widens an SA entry to its namespaces, ANDed with namespaces", () => {
    const objs = [
      restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
      endpoint('e', [
        {
          serviceAccounts: [
            { namespace: 'batch', name: 'a' },
            { namespace: 'jobs', name: 'b' },
            { namespace: 'batch', name: 'c' },
          ],
        },
        { namespaces: ['jobs', 'web'], serviceAccounts: [{ namespace: 'jobs', name: 'x' }] },
        { namespaces: ['web'], serviceAccounts: [{ namespace: 'batch', name: 'y' }] },
      ]),
      service('svc', 'p'),
    ]
    const r = buildNetworkPolicies(objs, {
      gatewayNamespaces: [],
      serviceAccountSources: 'namespace',
    })
    const from = r.policies[0]?.spec.ingress[0]?.from
    expect(from).toEqual([
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['batch', 'jobs'] },
          ],
        },
      },
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['jobs'] },
          ],
        },
      },
    ])
    // The third entry (web AND batch) admits no namespace at all.
    expect(r.notes.map((n) => n.path)).toEqual(['spec.sources[2]'])
  })

  it('leaves out ipBlocks combined with selectors (not expressible as one peer), keeps the rest', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [
          { namespaces: ['web'], ipBlocks: [{ cidr: '10.0.0.0/8' }] },
          { ipBlocks: [{ cidr: '192.168.1.0/24' }, { cidr: 'fd00::/64' }] },
        ]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toEqual([
      { ipBlock: { cidr: '192.168.1.0/24' } },
      { ipBlock: { cidr: 'fd00::/64' } },
    ])
    expect(r.notes).toHaveLength(1)
    expect(r.notes[0]?.message).toContain('ipBlocks combined with other fields')
  })

  it("a bare podSelector admits those pods of the PrivateEndpoint's own namespace (NetworkPolicy peer semantics)", () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ podSelector: { matchLabels: { role: 'client' } } }]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toEqual([
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] },
          ],
        },
        podSelector: { matchLabels: { role: 'client' } },
      },
    ])
    expect(r.notes).toEqual([])
  })

  it('a bare namespaceSelector admits every pod of those namespaces; an empty one {} every namespace', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [
          { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } },
          { namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } },
        ]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toEqual([
      { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } },
      { namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } },
    ])
  })

  it('namespaces scope a podSelector instead of the endpoint namespace', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['web'], podSelector: { matchLabels: { app: 'ui' } } }]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toEqual([
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['web'] },
          ],
        },
        podSelector: { matchLabels: { app: 'ui' } },
      },
    ])
  })

  it('namespaces AND namespaceSelector become one selector (names requirement plus the labels)', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [
          {
            namespaces: ['web', 'api', 'web'],
            namespaceSelector: {
              matchLabels: { env: 'prod' },
              matchExpressions: [{ key: 'tier', operator: 'Exists' }],
            },
          },
        ]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toEqual([
      {
        namespaceSelector: {
          matchLabels: { env: 'prod' },
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['api', 'web'] },
            { key: 'tier', operator: 'Exists' },
          ],
        },
      },
    ])
  })

  it('a missing PrivateEndpoint is noted and admits nothing; the other endpoints and the gateway still do', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['gone', 'e'] }),
        endpoint('e', [{ namespaces: ['web'] }]),
        service('svc', 'p'),
      ],
      GW,
    )
    expect(r.policies[0]?.spec.ingress[0]?.from).toHaveLength(2)
    expect(r.notes).toEqual([
      {
        ref: { kind: 'RestApi', namespace: 'shop', name: 'p' },
        path: 'spec.endpointConfiguration.vpcEndpointIds[0]',
        message: expect.stringContaining('not found') as unknown,
      },
    ])
  })

  it('uses only PrivateEndpoints of the API namespace', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['evil'] }], 'other'),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: [] },
    )
    expect(r.policies[0]?.spec.ingress).toEqual([])
  })

  it('one policy per bound Service, sorted, in the Service namespace; no ownerReference without a uid', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['web'] }]),
        service('zeta', 'p'),
        service('alpha', 'shop/p', undefined, { uid: 'u-a' }),
      ],
      GW,
    )
    expect(r.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'shop/portcullis-alpha',
      'shop/portcullis-zeta',
    ])
    expect(r.policies[0]?.metadata.ownerReferences?.[0]?.uid).toBe('u-a')
    expect(r.policies[1]?.metadata.ownerReferences).toBeUndefined()
  })

  it('ports: targetPort (numbers and names) with protocol, de-duplicated; none given → all ports', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['web'] }]),
        service('a', 'p', {
          selector: { app: 'a' },
          ports: [
            { name: 'http', port: 80, targetPort: 'http' },
            { name: 'alt', port: 81, targetPort: 'http' },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
        service('b', 'p', { selector: { app: 'b' } }),
      ],
      GW,
    )
    expect(r.policies[0]?.spec.ingress[0]?.ports).toEqual([
      { protocol: 'TCP', port: 'http' },
      { protocol: 'UDP', port: 53 },
    ])
    expect(r.policies[1]?.spec.ingress[0]).not.toHaveProperty('ports')
  })

  it('gatewayPodSelector narrows the gateway peer to those pods', () => {
    const r = buildNetworkPolicies(
      [
        restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
        endpoint('e', [{ namespaces: ['web'] }]),
        service('svc', 'p'),
      ],
      { gatewayNamespaces: ['gw', 'gw'], gatewayPodSelector: { matchLabels: { app: 'envoy' } } },
    )
    expect(r.policies[0]?.spec.ingress[0]?.from.at(-1)).toEqual({
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['gw'] }],
      },
      podSelector: { matchLabels: { app: 'envoy' } },
    })
  })

  it('property: every policy isolates (policyTypes Ingress, non-empty podSelector) and no rule has an empty `from`', () => {
    const ns = fc.constantFrom('web', 'api', 'batch')
    const source = fc.record(
      {
        namespaces: fc.array(ns, { maxLength: 3 }),
        serviceAccounts: fc.array(fc.record({ namespace: ns, name: fc.constant('sa') }), {
          maxLength: 2,
        }),
        podSelector: fc.constant({ matchLabels: { app: 'x' } }),
        ipBlocks: fc.array(fc.constant({ cidr: '10.0.0.0/8' }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(
        fc.array(source, { minLength: 1, maxLength: 5 }),
        fc.array(ns, { maxLength: 2 }),
        fc.constantFrom<'skip' | 'namespace'>('skip', 'namespace'),
        (sources, gateways, mode) => {
          const withField = sources.map((s) =>
            Object.keys(s).length === 0 ? { namespaces: ['web'] } : s,
          )
          const r = buildNetworkPolicies(
            [
              restApi('p', { type: 'PRIVATE', vpcEndpointIds: ['e'] }),
              endpoint('e', withField),
              service('svc', 'p'),
            ],
            { gatewayNamespaces: gateways, serviceAccountSources: mode },
          )
          expect(r.policies).toHaveLength(1)
          const p = r.policies[0]!
          expect(p.spec.policyTypes).toEqual(['Ingress'])
          expect(Object.keys(p.spec.podSelector.matchLabels).length).toBeGreaterThan(0)
          for (const rule of p.spec.ingress) expect(rule.from.length).toBeGreaterThan(0)
          // An SA-only entry never admits anything in skip mode.
          if (
            mode === 'skip' &&
            gateways.length === 0 &&
            withField.every((s) => 'serviceAccounts' in s)
          )
            expect(p.spec.ingress).toEqual([])
        },
      ),
      { numRuns: 300 },
    )
  })
})
