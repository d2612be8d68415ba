// Chart tests with the real helm binary (helm-unittest installs from GitHub, which we cannot reach):
// `helm lint --strict` and `helm template` over ci/*.yaml and targeted --set cases, then asserts on
// the parsed YAML. A missing helm FAILS the suite: it never skips.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildCustomResourceDefinitions } from '../../src/api/v1alpha1/crds.js'
import { KIND_INFO, KINDS } from '../../src/api/v1alpha1/kinds.js'
import {
  CHART,
  HELM,
  KUBE_VERSION,
  helm,
  helmTemplate,
  renderChart,
  type Doc,
} from '../helpers/helm.js'

/** Walks parsed YAML: `at(doc, 'spec', 'ports', 0, 'name')`; undefined when a step is missing. */
function at(node: unknown, ...path: (string | number)[]): unknown {
  let cur = node
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[step]
  }
  return cur
}

function list(node: unknown, ...path: (string | number)[]): Doc[] {
  const v = at(node, ...path)
  return Array.isArray(v) ? (v as Doc[]) : []
}

function strings(node: unknown, ...path: (string | number)[]): string[] {
  const v = at(node, ...path)
  return Array.isArray(v) ? v.map(String) : []
}

/** The Deployment's pod spec. */
function podSpec(docs: Doc[]): Doc {
  return at(one(docs, 'Deployment'), 'spec', 'template', 'spec') as Doc
}

function firstContainer(docs: Doc[]): Doc {
  return at(podSpec(docs), 'containers', 0) as Doc
}

/** The Service's port called `name`. */
function servicePort(docs: Doc[], name: string): Doc | undefined {
  return list(one(docs, 'Service'), 'spec', 'ports').find((p) => at(p, 'name') === name)
}

/** `portcullis serve --kubernetes` on the chart's default ports, up to the log level's value. */
const SERVE_ON_DEFAULT_PORTS = [
  'serve',
  '--kubernetes',
  '--grpc-port',
  '9001',
  '--http-port',
  '9002',
  '--metrics-port',
  '9090',
  '--log-level',
]

function template(args: string[] = []): Doc[] {
  return renderChart(args)
}

function one(docs: Doc[], kind: string, name?: string): Doc {
  const found = docs.filter(
    (d) => d['kind'] === kind && (name === undefined || at(d, 'metadata', 'name') === name),
  )
  expect(found, `${kind}${name === undefined ? '' : `/${name}`}`).toHaveLength(1)
  return found[0]!
}

const CI_FILES = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('.yaml'))

describe('helm binary', () => {
  it(`is present and runs (${HELM})`, () => {
    expect(execFileSync(HELM, ['version', '--short'], { encoding: 'utf8' })).toMatch(/^v3\./)
  })
})

describe('helm lint --strict', () => {
  it('has both CI value files', () => {
    expect(CI_FILES.sort()).toEqual(['all-features-values.yaml', 'default-values.yaml'])
  })
  for (const file of CI_FILES) {
    it(`passes with ci/${file}`, () => {
      const r = helm([
        'lint',
        '--strict',
        CHART,
        '-f',
        join(CHART, 'ci', file),
        '--kube-version',
        KUBE_VERSION,
      ])
      expect(r.status, r.stdout + r.stderr).toBe(0)
      expect(r.stdout).toContain('0 chart(s) failed')
    })
  }
})

describe('helm template with chart defaults (ci/default-values.yaml)', () => {
  const docs = template(['-f', join(CHART, 'ci', 'default-values.yaml')])

  it('renders exactly the expected objects', () => {
    const kinds = docs
      .map((d) => `${String(at(d, 'kind'))}/${String(at(d, 'metadata', 'name'))}`)
      .sort()
    expect(kinds).toEqual(
      [
        'ClusterRole/rel-portcullis',
        'ClusterRoleBinding/rel-portcullis',
        ...KINDS.map((k) => `CustomResourceDefinition/${KIND_INFO[k].plural}.portcullis.dev`),
        'Deployment/rel-portcullis',
        'Role/rel-portcullis-leader-election',
        'RoleBinding/rel-portcullis-leader-election',
        'Service/rel-portcullis',
        'ServiceAccount/rel-portcullis',
      ].sort(),
    )
  })

  it('runs `portcullis serve --kubernetes` with the default ports 9001/9002/9090', () => {
    const container = firstContainer(docs)
    expect(at(container, 'args')).toEqual([...SERVE_ON_DEFAULT_PORTS, 'info'])
    expect(at(container, 'image')).toBe('ghcr.io/portcullis-dev/portcullis:0.1.0')
    // The JWT signature offload is left to the binary's default unless a value is set.
    const envNames = (at(container, 'env') as Doc[]).map((e) => at(e, 'name'))
    expect(envNames).toContain('PORTCULLIS_TOKEN_CACHE_MAX_ENTRIES')
    expect(envNames).not.toContain('PORTCULLIS_JWT_OFFLOAD_MAX_IN_FLIGHT')
    // SPIFFE ids name a namespace only in the local trust domain unless more are listed.
    expect(
      (at(container, 'env') as Doc[]).find((e) => at(e, 'name') === 'PORTCULLIS_TRUST_DOMAINS'),
    ).toEqual({ name: 'PORTCULLIS_TRUST_DOMAINS', value: 'cluster.local' })
    expect(at(container, 'ports')).toEqual([
      { name: 'grpc', containerPort: 9001, protocol: 'TCP' },
      { name: 'http', containerPort: 9002, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ])
  })

  it('probes /healthz (liveness) and /readyz (readiness) on the metrics port', () => {
    const container = firstContainer(docs)
    expect(at(container, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'metrics' })
    expect(at(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'metrics' })
  })

  it('runs with secure defaults: non-root, read-only root, no privilege escalation, drop ALL, seccomp', () => {
    const pod = podSpec(docs)
    const container = at(pod, 'containers', 0)
    expect(at(container, 'securityContext')).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    })
    expect(at(pod, 'securityContext')).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    })
    expect(at(container, 'resources', 'requests')).toEqual({ cpu: '100m', memory: '128Mi' })
    expect(at(container, 'volumeMounts')).toEqual([{ name: 'tmp', mountPath: '/tmp' }])
  })

  it('exposes the three ports on the Service, gRPC with appProtocol grpc', () => {
    const svc = one(docs, 'Service')
    expect(
      list(svc, 'spec', 'ports').map((p) => [
        at(p, 'name'),
        at(p, 'port'),
        at(p, 'targetPort'),
        at(p, 'appProtocol'),
      ]),
    ).toEqual([
      ['grpc', 9001, 'grpc', 'grpc'],
      ['http', 9002, 'http', 'http'],
      ['metrics', 9090, 'metrics', 'http'],
    ])
    expect(at(svc, 'spec', 'selector')).toEqual({
      'app.kubernetes.io/name': 'portcullis',
      'app.kubernetes.io/instance': 'rel',
    })
  })

  it('grants cluster-wide read on our CRDs, Secrets, Services, Pods, Namespaces; status writes; NetworkPolicy writes', () => {
    const rules = at(one(docs, 'ClusterRole'), 'rules') as Doc[]
    const verbsFor = (group: string, resource: string): string[] =>
      rules
        .filter(
          (r) =>
            strings(r, 'apiGroups').includes(group) && strings(r, 'resources').includes(resource),
        )
        .flatMap((r) => strings(r, 'verbs'))
    // Every kind of the registry, so a new kind without its RBAC rule fails here.
    for (const res of KINDS.map((k) => KIND_INFO[k].plural)) {
      expect(verbsFor('portcullis.dev', res).sort()).toEqual(['get', 'list', 'watch'])
      expect(verbsFor('portcullis.dev', `${res}/status`)).toEqual(
        expect.arrayContaining(['update', 'patch']),
      )
    }
    for (const res of ['secrets', 'services', 'pods', 'namespaces']) {
      expect(verbsFor('', res).sort()).toEqual(['get', 'list', 'watch'])
    }
    expect(verbsFor('networking.k8s.io', 'networkpolicies')).toEqual(
      expect.arrayContaining(['create', 'update', 'delete']),
    )
    // Never more than needed on Secrets.
    expect(verbsFor('', 'secrets')).not.toContain('update')
    const binding = one(docs, 'ClusterRoleBinding')
    expect(at(binding, 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'rel-portcullis', namespace: 'portcullis-system' },
    ])
  })

  it('grants Leases in the release namespace for leader election', () => {
    const role = one(docs, 'Role', 'rel-portcullis-leader-election')
    expect(at(role, 'metadata', 'namespace')).toBe('portcullis-system')
    expect(at(role, 'rules')).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
      },
    ])
  })

  it('renders the CRDs generated from src/api (same spec), kept on uninstall', () => {
    for (const crd of buildCustomResourceDefinitions()) {
      const rendered = one(docs, 'CustomResourceDefinition', crd.metadata.name)
      expect(at(rendered, 'spec')).toEqual(at(crd, 'spec'))
      expect(at(rendered, 'metadata', 'annotations')).toEqual({ 'helm.sh/resource-policy': 'keep' })
      expect(at(rendered, 'metadata', 'labels', 'app.kubernetes.io/managed-by')).toBe('Helm')
    }
  })
})

describe('helm template with every feature (ci/all-features-values.yaml)', () => {
  const docs = template(['-f', join(CHART, 'ci', 'all-features-values.yaml')])
  const container = firstContainer(docs)

  it('passes account, region, log level, extra args; cache, namespaces, network policies via env', () => {
    expect(at(container, 'args')).toEqual([
      ...SERVE_ON_DEFAULT_PORTS,
      'debug',
      '--account-id',
      '111122223333',
      '--region',
      'eu-west-1',
      '--decision-log',
      '/var/log/portcullis/decisions.log',
      '--sts-port',
      '9443',
      '--sts-key-secret',
      'portcullis-system/portcullis-sts-keys',
      '--sts-tls-cert',
      '/etc/portcullis/sts-tls/tls.crt',
      '--sts-tls-key',
      '/etc/portcullis/sts-tls/tls.key',
      '--grpc-socket',
      '/tmp/portcullis.sock',
    ])
    const env = Object.fromEntries(
      (at(container, 'env') as Doc[])
        .filter((e) => 'value' in e)
        .map((e) => [at(e, 'name'), at(e, 'value')]),
    )
    expect(env).toMatchObject({
      PORTCULLIS_CACHE_MAX_ENTRIES: '50000',
      PORTCULLIS_TOKEN_CACHE_MAX_ENTRIES: '0',
      // 0 is a value (always on the event loop), not "unset": it must reach the binary.
      PORTCULLIS_JWT_OFFLOAD_MAX_IN_FLIGHT: '0',
      PORTCULLIS_WATCH_NAMESPACES: 'shop,web',
      PORTCULLIS_NETWORK_POLICIES: 'true',
      PORTCULLIS_TRUST_DOMAINS: 'cluster.local,west.example',
      NODE_OPTIONS: '--max-old-space-size=384',
    })
    expect(at(container, 'image')).toBe('ghcr.io/portcullis-dev/portcullis:9.9.9')
  })

  it('usageStore: the Redis URL by env, its password and CA only from Secrets', () => {
    const env = at(container, 'env') as Doc[]
    const byName = (n: string) => env.find((e) => at(e, 'name') === n)
    expect(byName('PORTCULLIS_USAGE_STORE')).toEqual({
      name: 'PORTCULLIS_USAGE_STORE',
      value: 'rediss://redis.portcullis.svc:6380',
    })
    expect(byName('PORTCULLIS_USAGE_STORE_PASSWORD')).toEqual({
      name: 'PORTCULLIS_USAGE_STORE_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } },
    })
    expect(byName('PORTCULLIS_USAGE_STORE_CA_FILE')).toEqual({
      name: 'PORTCULLIS_USAGE_STORE_CA_FILE',
      value: '/etc/portcullis/usage-store-ca/ca.crt',
    })
    expect(at(container, 'volumeMounts')).toContainEqual({
      name: 'usage-store-ca',
      mountPath: '/etc/portcullis/usage-store-ca',
      readOnly: true,
    })
  })

  it('a file decision log gets a writable volume at its directory, which the shipping sidecar mounts', () => {
    const pod = podSpec(docs)
    expect(at(container, 'volumeMounts')).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'decision-log', mountPath: '/var/log/portcullis' },
      { name: 'usage-store-ca', mountPath: '/etc/portcullis/usage-store-ca', readOnly: true },
      { name: 'sts-tls', mountPath: '/etc/portcullis/sts-tls', readOnly: true },
    ])
    expect(list(pod, 'volumes').find((v) => at(v, 'name') === 'decision-log')).toEqual({
      name: 'decision-log',
      emptyDir: { sizeLimit: '1Gi' },
    })
    const sidecar = list(pod, 'containers')[1]
    expect(at(sidecar, 'name')).toBe('ship-decisions')
    expect(at(sidecar, 'volumeMounts', 0, 'name')).toBe('decision-log')
  })

  it('sts: container and Service port, TLS from the kubernetes.io/tls Secret, read on the key Secret alone, NetworkPolicy peers', () => {
    expect(list(container, 'ports').find((p) => at(p, 'name') === 'sts')).toEqual({
      name: 'sts',
      containerPort: 9443,
      protocol: 'TCP',
    })
    expect(servicePort(docs, 'sts')).toEqual({
      name: 'sts',
      port: 9443,
      targetPort: 'sts',
      protocol: 'TCP',
      appProtocol: 'https',
    })
    const pod = podSpec(docs)
    expect(list(pod, 'volumes').find((v) => at(v, 'name') === 'sts-tls')).toEqual({
      name: 'sts-tls',
      secret: {
        secretName: 'portcullis-sts-tls',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
      },
    })
    // watch.namespaces leaves out the release namespace: the key Secret still needs its own grant,
    // and only that Secret, only get (the binary GETs it by name).
    const role = one(docs, 'Role', 'rel-portcullis-sts-keys')
    expect(at(role, 'metadata', 'namespace')).toBe('portcullis-system')
    expect(at(role, 'rules')).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['portcullis-sts-keys'],
        verbs: ['get'],
      },
    ])
    const binding = one(docs, 'RoleBinding', 'rel-portcullis-sts-keys')
    expect(at(binding, 'roleRef', 'name')).toBe('rel-portcullis-sts-keys')
    expect(at(binding, 'subjects', 0, 'name')).toBe('rel-portcullis')
    expect(at(one(docs, 'NetworkPolicy'), 'spec', 'ingress', 2)).toEqual({
      ports: [{ port: 'sts', protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } }],
    })
  })

  it('with watch.namespaces: a Role per namespace, and the ClusterRole keeps only read on namespaces and pods (PrivateEndpoint sources span namespaces)', () => {
    expect(at(one(docs, 'ClusterRole'), 'rules')).toEqual([
      { apiGroups: [''], resources: ['namespaces', 'pods'], verbs: ['get', 'list', 'watch'] },
    ])
    for (const ns of ['shop', 'web']) {
      const role = docs.find(
        (d) => at(d, 'kind') === 'Role' && at(d, 'metadata', 'namespace') === ns,
      )
      expect(list(role, 'rules').some((r) => strings(r, 'resources').includes('restapis'))).toBe(
        true,
      )
      const binding = docs.find(
        (d) => at(d, 'kind') === 'RoleBinding' && at(d, 'metadata', 'namespace') === ns,
      )
      expect(at(binding, 'subjects', 0)).toEqual({
        kind: 'ServiceAccount',
        name: 'rel-portcullis',
        namespace: 'portcullis-system',
      })
    }
  })

  it('renders ServiceMonitor (renderMode always), PDB and the pods’ own NetworkPolicy', () => {
    const sm = one(docs, 'ServiceMonitor')
    expect(at(sm, 'spec', 'endpoints')).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ])
    expect(at(sm, 'metadata', 'labels', 'release')).toBe('prometheus')
    expect(at(one(docs, 'PodDisruptionBudget'), 'spec', 'minAvailable')).toBe(2)
    const np = one(docs, 'NetworkPolicy')
    expect(at(np, 'spec', 'ingress', 0, 'ports')).toEqual([
      { port: 'grpc', protocol: 'TCP' },
      { port: 'http', protocol: 'TCP' },
    ])
    expect(at(np, 'spec', 'ingress', 0, 'from')).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } },
    ])
  })

  it('renders the Grafana dashboard ConfigMap: sidecar label, namespace, annotations, the JSON file verbatim', () => {
    const cm = one(docs, 'ConfigMap', 'rel-portcullis-dashboard')
    expect(at(cm, 'metadata', 'namespace')).toBe('monitoring')
    expect(at(cm, 'metadata', 'labels')).toMatchObject({ grafana_dashboard: '1', team: 'platform' })
    expect(at(cm, 'metadata', 'annotations')).toEqual({ grafana_folder: 'Portcullis' })
    const json = String(at(cm, 'data', 'portcullis.json'))
    expect(json).toBe(readFileSync(join(CHART, 'dashboards', 'portcullis.json'), 'utf8').trimEnd())
    expect((JSON.parse(json) as { uid: string }).uid).toBe('portcullis')
  })

  it('renders the PrometheusRule with its namespace, labels, alert labels and thresholds from values', () => {
    const rule = one(docs, 'PrometheusRule', 'rel-portcullis')
    expect(at(rule, 'metadata', 'namespace')).toBe('monitoring')
    expect(at(rule, 'metadata', 'labels', 'release')).toBe('prometheus')
    expect(at(rule, 'metadata', 'annotations')).toEqual({ 'example.com/owner': 'platform' })
    const rules = list(rule, 'spec', 'groups', 0, 'rules')
    const byName = new Map(rules.map((r) => [String(r['alert']), r]))
    for (const r of rules) expect(at(r, 'labels', 'team')).toBe('platform')
    expect(String(at(byName.get('PortcullisCheckLatencyHigh'), 'expr'))).toMatch(/> 0\.05\s*$/)
    expect(String(at(byName.get('PortcullisAuthorizerErrors'), 'expr'))).toMatch(/> 0\.1\s*$/)
    const spike = String(at(byName.get('PortcullisDenySpike'), 'expr'))
    expect(spike).toContain('> 5 * sum')
    expect(spike).toMatch(/> 2\s*$/)
    expect(String(at(byName.get('PortcullisJwksKeysAgingOut'), 'expr'))).toContain('[4h]')
  })

  it('fills the topology spread label selector with the pod selector labels', () => {
    const tsc = at(podSpec(docs), 'topologySpreadConstraints')
    expect(at(tsc, 0, 'labelSelector')).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'portcullis', 'app.kubernetes.io/instance': 'rel' },
    })
  })
})

describe('helm template: switches', () => {
  it('crds.enabled=false renders no CRD; crds.keep=false drops the keep annotation', () => {
    expect(
      template(['--set', 'crds.enabled=false']).filter(
        (d) => at(d, 'kind') === 'CustomResourceDefinition',
      ),
    ).toEqual([])
    const crd = one(
      template(['--set', 'crds.keep=false']),
      'CustomResourceDefinition',
      'restapis.portcullis.dev',
    )
    expect(at(crd, 'metadata', 'annotations')).toBeUndefined()
  })

  it('networkPolicies.enabled=false removes the NetworkPolicy RBAC rule and tells the binary', () => {
    const docs = template(['--set', 'networkPolicies.enabled=false'])
    expect(JSON.stringify(at(one(docs, 'ClusterRole'), 'rules'))).not.toContain('networkpolicies')
    const env = at(firstContainer(docs), 'env') as Doc[]
    expect(env.find((e) => at(e, 'name') === 'PORTCULLIS_NETWORK_POLICIES')?.['value']).toBe(
      'false',
    )
  })

  it('serviceMonitor ifCapable renders only when the cluster serves the ServiceMonitor CRD', () => {
    expect(
      template(['--set', 'serviceMonitor.enabled=true']).some(
        (d) => at(d, 'kind') === 'ServiceMonitor',
      ),
    ).toBe(false)
    const docs = template([
      '--set',
      'serviceMonitor.enabled=true',
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ])
    expect(docs.some((d) => at(d, 'kind') === 'ServiceMonitor')).toBe(true)
  })

  it('grafana.dashboards and prometheusRule are off by default; the PrometheusRule, like the ServiceMonitor, needs its CRD unless renderMode=always', () => {
    const kinds = (docs: Doc[]): unknown[] => docs.map((d) => at(d, 'kind'))
    expect(kinds(template())).not.toContain('PrometheusRule')
    expect(kinds(template())).not.toContain('ConfigMap')
    expect(kinds(template(['--set', 'grafana.dashboards.enabled=true']))).toContain('ConfigMap')
    expect(kinds(template(['--set', 'prometheusRule.enabled=true']))).not.toContain(
      'PrometheusRule',
    )
    const capable = template([
      '--set',
      'prometheusRule.enabled=true',
      '--api-versions',
      'monitoring.coreos.com/v1/PrometheusRule',
    ])
    const rule = one(capable, 'PrometheusRule')
    // Defaults: the release namespace, the dashboard's sidecar label default.
    expect(at(rule, 'metadata', 'namespace')).toBe('portcullis-system')
    const cm = one(template(['--set', 'grafana.dashboards.enabled=true']), 'ConfigMap')
    expect(at(cm, 'metadata', 'namespace')).toBe('portcullis-system')
    expect(at(cm, 'metadata', 'labels', 'grafana_dashboard')).toBe('1')
  })

  it('podDisruptionBudget.maxUnavailable wins over minAvailable', () => {
    const pdb = one(
      template([
        '--set',
        'podDisruptionBudget.enabled=true',
        '--set',
        'podDisruptionBudget.maxUnavailable=1',
      ]),
      'PodDisruptionBudget',
    )
    expect(at(pdb, 'spec')).toMatchObject({ maxUnavailable: 1 })
    expect(at(pdb, 'spec', 'minAvailable')).toBeUndefined()
  })

  it('decisionLog.target: off by default; stdout is passed as --decision-log with no volume', () => {
    const off = firstContainer(template())
    expect(strings(off, 'args')).not.toContain('--decision-log')
    const docs = template(['--set', 'decisionLog.target=stdout'])
    const c = firstContainer(docs)
    const args = strings(c, 'args')
    expect(args.slice(args.indexOf('--decision-log'))).toEqual(['--decision-log', 'stdout'])
    expect(at(c, 'volumeMounts')).toEqual([{ name: 'tmp', mountPath: '/tmp' }])
    const pod = podSpec(docs)
    expect(list(pod, 'volumes').map((v) => at(v, 'name'))).toEqual(['tmp'])
  })

  it('decisionLog.target in / or /tmp is refused: its volume would hide the root or the scratch /tmp', () => {
    for (const target of ['/decisions.log', '/tmp/decisions.log', '/var/../tmp/d.log']) {
      const r = helmTemplate(['--set', `decisionLog.target=${target}`])
      expect(r.status, target).not.toBe(0)
      expect(r.stderr).toMatch(/put the file in a directory of its own/)
    }
  })

  it('sts: off by default; enabled without tlsSecret serves plain HTTP with no certificate volume', () => {
    const off = template()
    expect(strings(firstContainer(off), 'args')).not.toContain('--sts-port')
    expect(off.some((d) => at(d, 'metadata', 'name') === 'rel-portcullis-sts-keys')).toBe(false)
    const docs = template(['--set', 'sts.enabled=true', '--set', 'sts.keySecret=keys'])
    const c = firstContainer(docs)
    const args = strings(c, 'args')
    expect(args.slice(args.indexOf('--sts-port'))).toEqual([
      '--sts-port',
      '9003',
      '--sts-key-secret',
      'portcullis-system/keys',
    ])
    expect(at(c, 'volumeMounts')).toEqual([{ name: 'tmp', mountPath: '/tmp' }])
    expect(servicePort(docs, 'sts')).toEqual({
      name: 'sts',
      port: 9003,
      targetPort: 'sts',
      protocol: 'TCP',
      appProtocol: 'http',
    })
  })

  it('sts.enabled without sts.keySecret is refused: sessions need their keys', () => {
    const r = helmTemplate(['--set', 'sts.enabled=true'])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/sts.enabled needs sts.keySecret/)
  })

  it('an image digest replaces the tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const c = firstContainer(template(['--set', `image.digest=${digest}`]))
    expect(at(c, 'image')).toBe(`ghcr.io/portcullis-dev/portcullis@${digest}`)
  })
})

describe('values.schema.json rejects bad values at install time', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'replicaCount: "x"',
      ['--set-string', 'replicaCount=x'],
      /replicaCount.*(got string, want integer|string)/,
    ],
    [
      'an unknown top-level key',
      ['--set', 'replicas=3'],
      /additional properties 'replicas' not allowed/,
    ],
    [
      'an unknown nested key (typo)',
      ['--set', 'extAuthz.grpcport=9001'],
      /additional properties 'grpcport' not allowed/,
    ],
    ['a port out of range', ['--set', 'extAuthz.grpcPort=70000'], /grpcPort/],
    ['an account ID that is not 12 digits', ['--set-string', 'accountId=1234'], /accountId/],
    ['an unknown log level', ['--set', 'logLevel=verbose'], /logLevel/],
    [
      'an alert threshold that is not a number',
      ['--set', 'prometheusRule.checkLatencyP99Seconds=fast'],
      /checkLatencyP99Seconds/,
    ],
    [
      'a JWKS staleness that is not a Prometheus duration',
      ['--set', 'prometheusRule.jwksStaleAfter=six hours'],
      /jwksStaleAfter/,
    ],
    ['an upper-case trust domain', ['--set', 'trustDomains={Cluster.local}'], /trustDomains/],
    ['a trust domain with a port', ['--set', 'trustDomains={cluster.local:443}'], /trustDomains/],
    ['no trust domain at all', ['--set', 'trustDomains=null'], /trustDomains/],
    [
      'a relative decision-log path',
      ['--set', 'decisionLog.target=decisions.log'],
      /decisionLog\/target/,
    ],
    [
      'a decision-log path naming a directory',
      ['--set', 'decisionLog.target=/var/log/portcullis/'],
      /decisionLog\/target/,
    ],
    ['an STS key Secret name that is not a name', ['--set', 'sts.keySecret=ns/keys'], /keySecret/],
    [
      'a decision-log volume size that is not a quantity',
      ['--set', 'decisionLog.sizeLimit=lots'],
      /decisionLog\/sizeLimit/,
    ],
  ]
  for (const [what, args, message] of cases) {
    it(`refuses ${what}`, () => {
      const r = helmTemplate(args)
      expect(r.status).not.toBe(0)
      expect(r.stderr).toMatch(message)
    })
  }

  // `--set` turns 111122223333 into a number, and an unquoted number in a values file is one too;
  // the schema admits numbers only so that the chart can answer with the fix instead of helm's bare
  // "got number, want string".
  it('refuses a numeric accountId from --set, naming --set-string as the fix', () => {
    const r = helmTemplate(['--set', 'accountId=111122223333'])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(
      /accountId must be a string of 12 digits, got the number 111122223333 .*use --set-string accountId=/,
    )
  })

  it('refuses an unquoted accountId in a values file (its leading zero already lost), saying to quote it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-chart-'))
    try {
      const file = join(dir, 'values.yaml')
      writeFileSync(file, 'accountId: 012345678901\n')
      const r = helmTemplate(['-f', file])
      expect(r.status).not.toBe(0)
      expect(r.stderr).toMatch(/got the number 12345678901 .*quote it in a values file/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a full name longer than 63 characters instead of truncating it', () => {
    const r = helmTemplate(['--set', `fullnameOverride=${'x'.repeat(64)}`])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/longer than 63 characters/)
  })
})

describe("README's helm install line", () => {
  /** The `--set…` flags of the README's `helm install portcullis charts/portcullis …` command. */
  function readmeInstallFlags(): string[] {
    const readme = readFileSync(join(CHART, '..', '..', 'README.md'), 'utf8')
    const start = readme.indexOf('helm install portcullis charts/portcullis')
    expect(start, 'README has a `helm install portcullis charts/portcullis` line').toBeGreaterThan(
      -1,
    )
    const lines: string[] = []
    for (const line of readme.slice(start).split('\n')) {
      lines.push(line.replace(/\\$/, ''))
      if (!line.endsWith('\\')) break
    }
    const words = lines
      .join(' ')
      .split(/\s+/)
      .filter((w) => w !== '')
    const flags: string[] = []
    words.forEach((w, i) => {
      if (/^--set(-string)?$/.test(w)) flags.push(w, words[i + 1] ?? '')
    })
    return flags
  }

  it('installs as written: the account ID reaches the binary as the 12-digit string', () => {
    const flags = readmeInstallFlags()
    expect(flags).toContain('accountId=111122223333')
    const args = strings(firstContainer(template(flags)), 'args')
    expect(args[args.indexOf('--account-id') + 1]).toBe('111122223333')
    expect(args[args.indexOf('--region') + 1]).toBe('us-east-1')
  })

  it('keeps an account ID with a leading zero intact when passed the same way', () => {
    const args = strings(
      firstContainer(template(['--set-string', 'accountId=012345678901'])),
      'args',
    )
    expect(args[args.indexOf('--account-id') + 1]).toBe('012345678901')
  })
})
