/**
 * Kubernetes mode against a REAL kube-apiserver (+ etcd) on loopback: the quick start applied as
 * custom resources, Secrets and a Service through the API; decisions over gRPC with Envoy's official
 * protos change within seconds of an edit; an invalid object gets `Ready=False` with the compile
 * error while the rest serves; a PRIVATE API bound to a Service gets a NetworkPolicy (owned by the
 * Service, pruned when no longer wanted); the leader Lease is held and released; Secret values never
 * reach the logs; and `portcullis serve --kubernetes` reads PORTCULLIS_WATCH_NAMESPACES.
 * The API server enforces RBAC, and Portcullis runs with a token of the chart's own ServiceAccount
 * bound by the chart's own RBAC (`helm template`), as its pod would: a permission missing from the
 * chart fails these tests. The test's own client keeps admin rights.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { parseAllDocuments } from 'yaml'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { LeaderLease } from '../../src/controller/leader-lease.js'
import { createLogger } from '../../src/observability/logger.js'
import { isPortcullisKind, KIND_INFO } from '../../src/api/v1alpha1/kinds.js'
import type { KubeClient } from '../../src/sources/kubernetes-client.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import {
  installChartRbac,
  type ChartServiceAccount,
  type KubeApiServer,
} from '../helpers/kube-apiserver.js'
import {
  boundService,
  getIfExists,
  PORTCULLIS_NS,
  startKubernetesModeApp,
} from '../helpers/kubernetes-app.js'
import { answer } from '../helpers/portcullis-app.js'
import { ALICE, signWithSdk } from '../helpers/sign-request.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'

const CRD_BASE = '/apis/portcullis.dev/v1alpha1/namespaces'

let kube: KubeApiServer
/** The chart's ServiceAccount (release `rel`, all namespaces): what the pods run as. */
let sa: ChartServiceAccount
let app: RunningApp
let client: OfficialCheckClient
let stop: (() => Promise<void>) | undefined
const logLines: string[] = []

function collectionPath(obj: {
  apiVersion: string
  kind: string
  metadata: { namespace: string }
}) {
  const ns = obj.metadata.namespace
  if (obj.apiVersion === 'v1') return `/api/v1/namespaces/${ns}/${obj.kind.toLowerCase()}s`
  if (!isPortcullisKind(obj.kind)) throw new Error(`not a Portcullis kind: ${obj.kind}`)
  const plural = KIND_INFO[obj.kind].plural
  return `${CRD_BASE}/${ns}/${plural}`
}

type Obj = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string } & Record<string, unknown>
} & Record<string, unknown>

async function create(obj: Obj): Promise<Record<string, unknown>> {
  return kube.client.request({ method: 'POST', path: collectionPath(obj), body: obj })
}

const get = (path: string) => getIfExists(kube, path)

async function mergePatch(path: string, body: unknown): Promise<Record<string, unknown>> {
  return kube.client.request({
    method: 'PATCH',
    path,
    body,
    contentType: 'application/merge-patch+json',
  })
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  withinMs = 10_000,
): Promise<{ value: T }> {
  // The deadline only bounds a broken watch; how fast a change lands is not asserted here.
  const deadline = Date.now() + withinMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return { value: v }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${PORTCULLIS_NS}/leases/portcullis-leader`

/** Counts lease reads through `client`: one per acquire/renew attempt of a candidate using it. */
function countLeaseReads(client: KubeClient): () => number {
  const spy = vi.spyOn(client, 'request')
  return () => spy.mock.calls.filter(([r]) => r.method === 'GET' && r.path === LEASE_PATH).length
}

const check = async (input: Parameters<typeof buildCheckRequest>[0]) =>
  answer(await client.check(buildCheckRequest(input)))

const getPets = () => check({ method: 'GET', path: '/pets', host: 'petstore.example.com' })

async function alicePut(): Promise<number> {
  const headers = await signWithSdk({
    method: 'PUT',
    host: 'petstore.example.com',
    path: '/pets/7',
    ...ALICE,
  })
  return (await check({ method: 'PUT', path: '/pets/7', host: 'petstore.example.com', headers }))
    .http
}

function readyCondition(obj: Record<string, unknown> | undefined) {
  const status = obj?.['status'] as
    { observedGeneration?: number; conditions?: Record<string, unknown>[] } | undefined
  return {
    observedGeneration: status?.observedGeneration,
    ready: status?.conditions?.find((c) => c['type'] === 'Ready'),
  }
}

beforeAll(async () => {
  ;({ kube, sa, app, client, stop } = await startKubernetesModeApp({
    namespaces: ['shop', 'web', PORTCULLIS_NS],
    seed: async (k) => {
      for (const file of ['petstore.yaml', 'identities.yaml', 'private.yaml']) {
        const text = await readFile(
          new URL(`../../examples/quickstart/${file}`, import.meta.url),
          'utf8',
        )
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJS() as Obj | null
          if (obj) await k.client.request({ method: 'POST', path: collectionPath(obj), body: obj })
        }
      }
    },
    kubernetes: { networkPolicies: true },
    logLines,
    // Readiness is asserted by a test below.
    waitReady: false,
  }))
}, 180_000)

afterAll(() => stop?.(), 60_000)

describe('Kubernetes mode against a real kube-apiserver', () => {
  it("the API server enforces RBAC: the chart's ServiceAccount reads configuration but may not write it", async () => {
    const list = await sa.client.request({
      method: 'GET',
      path: '/apis/portcullis.dev/v1alpha1/restapis',
    })
    expect(Array.isArray(list['items'])).toBe(true)
    await expect(
      sa.client.request({
        method: 'POST',
        path: '/apis/portcullis.dev/v1alpha1/namespaces/shop/restapis',
        body: {
          apiVersion: 'portcullis.dev/v1alpha1',
          kind: 'RestApi',
          metadata: { name: 'not-allowed', namespace: 'shop' },
          spec: { hosts: ['x.example.com'], routes: [] },
        },
      }),
    ).rejects.toMatchObject({ status: 403 })
    await expect(
      sa.client.request({ method: 'DELETE', path: '/api/v1/namespaces/shop' }),
    ).rejects.toMatchObject({ status: 403 })
  })

  it('becomes ready once every initial list is done, and serves the quick start from the API server', async () => {
    await eventually(
      '/readyz 200',
      async () => (await fetch(`http://127.0.0.1:${app.metricsPort}/readyz`)).status === 200,
      30_000,
    )
    expect(app.kubernetes?.source.ready()).toBe(true)
    expect((await getPets()).http).toBe(200)
    // The resource policy's office-only Deny, from outside 10.0.0.0/8.
    expect(
      (
        await check({
          method: 'GET',
          path: '/admin/x',
          host: 'petstore.example.com',
          sourceIp: '192.0.2.1',
        })
      ).http,
    ).toBe(403)
    // AWS_IAM: alice's key came from a v1 Secret (stringData → data base64 → decoded).
    expect(await alicePut()).toBe(200)
    expect(
      (await check({ method: 'PUT', path: '/pets/7', host: 'petstore.example.com' })).http,
    ).toBe(403)
  })

  it('an edit through the API server changes decisions within seconds', async () => {
    const path = `${CRD_BASE}/shop/restapis/petstore`
    const before = await get(path)
    const policy = (before?.['spec'] as { policy: { Statement: { Sid?: string }[] } }).policy
    await mergePatch(path, {
      spec: {
        policy: { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== 'PublicInvoke') },
      },
    })
    await eventually('GET /pets denied', async () => (await getPets()).http === 403)
    await mergePatch(path, { spec: { policy } })
    await eventually('GET /pets allowed again', async () => (await getPets()).http === 200)
  })

  it('deleting the Secret revokes the access key; recreating it restores access', async () => {
    await kube.client.request({
      method: 'DELETE',
      path: '/api/v1/namespaces/shop/secrets/alice-keys',
    })
    await eventually('alice denied', async () => (await alicePut()) === 403)
    await create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alice-keys', namespace: 'shop' },
      data: { secretAccessKey: Buffer.from(ALICE.secretAccessKey).toString('base64') },
    })
    await eventually('alice allowed', async () => (await alicePut()) === 200)
  })

  it('writes Ready=True/Accepted with observedGeneration on valid objects', async () => {
    const { value } = await eventually('petstore status', async () => {
      const obj = await get(`${CRD_BASE}/shop/restapis/petstore`)
      const c = readyCondition(obj)
      const gen = (obj?.['metadata'] as { generation: number }).generation
      return c.ready?.['status'] === 'True' && c.observedGeneration === gen ? { c, gen } : undefined
    })
    expect(value.c.ready).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'Accepted',
      observedGeneration: value.gen,
    })
    expect(typeof value.c.ready?.['lastTransitionTime']).toBe('string')
    for (const [plural, name] of [
      ['principals', 'alice'],
      ['policies', 'no-delete-on-weekends'],
      ['privateendpoints', 'frontend'],
      ['authorizers', 'oidc'],
    ]) {
      await eventually(
        `${plural}/${name} Ready`,
        async () =>
          readyCondition(await get(`${CRD_BASE}/shop/${plural}/${name}`)).ready?.['status'] ===
          'True',
      )
    }
  })

  it('an invalid object gets Ready=False with the reason while everything else keeps serving', async () => {
    await create({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'RestApi',
      metadata: { name: 'broken', namespace: 'shop' },
      spec: {
        hosts: ['broken.example.com'],
        routes: [
          {
            path: '/x',
            methods: ['GET'],
            authorizationType: 'CUSTOM',
            authorizerName: 'no-such-authorizer',
          },
        ],
      },
    })
    const { value: c } = await eventually('broken Ready=False', async () => {
      const c = readyCondition(await get(`${CRD_BASE}/shop/restapis/broken`))
      return c.ready?.['status'] === 'False' ? c : undefined
    })
    expect(c.ready?.['reason']).toBe('Invalid')
    expect(String(c.ready?.['message'])).toMatch(
      /spec\.routes\[0\]\.authorizerName: .*no-such-authorizer/,
    )
    expect(c.observedGeneration).toBe(1)
    expect((await check({ method: 'GET', path: '/x', host: 'broken.example.com' })).http).toBe(403)
    expect((await getPets()).http).toBe(200)
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text()
    expect(metrics).toMatch(/portcullis_config_reloads_total\{result="failure"\} [1-9]/)
    // The metrics behind the chart's PortcullisObjectsNotReady and PortcullisNoLeader alerts.
    expect(metrics).toMatch(/^portcullis_config_objects_not_ready\{kind="RestApi"\} 1$/m)
    expect(metrics).toMatch(/^portcullis_leader 1$/m)
  })

  it('a bad edit of a serving object: Ready=False/InvalidServingPrevious, and the last valid version keeps serving', async () => {
    const path = `${CRD_BASE}/shop/restapis/petstore`
    const obj = await get(path)
    const routes = (obj?.['spec'] as { routes: Record<string, unknown>[] }).routes
    const badRoutes = routes.map((r, i) =>
      i === 0 ? { ...r, authorizationType: 'CUSTOM', authorizerName: 'ghost' } : r,
    )
    const patched = await mergePatch(path, { spec: { routes: badRoutes } })
    const gen = (patched['metadata'] as { generation: number }).generation
    const { value: c } = await eventually('petstore Ready=False', async () => {
      const c = readyCondition(await get(path))
      return c.ready?.['status'] === 'False' && c.observedGeneration === gen ? c : undefined
    })
    expect(c.ready?.['reason']).toBe('InvalidServingPrevious')
    expect(String(c.ready?.['message'])).toContain('ghost')
    expect((await getPets()).http).toBe(200) // the previous version (GET /pets NONE) still serves
    await mergePatch(path, { spec: { routes } })
    await eventually(
      'petstore Ready=True again',
      async () => readyCondition(await get(path)).ready?.['status'] === 'True',
    )
  })

  it('a PRIVATE API bound to a Service gets a NetworkPolicy owned by the Service; it is pruned when no longer wanted', async () => {
    const svc = await create(boundService('shop', 'inventory'))
    const uid = (svc['metadata'] as { uid: string }).uid
    const npPath = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/portcullis-inventory'
    const { value: np } = await eventually('NetworkPolicy', () => get(npPath))
    const meta = np['metadata'] as {
      labels: Record<string, string>
      ownerReferences: { kind: string; name: string; uid: string }[]
    }
    expect(meta.labels['app.kubernetes.io/managed-by']).toBe('portcullis')
    expect(meta.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', name: 'inventory', uid }),
    ])
    expect(np['spec']).toEqual({
      podSelector: { matchLabels: { app: 'inventory' } },
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
            { ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.9.0/24'] } },
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: 'kubernetes.io/metadata.name', operator: 'In', values: [PORTCULLIS_NS] },
                ],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    })
    // The bound Service's in-cluster name now routes to the private API.
    expect(
      (
        await check({
          method: 'GET',
          path: '/items',
          host: 'inventory.shop.svc.cluster.local',
          sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/default',
        })
      ).http,
    ).toBe(200)
    expect(
      (
        await check({
          method: 'GET',
          path: '/items',
          host: 'inventory.shop.svc.cluster.local',
          sourcePrincipal: 'spiffe://cluster.local/ns/other/sa/default',
        })
      ).http,
    ).toBe(403)
    // The API becomes REGIONAL: the policy is pruned.
    await mergePatch(`${CRD_BASE}/shop/restapis/inventory`, {
      spec: { endpointConfiguration: { type: 'REGIONAL', vpcEndpointIds: null }, policy: null },
    })
    await eventually('NetworkPolicy pruned', async () => (await get(npPath)) === undefined)
    // Back to PRIVATE, then someone deletes our policy by hand: the leader's resync restores it.
    await mergePatch(`${CRD_BASE}/shop/restapis/inventory`, {
      spec: { endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['frontend'] } },
    })
    await eventually('NetworkPolicy back', () => get(npPath))
    await kube.client.request({ method: 'DELETE', path: npPath })
    await eventually('NetworkPolicy restored by resync', () => get(npPath), 10_000)
  })

  it('holds the portcullis-leader Lease; a second candidate stays follower', async () => {
    const lease = await get(LEASE_PATH)
    expect((lease?.['spec'] as { holderIdentity: string }).holderIdentity).toBe('portcullis-test-0')
    expect(app.kubernetes?.isLeader()).toBe(true)
    const contender = new LeaderLease({
      client: sa.client,
      namespace: PORTCULLIS_NS,
      identity: 'contender',
      leaseDurationSeconds: 4,
      retryIntervalMs: 200,
    })
    // Counted, not timed: after several real attempts against the held lease it is still follower.
    const attempts = countLeaseReads(sa.client)
    try {
      contender.start()
      await eventually('three contender attempts', () => Promise.resolve(attempts() >= 3))
      expect(contender.isLeader()).toBe(false)
    } finally {
      await contender.stop()
      vi.restoreAllMocks()
    }
  })

  it('never writes Secret values to the logs', () => {
    const all = logLines.join('')
    expect(all).toContain('configuration loaded') // the log was captured at debug level
    expect(all).not.toContain(ALICE.secretAccessKey)
    expect(all).not.toContain(Buffer.from(ALICE.secretAccessKey).toString('base64'))
  })

  it('`portcullis serve --kubernetes` with PORTCULLIS_WATCH_NAMESPACES: ready, serves those namespaces only', async () => {
    // An API outside the watched namespaces: the in-process app (all namespaces) serves it, the CLI must not.
    await create({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'RestApi',
      metadata: { name: 'elsewhere', namespace: 'default' },
      spec: {
        hosts: ['elsewhere.example.com'],
        policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: '*',
              Action: 'execute-api:Invoke',
              Resource: 'execute-api:/*',
            },
          ],
        },
        routes: [{ path: '/x', methods: ['GET'], authorizationType: 'NONE' }],
      },
    })
    const elsewhere = buildCheckRequest({
      method: 'GET',
      path: '/x',
      host: 'elsewhere.example.com',
    })
    await eventually(
      'in-process app serves default/elsewhere',
      async () => answer(await client.check(elsewhere)).http === 200,
    )
    // The CLI runs as a second release installed with watch.namespaces: one Role per watched
    // namespace instead of cluster-wide read of Secrets and Portcullis objects.
    const cliSa = await installChartRbac(kube, {
      release: 'cli',
      namespace: PORTCULLIS_NS,
      set: ['watch.namespaces={shop,web}', 'networkPolicies.enabled=false'],
    })
    await expect(
      cliSa.client.request({ method: 'GET', path: '/api/v1/namespaces/default/secrets' }),
    ).rejects.toMatchObject({ status: 403 })
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        'serve',
        '--kubernetes',
        '--grpc-port',
        '0',
        '--http-port',
        '0',
        '--metrics-port',
        '0',
        '--bind-address',
        '127.0.0.1',
        '--account-id',
        '111122223333',
        '--log-level',
        'info',
      ],
      {
        cwd: new URL('../..', import.meta.url),
        env: {
          ...process.env,
          KUBECONFIG: cliSa.kubeconfigPath,
          PORTCULLIS_WATCH_NAMESPACES: 'shop,web',
          PORTCULLIS_NETWORK_POLICIES: 'false',
          POD_NAME: 'cli-0',
          POD_NAMESPACE: PORTCULLIS_NS,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')))
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')))
    try {
      const { value: ports } = await eventually(
        'serving log line',
        () => {
          const m = /gRPC ext_authz on :(\d+), HTTP auth on :\d+, metrics on :(\d+)/.exec(out)
          return Promise.resolve(m ? { grpc: Number(m[1]), metrics: Number(m[2]) } : undefined)
        },
        30_000,
      )
      await eventually(
        'CLI /readyz',
        async () => (await fetch(`http://127.0.0.1:${ports.metrics}/readyz`)).status === 200,
        30_000,
      )
      expect(out).toContain('"namespaces":["shop","web"]')
      const c2 = createOfficialCheckClient(`127.0.0.1:${ports.grpc}`)
      try {
        expect(
          answer(
            await c2.check(
              buildCheckRequest({ method: 'GET', path: '/pets', host: 'petstore.example.com' }),
            ),
          ).http,
        ).toBe(200)
        expect(answer(await c2.check(elsewhere)).http).toBe(403)
      } finally {
        c2.close()
      }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  }, 90_000)

  it('on shutdown the leader releases the Lease and a successor takes over at once', async () => {
    const successor = new LeaderLease({
      client: sa.client,
      namespace: PORTCULLIS_NS,
      identity: 'successor',
      leaseDurationSeconds: 30,
      retryIntervalMs: 200,
    })
    const attempts = countLeaseReads(sa.client)
    try {
      successor.start()
      // The CLI process (cli-0) may have released its candidacy; the app still holds the lease.
      await eventually('two successor attempts', () => Promise.resolve(attempts() >= 2))
      expect(successor.isLeader()).toBe(false)
      await app.close()
      // Released, not left to expire: the holder is emptied (or already the successor's).
      const lease = await get(LEASE_PATH)
      expect(['', 'successor']).toContain(
        (lease?.['spec'] as { holderIdentity: string }).holderIdentity,
      )
      // Counted, not timed: the first attempt that reads the released lease takes it (one more
      // may have been in flight during close), where an expiry would take many attempts.
      const atClose = attempts()
      await eventually('successor leads', () => Promise.resolve(successor.isLeader()))
      expect(attempts() - atClose).toBeLessThanOrEqual(2)
    } finally {
      await successor.stop()
      vi.restoreAllMocks()
    }
  })
})

describe('Kubernetes mode with an unreachable API server', () => {
  it('stays not-ready (503), keeps /healthz 200, denies, and does not crash', async () => {
    // An "API server" that accepts and drops every connection, counting them: the app's
    // attempts are observed, not waited for.
    let connections = 0
    const dropper = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r))
    const { port } = dropper.address() as AddressInfo
    const { KubeConfig } = await import('@kubernetes/client-node')
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'gone', user: 'u' }],
      currentContext: 'c',
    })
    const down = await startApp({
      kubernetes: {
        kubeConfig: kc,
        namespaces: [],
        networkPolicies: false,
        inCluster: false,
        backoffInitialMs: 50,
        backoffMaxMs: 200,
      },
      ...loopbackAppOptions(),
      logger: createLogger({ level: 'silent' }),
    })
    const c = createOfficialCheckClient(`127.0.0.1:${down.grpcPort}`)
    try {
      // Several failed attempts (retries with backoff), and still alive and not ready.
      await eventually('three attempts', () => Promise.resolve(connections >= 3))
      expect((await fetch(`http://127.0.0.1:${down.metricsPort}/readyz`)).status).toBe(503)
      expect((await fetch(`http://127.0.0.1:${down.metricsPort}/healthz`)).status).toBe(200)
      const a = answer(
        await c.check(
          buildCheckRequest({ method: 'GET', path: '/pets', host: 'petstore.example.com' }),
        ),
      )
      expect(a.http).not.toBe(200)
    } finally {
      c.close()
      await down.close()
      await new Promise((r) => dropper.close(r))
    }
  })
})
