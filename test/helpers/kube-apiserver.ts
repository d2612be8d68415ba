/**
 * A real Kubernetes API server on loopback for integration tests: Debian's `etcd` (temp data dir,
 * free ports) plus a `kube-apiserver` built from the Go module proxy by `scripts/ensure-tools.sh`
 * (~/.cache/portcullis/bin/kube-apiserver, or $PORTCULLIS_KUBE_APISERVER). Static token auth for
 * the test's admin (system:masters), RBAC authorization, a generated service-account key (so the
 * TokenRequest API issues ServiceAccount tokens), self-signed serving certificate; our CRDs (built
 * from src/api/v1alpha1, the same objects `npm run gen:crds` writes) are applied and waited for.
 * {@link installChartRbac} applies the chart's own ServiceAccount and RBAC (`helm template`) and
 * returns a kubeconfig with that ServiceAccount's token, so Portcullis runs with exactly the rights
 * its pod would have. A missing binary is an error, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { buildCustomResourceDefinitions } from '../../src/api/v1alpha1/crds.js'
import { KubeClient, isRecord } from '../../src/sources/kubernetes-client.js'
import { renderChart } from './helm.js'

export const KUBE_APISERVER_BIN =
  process.env['PORTCULLIS_KUBE_APISERVER'] ??
  join(homedir(), '.cache', 'portcullis', 'bin', 'kube-apiserver')

function findEtcd(): string {
  for (const p of [process.env['PORTCULLIS_ETCD'], '/usr/bin/etcd', '/usr/local/bin/etcd']) {
    if (p !== undefined && existsSync(p)) return p
  }
  throw new Error(
    'etcd not found (Debian package etcd-server): run `bash scripts/ensure-tools.sh` first',
  )
}

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly server: string
  readonly kubeConfig: KubeConfig
  /** A kubeconfig file for subprocesses (KUBECONFIG). */
  readonly kubeconfigPath: string
  /** Raw JSON client with admin rights (test setup and assertions). */
  readonly client: KubeClient
  /** A kubeconfig (object and file) authenticating with `token` instead of the admin's. */
  kubeConfigFor(token: string, name: string): Promise<{ kubeConfig: KubeConfig; path: string }>
  /** Last lines of the API server's log (for failure messages). */
  logTail(): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => {
        resolve(port)
      })
    })
  })
}

interface Proc {
  readonly child: ChildProcess
  readonly log: string[]
}

function start(bin: string, args: string[]): Proc {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const log: string[] = []
  const keep = (b: Buffer): void => {
    log.push(...b.toString('utf8').split('\n'))
    if (log.length > 400) log.splice(0, log.length - 400)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, log }
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => {
    p.child.once('exit', () => {
      resolve()
    })
  })
  p.child.kill('SIGTERM')
  const t = setTimeout(() => p.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(t)
}

async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  died: () => string | undefined,
): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const dead = died()
    if (dead !== undefined) throw new Error(`${what}: ${dead}`)
    try {
      if (await fn()) return
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`${what}: not ready within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Starts etcd + kube-apiserver, applies the Portcullis CRDs, and returns an admin client. */
export async function startKubeApiServer(): Promise<KubeApiServer> {
  if (!existsSync(KUBE_APISERVER_BIN)) {
    throw new Error(
      `kube-apiserver not found at ${KUBE_APISERVER_BIN}: run \`bash scripts/ensure-tools.sh\` (builds it from the Go module proxy)`,
    )
  }
  const etcdBin = findEtcd()
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-kube-'))
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()]
  const etcd = start(etcdBin, [
    '--name=test',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
    '--logger=zap',
    '--log-level=error',
  ])
  const procs: Proc[] = [etcd]
  const stopAll = async (): Promise<void> => {
    for (const p of procs.reverse()) await stopProc(p)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(
      'etcd',
      async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok,
      20_000,
      () =>
        etcd.child.exitCode !== null ? `exited: ${etcd.log.slice(-10).join('\n')}` : undefined,
    )
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }))
    await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const token = randomBytes(24).toString('hex')
    await writeFile(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`)
    const api = start(KUBE_APISERVER_BIN, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--etcd-prefix=/portcullis-test`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The kubernetes Service endpoints would point at a loopback address, which is refused.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      // Real authorization: a permission missing from the chart's RBAC fails the tests.
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=0',
    ])
    procs.push(api)
    const server = `https://127.0.0.1:${apiPort}`
    const certFile = join(dir, 'certs', 'apiserver.crt')
    const apiDied = (): string | undefined =>
      api.child.exitCode !== null
        ? `kube-apiserver exited ${api.child.exitCode}:\n${api.log.slice(-25).join('\n')}`
        : undefined
    await waitFor(
      'kube-apiserver certificate',
      () => Promise.resolve(existsSync(certFile)),
      60_000,
      apiDied,
    )
    const ca = await readFile(certFile, 'utf8')
    const kubeconfigFor = async (
      bearer: string,
      name: string,
    ): Promise<{ kubeConfig: KubeConfig; path: string; yaml: string }> => {
      const yaml = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: test`,
        `  cluster: {server: "${server}", certificate-authority-data: "${Buffer.from(ca).toString('base64')}"}`,
        'users:',
        `- name: ${name}`,
        `  user: {token: "${bearer}"}`,
        'contexts:',
        '- name: test',
        `  context: {cluster: test, user: ${name}, namespace: default}`,
        'current-context: test',
        '',
      ].join('\n')
      const path = join(dir, `kubeconfig-${name}`)
      await writeFile(path, yaml, { mode: 0o600 })
      const kubeConfig = new KubeConfig()
      kubeConfig.loadFromString(yaml)
      return { kubeConfig, path, yaml }
    }
    const admin = await kubeconfigFor(token, 'admin')
    const kubeconfigYaml = admin.yaml
    const kubeconfigPath = admin.path
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromString(kubeconfigYaml)
    const client = new KubeClient(kubeConfig)
    await waitFor(
      'kube-apiserver: namespace default',
      // JSON, and only there once the bootstrap controller created the system namespaces.
      async () => {
        const r = await client
          .request({ method: 'GET', path: '/api/v1/namespaces/default' })
          .catch(() => undefined)
        return r !== undefined
      },
      90_000,
      apiDied,
    )
    for (const crd of buildCustomResourceDefinitions()) {
      await client.request({
        method: 'POST',
        path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        body: crd,
      })
    }
    // Established, and served: a list of each kind answers.
    for (const crd of buildCustomResourceDefinitions()) {
      const spec = crd['spec'] as {
        group: string
        names: { plural: string }
        versions: { name: string }[]
      }
      const version = spec.versions[0]?.name ?? 'v1alpha1'
      await waitFor(
        `CRD ${crd.metadata.name}`,
        async () => {
          await client.request({
            method: 'GET',
            path: `/apis/${spec.group}/${version}/${spec.names.plural}`,
          })
          return true
        },
        30_000,
        apiDied,
      )
    }
    return {
      server,
      kubeConfig,
      kubeconfigPath,
      client,
      kubeConfigFor: async (bearer, name) => {
        const { kubeConfig: kc, path } = await kubeconfigFor(bearer, name)
        return { kubeConfig: kc, path }
      },
      logTail: () => api.log.slice(-40).join('\n'),
      stop: stopAll,
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}

/** Creates a namespace (with the `kubernetes.io/metadata.name` label the API server adds). */
export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  })
}

export interface ChartRbacOptions {
  /** Helm release name; the ServiceAccount is `<release>-portcullis`. */
  readonly release: string
  /** The release namespace (created when missing). */
  readonly namespace: string
  /** Extra `--set` values, e.g. `watch.namespaces={shop,web}`. */
  readonly set?: readonly string[]
}

export interface ChartServiceAccount {
  readonly name: string
  readonly namespace: string
  /** Authenticates as `system:serviceaccount:<namespace>:<name>` (a TokenRequest token). */
  readonly kubeConfig: KubeConfig
  readonly kubeconfigPath: string
  /** A raw JSON client with the ServiceAccount's rights. */
  readonly client: KubeClient
}

const RBAC_PATHS: Record<string, (ns: string) => string> = {
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
}

/**
 * Applies the chart's ServiceAccount and RBAC (`helm template --show-only` serviceaccount.yaml and
 * rbac.yaml, so the objects are the ones a `helm install` creates) with the admin client, then
 * returns a kubeconfig with a token of that ServiceAccount from the TokenRequest API, as the
 * kubelet mounts into the pod. Namespaces the RBAC objects name are created when missing.
 */
export async function installChartRbac(
  kube: KubeApiServer,
  opts: ChartRbacOptions,
): Promise<ChartServiceAccount> {
  const docs = renderChart(
    [
      '--show-only',
      'templates/serviceaccount.yaml',
      '--show-only',
      'templates/rbac.yaml',
      ...(opts.set ?? []).flatMap((v) => ['--set', v]),
    ],
    { release: opts.release, namespace: opts.namespace },
  ).filter((d) => d['kind'] !== undefined)
  const namespaces = new Set<string>([opts.namespace])
  for (const d of docs) {
    const ns = isRecord(d['metadata']) ? d['metadata']['namespace'] : undefined
    if (typeof ns === 'string') namespaces.add(ns)
  }
  for (const ns of namespaces) {
    await kube.client
      .request({ method: 'GET', path: `/api/v1/namespaces/${ns}` })
      .catch(() => createNamespace(kube.client, ns))
  }
  let sa: string | undefined
  for (const d of docs) {
    const kind = String(d['kind'])
    const toPath = RBAC_PATHS[kind]
    if (toPath === undefined) throw new Error(`unexpected ${kind} in the chart's RBAC templates`)
    const meta = isRecord(d['metadata']) ? d['metadata'] : {}
    const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : opts.namespace
    await kube.client.request({ method: 'POST', path: toPath(ns), body: d })
    if (kind === 'ServiceAccount') sa = String(meta['name'])
  }
  if (sa === undefined) throw new Error('the chart rendered no ServiceAccount')
  const tokenRequest = await kube.client.request({
    method: 'POST',
    path: `/api/v1/namespaces/${opts.namespace}/serviceaccounts/${sa}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  })
  const status = tokenRequest['status']
  const token = isRecord(status) ? status['token'] : undefined
  if (typeof token !== 'string') throw new Error('TokenRequest returned no token')
  const { kubeConfig, path } = await kube.kubeConfigFor(token, `sa-${opts.release}`)
  const client = new KubeClient(kubeConfig)
  // RBAC is enforced from the authorizer's informer cache: wait until the bindings are seen.
  const until = Date.now() + 20_000
  for (;;) {
    const ok = await client
      .request({
        method: 'GET',
        path: `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases`,
      })
      .then(
        () => true,
        () => false,
      )
    if (ok) break
    if (Date.now() > until) {
      throw new Error(
        `ServiceAccount ${opts.namespace}/${sa} never got its RBAC:\n${kube.logTail()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return { name: sa, namespace: opts.namespace, kubeConfig, kubeconfigPath: path, client }
}
