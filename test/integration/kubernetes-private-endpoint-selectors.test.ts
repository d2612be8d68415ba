/**
 * PrivateEndpoint `namespaceSelector` / `podSelector` sources in Kubernetes mode against a REAL
 * kube-apiserver (+ etcd) on loopback, decisions over gRPC with Envoy's official protos. There is no
 * kubelet, so pods never run: the test sets their IPs through the `pods/status` subresource, exactly
 * the field a kubelet writes. Proves: Portcullis watches Pods and Namespaces only once a
 * PrivateEndpoint needs them; a request from a selected pod's IP is attributed to the endpoint (the
 * resource policy admits only `aws:SourceVpce = checkout`) and allowed, while another IP, a pod with
 * other labels, or the same labels in an unselected namespace is denied; pod and namespace label
 * edits, a new pod getting its IP, and a pod deletion change decisions within seconds without a
 * restart; a SPIFFE principal of a selected namespace is attributed through the namespace labels;
 * the generated NetworkPolicy carries the same selectors as a peer; and with no such endpoint left
 * the watch stops. The API server enforces RBAC and Portcullis runs with a token of the chart's own
 * ServiceAccount under the chart's own RBAC (`helm template`), as its pod would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app/app.js'
import { buildCheckRequest, type OfficialCheckClient } from '../helpers/envoy-client.js'
import type { KubeApiServer } from '../helpers/kube-apiserver.js'
import { boundService, getIfExists, startKubernetesModeApp } from '../helpers/kubernetes-app.js'
import { answer } from '../helpers/portcullis-app.js'

const CRD = '/apis/portcullis.dev/v1alpha1/namespaces'
const HOST = 'inventory.shop.internal'

let kube: KubeApiServer
let app: RunningApp
let client: OfficialCheckClient
let stop: (() => Promise<void>) | undefined

async function request(
  method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  return kube.client.request({
    method,
    path,
    ...(body === undefined ? {} : { body }),
    ...(method === 'PATCH' ? { contentType: 'application/merge-patch+json' } : {}),
  })
}

/** Polls until `fn` holds; the deadline only bounds a broken watch, it is not the assertion. */
async function eventually(
  what: string,
  fn: () => Promise<boolean>,
  withinMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function namespace(name: string, labels: Record<string, string>): Promise<void> {
  await request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  })
  // No controller-manager here: the service accounts pods run as must be created by hand.
  for (const sa of ['default', 'checkout']) {
    await request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: name },
    })
  }
}

/** A pod "scheduled" to a node that does not exist, then given an IP the way a kubelet would. */
async function pod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  ip: string | undefined,
): Promise<void> {
  await request('POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: 'node-1',
      serviceAccountName: 'checkout',
      automountServiceAccountToken: false,
      containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
    },
  })
  if (ip !== undefined) await setPodIp(ns, name, ip)
}

async function setPodIp(ns: string, name: string, ip: string): Promise<void> {
  await request('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, {
    status: { phase: 'Running', hostIP: '192.168.50.1', podIP: ip, podIPs: [{ ip }] },
  })
}

async function getItems(sourceIp: string, sourcePrincipal?: string): Promise<number> {
  const a = answer(
    await client.check(
      buildCheckRequest({
        method: 'GET',
        path: '/items',
        host: HOST,
        sourceIp,
        ...(sourcePrincipal === undefined ? {} : { sourcePrincipal }),
      }),
    ),
  )
  return a.http
}

const PRIVATE_API = {
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'RestApi',
  metadata: { name: 'inventory', namespace: 'shop' },
  spec: {
    accountId: '111122223333',
    region: 'us-east-1',
    hosts: [HOST],
    endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['checkout'] },
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          // Allowed only when attributed to the `checkout` PrivateEndpoint.
          Condition: { StringEquals: { 'aws:SourceVpce': 'checkout' } },
        },
      ],
    },
    routes: [{ path: '/items', methods: ['GET'], authorizationType: 'NONE' }],
  },
}

const ENDPOINT = {
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'PrivateEndpoint',
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    sources: [
      {
        namespaceSelector: { matchLabels: { team: 'shop' } },
        podSelector: { matchLabels: { app: 'checkout' } },
      },
    ],
  },
}

beforeAll(async () => {
  // Portcullis runs as the chart's ServiceAccount under the chart's RBAC, with RBAC enforced.
  ;({ kube, app, client, stop } = await startKubernetesModeApp({
    seed: async (k) => {
      kube = k // request() writes through it
      await namespace('shop', { team: 'shop' })
      await namespace('web', { team: 'shop' })
      await namespace('other', { team: 'elsewhere' })
      await namespace('portcullis-system', {})
      await pod('web', 'checkout-1', { app: 'checkout' }, '10.244.1.7')
      await pod('web', 'ui-1', { app: 'ui' }, '10.244.1.8')
      await pod('other', 'checkout-2', { app: 'checkout' }, '10.244.2.7')
      // A REGIONAL API only, to begin with: nothing needs pod identities.
      await request('POST', `${CRD}/shop/restapis`, {
        ...PRIVATE_API,
        metadata: { name: 'public', namespace: 'shop' },
        spec: {
          hosts: ['public.shop.internal'],
          routes: [{ path: '/x', methods: ['GET'], authorizationType: 'NONE' }],
        },
      })
    },
    kubernetes: { networkPolicies: true },
  }))
}, 180_000)

afterAll(() => stop?.(), 60_000)

describe('PrivateEndpoint label selectors in Kubernetes mode (real kube-apiserver)', () => {
  it('does not watch Pods or Namespaces while no PrivateEndpoint needs them', () => {
    expect(app.kubernetes?.workloads.running).toBe(false)
  })

  it('a PRIVATE API with a selector endpoint: the selected pod is allowed, everyone else denied', async () => {
    await request('POST', `${CRD}/shop/privateendpoints`, ENDPOINT)
    await request('POST', `${CRD}/shop/restapis`, PRIVATE_API)
    await eventually('selected pod allowed', async () => (await getItems('10.244.1.7')) === 200)
    expect(app.kubernetes?.workloads.running).toBe(true)
    expect(app.kubernetes?.workloads.index.stats()).toMatchObject({ pods: 3, ambiguousIps: 0 })
    expect(await getItems('10.244.1.8')).toBe(403) // web/ui-1: other labels
    expect(await getItems('10.244.2.7')).toBe(403) // other/checkout-2: namespace not selected
    expect(await getItems('10.99.0.1')).toBe(403) // no pod
    // Denied as AWS denies a private API call from outside its endpoints.
    const denied = answer(
      await client.check(
        buildCheckRequest({ method: 'GET', path: '/items', host: HOST, sourceIp: '10.99.0.1' }),
      ),
    )
    expect(denied.body).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:inventory/prod/GET/items',
    })
  })

  it('a pod label edit takes effect without a restart (and back)', async () => {
    const path = '/api/v1/namespaces/web/pods/checkout-1'
    await request('PATCH', path, { metadata: { labels: { app: 'cart' } } })
    await eventually('relabelled pod denied', async () => (await getItems('10.244.1.7')) === 403)
    await request('PATCH', path, { metadata: { labels: { app: 'checkout' } } })
    await eventually('pod allowed again', async () => (await getItems('10.244.1.7')) === 200)
  })

  it('a namespace label edit takes effect without a restart: selecting a namespace admits its pods', async () => {
    await request('PATCH', '/api/v1/namespaces/other', { metadata: { labels: { team: 'shop' } } })
    await eventually('other/checkout-2 allowed', async () => (await getItems('10.244.2.7')) === 200)
    await request('PATCH', '/api/v1/namespaces/web', { metadata: { labels: { team: null } } })
    await eventually('web/checkout-1 denied', async () => (await getItems('10.244.1.7')) === 403)
    await request('PATCH', '/api/v1/namespaces/web', { metadata: { labels: { team: 'shop' } } })
    await request('PATCH', '/api/v1/namespaces/other', {
      metadata: { labels: { team: 'elsewhere' } },
    })
    await eventually(
      'web/checkout-1 allowed again',
      async () => (await getItems('10.244.1.7')) === 200,
    )
    await eventually(
      'other/checkout-2 denied again',
      async () => (await getItems('10.244.2.7')) === 403,
    )
  })

  it('a new pod is admitted once it gets its IP; a deleted pod no longer is', async () => {
    await pod('web', 'checkout-3', { app: 'checkout' }, undefined)
    expect(await getItems('10.244.1.9')).toBe(403)
    await setPodIp('web', 'checkout-3', '10.244.1.9')
    await eventually('new pod allowed', async () => (await getItems('10.244.1.9')) === 200)
    await request('DELETE', '/api/v1/namespaces/web/pods/checkout-3?gracePeriodSeconds=0')
    await eventually('deleted pod denied', async () => (await getItems('10.244.1.9')) === 403)
  })

  it('a SPIFFE principal is attributed through its namespace labels; a podSelector still needs the pod', async () => {
    // The endpoint also admits any workload of a team=shop namespace by mTLS identity.
    await request('PATCH', `${CRD}/shop/privateendpoints/checkout`, {
      spec: {
        sources: [
          ...ENDPOINT.spec.sources,
          { namespaceSelector: { matchLabels: { team: 'shop' } } },
        ],
      },
    })
    const web = 'spiffe://cluster.local/ns/web/sa/reporter'
    await eventually(
      'SPIFFE of web allowed',
      async () => (await getItems('10.99.0.2', web)) === 200,
    )
    expect(await getItems('10.99.0.2', 'spiffe://cluster.local/ns/other/sa/reporter')).toBe(403)
    await request('PATCH', `${CRD}/shop/privateendpoints/checkout`, { spec: ENDPOINT.spec })
    await eventually(
      'SPIFFE of web denied again',
      async () => (await getItems('10.99.0.2', web)) === 403,
    )
    // The pod's own identity (same namespace and service account) with its IP still matches.
    expect(await getItems('10.244.1.7', 'spiffe://cluster.local/ns/web/sa/checkout')).toBe(200)
    // An IP whose pod disagrees with the authenticated principal proves nothing.
    expect(await getItems('10.244.1.7', 'spiffe://cluster.local/ns/web/sa/default')).toBe(403)
  })

  it('the generated NetworkPolicy admits the same selectors as one peer', async () => {
    await request('POST', '/api/v1/namespaces/shop/services', boundService('shop', 'inventory'))
    const npPath = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/portcullis-inventory'
    let np: Record<string, unknown> | undefined
    await eventually('NetworkPolicy', async () => {
      np = await getIfExists(kube, npPath)
      return np !== undefined
    })
    const spec = np?.['spec'] as { ingress: { from: unknown[] }[] }
    expect(spec.ingress[0]?.from).toEqual([
      {
        namespaceSelector: { matchLabels: { team: 'shop' } },
        podSelector: { matchLabels: { app: 'checkout' } },
      },
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['portcullis-system'] },
          ],
        },
      },
    ])
  })

  it('with no PrivateEndpoint needing pod identities left, the Pod/Namespace watch stops', async () => {
    await request('DELETE', `${CRD}/shop/restapis/inventory`)
    await request('DELETE', `${CRD}/shop/privateendpoints/checkout`)
    await eventually('watch stopped', () =>
      Promise.resolve(app.kubernetes?.workloads.running === false),
    )
    expect(app.kubernetes?.workloads.index.stats()).toEqual({
      pods: 0,
      ips: 0,
      ambiguousIps: 0,
      namespaces: 0,
    })
  })
})
