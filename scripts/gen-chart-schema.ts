/**
 * Generates `charts/portcullis/values.schema.json` from a TypeBox description of the chart values.
 * Every object we own is closed (`additionalProperties: false`), so a mistyped key fails `helm
 * install`; Kubernetes-shaped values (resources, affinity, securityContext, ...) stay open objects.
 * `test/chart/crd-drift.test.ts` fails when the committed file differs from this output.
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Type, type TSchema } from '@sinclair/typebox'
import { format, resolveConfig } from 'prettier'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const CHART_SCHEMA_FILE = join(ROOT, 'charts', 'portcullis', 'values.schema.json')

const closed = { additionalProperties: false } as const
const Port = (description: string): TSchema =>
  Type.Integer({ description, minimum: 1, maximum: 65535 })
/** A Kubernetes-shaped object: checked by the API server, not here. */
const K8sObject = (description: string): TSchema =>
  Type.Object({}, { description, additionalProperties: true })
const K8sList = (description: string): TSchema =>
  Type.Array(Type.Object({}, { additionalProperties: true }), { description })
const StringMap = (description: string): TSchema =>
  Type.Object({}, { description, additionalProperties: Type.String() })
/** A non-negative number; also as a string, since `helm --set x=0.5` passes a string. */
const Threshold = (description: string): TSchema =>
  Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })], {
    description,
  })
const IntOrPercent = (description: string): TSchema =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^([0-9]+%?)?$' })], {
    description,
  })

export const ChartValues = Type.Object(
  {
    nameOverride: Type.String({ description: 'Override the chart name in resource names.' }),
    fullnameOverride: Type.String({ description: 'Override the full resource name.' }),
    image: Type.Object(
      {
        repository: Type.String({ minLength: 1, description: 'Container image repository.' }),
        pullPolicy: Type.Union(
          [Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')],
          { description: 'Image pull policy.' },
        ),
        tag: Type.String({ description: 'Image tag; empty = chart appVersion.' }),
        digest: Type.String({ pattern: '^(sha256:[a-f0-9]{64})?$', description: 'Image digest.' }),
      },
      closed,
    ),
    imagePullSecrets: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }, closed), {
      description: 'Image pull secrets.',
    }),
    replicaCount: Type.Integer({ minimum: 0, description: 'Number of pods.' }),
    revisionHistoryLimit: Type.Integer({ minimum: 0, description: 'Old ReplicaSets kept.' }),
    extAuthz: Type.Object(
      {
        grpcPort: Port('ext_authz gRPC port (--grpc-port).'),
        httpPort: Port('HTTP authorization port (--http-port).'),
      },
      closed,
    ),
    admin: Type.Object({ port: Port('Metrics/health port (--metrics-port).') }, closed),
    sts: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Serve the STS endpoint (--sts-port).' }),
        port: Port('STS endpoint port, container and Service.'),
        // A Secret name (DNS subdomain) or empty.
        keySecret: Type.String({
          pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$',
          maxLength: 253,
          description: 'Secret (release namespace) with the session-token keys (--sts-key-secret).',
        }),
        tlsSecret: Type.String({
          pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$',
          maxLength: 253,
          description: 'kubernetes.io/tls Secret for HTTPS (empty: plain HTTP).',
        }),
      },
      { ...closed, description: 'STS endpoint (AssumeRoleWithWebIdentity).' },
    ),
    // A number is admitted only so the chart's own `fail` can say what to do (`--set` turns
    // 111122223333 into a number, and numbers lose the leading zeros account IDs may have); the
    // schema's bare "got number, want string" would not.
    accountId: Type.Union([Type.String({ pattern: '^([0-9]{12})?$' }), Type.Number()], {
      description:
        'Default 12-digit account ID, as a string (--set-string accountId=..., or quoted in a values file).',
    }),
    region: Type.String({
      pattern: '^([a-z]{2}(-[a-z]+)+-[0-9]+)?$',
      description: 'Default region.',
    }),
    logLevel: Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => Type.Literal(l)),
      { description: 'Log level.' },
    ),
    trustDomains: Type.Array(Type.String({ pattern: '^[a-z0-9._-]+$', maxLength: 255 }), {
      minItems: 1,
      uniqueItems: true,
      description: 'SPIFFE trust domains whose ids name a namespace and service account.',
    }),
    usageStore: Type.Object(
      {
        url: Type.String({
          pattern: '^$|^rediss?://[^\\s]+$',
          description: 'Redis URL for shared usage-plan counting (empty: in process).',
        }),
        passwordSecret: Type.Object(
          {
            name: Type.String({ description: 'Secret with the Redis password (empty: none).' }),
            key: Type.String({ minLength: 1, description: 'Key in that Secret.' }),
          },
          closed,
        ),
        tls: Type.Object(
          {
            caSecret: Type.String({
              description: 'Secret with the CA bundle (empty: system CAs).',
            }),
            caKey: Type.String({ minLength: 1, description: 'Key in that Secret.' }),
          },
          closed,
        ),
      },
      { ...closed, description: 'Shared usage-plan counting on Redis.' },
    ),
    cache: Type.Object(
      {
        maxEntries: Type.Integer({ minimum: 1, description: 'Decision cache size (entries).' }),
        tokenMaxEntries: Type.Integer({
          minimum: 0,
          description: 'Verified JWTs kept per token authorizer (entries; 0 = off).',
        }),
      },
      closed,
    ),
    jwt: Type.Object(
      {
        offloadMaxInFlight: Type.Union(
          [Type.Integer({ minimum: 0, maximum: 1024 }), Type.Literal('')],
          {
            description:
              'JWT signature checks at once in the thread pool (0 = on the event loop); ' +
              'empty = the binary default.',
          },
        ),
      },
      closed,
    ),
    watch: Type.Object(
      {
        namespaces: Type.Array(
          Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
          { uniqueItems: true, description: 'Watched namespaces; empty = all.' },
        ),
      },
      closed,
    ),
    networkPolicies: Type.Object(
      { enabled: Type.Boolean({ description: 'Write NetworkPolicies for PRIVATE APIs.' }) },
      closed,
    ),
    decisionLog: Type.Object(
      {
        // Absolute and naming a file, as the chart mounts a volume at its directory.
        target: Type.String({
          pattern: '^(stdout|/.*[^/])?$',
          description:
            'Decision log (--decision-log): empty = off, stdout, or an absolute file path.',
        }),
        sizeLimit: Type.String({
          pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$',
          description: 'Size limit of the decision-log volume (a file target).',
        }),
      },
      closed,
    ),
    crds: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Install/upgrade the CRDs.' }),
        keep: Type.Boolean({ description: 'Keep the CRDs on uninstall.' }),
      },
      closed,
    ),
    rbac: Type.Object({ create: Type.Boolean({ description: 'Create RBAC objects.' }) }, closed),
    serviceAccount: Type.Object(
      {
        create: Type.Boolean({ description: 'Create a ServiceAccount.' }),
        name: Type.String({ description: 'ServiceAccount name.' }),
        annotations: StringMap('ServiceAccount annotations.'),
        automount: Type.Boolean({ description: 'Mount the token.' }),
      },
      closed,
    ),
    service: Type.Object(
      {
        type: Type.Union(
          [Type.Literal('ClusterIP'), Type.Literal('NodePort'), Type.Literal('LoadBalancer')],
          {
            description: 'Service type.',
          },
        ),
        annotations: StringMap('Service annotations.'),
      },
      closed,
    ),
    serviceMonitor: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Create a ServiceMonitor.' }),
        renderMode: Type.Union([Type.Literal('ifCapable'), Type.Literal('always')], {
          description: 'When to render the ServiceMonitor.',
        }),
        interval: Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', description: 'Scrape interval.' }),
        scrapeTimeout: Type.String({
          pattern: '^[0-9]+(ms|s|m|h)$',
          description: 'Scrape timeout.',
        }),
        labels: StringMap('Extra ServiceMonitor labels.'),
      },
      closed,
    ),
    prometheusRule: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Create a PrometheusRule with the alerts.' }),
        renderMode: Type.Union([Type.Literal('ifCapable'), Type.Literal('always')], {
          description: 'When to render the PrometheusRule.',
        }),
        namespace: Type.String({ description: 'Namespace; empty = the release namespace.' }),
        labels: StringMap('Extra PrometheusRule labels.'),
        annotations: StringMap('PrometheusRule annotations.'),
        alertLabels: StringMap('Extra labels on every alert.'),
        checkLatencyP99Seconds: Threshold('Check latency p99 alert threshold, seconds.'),
        authorizerErrorRatio: Threshold('Authorizer error ratio (0-1) alert threshold.'),
        denySpikeFactor: Threshold('Deny rate over its previous hour that alerts.'),
        denySpikeMinPerSecond: Threshold('Least deny rate (per second) that alerts.'),
        jwksStaleAfter: Type.String({
          pattern: '^[0-9]+(m|h|d)$',
          description: 'No successful issuer document fetch for this long is critical.',
        }),
      },
      closed,
    ),
    grafana: Type.Object(
      {
        dashboards: Type.Object(
          {
            enabled: Type.Boolean({ description: 'Ship the dashboard ConfigMap.' }),
            namespace: Type.String({ description: 'Namespace; empty = the release namespace.' }),
            labels: StringMap('ConfigMap labels (the sidecar label).'),
            annotations: StringMap('ConfigMap annotations.'),
          },
          closed,
        ),
      },
      closed,
    ),
    podDisruptionBudget: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Create a PodDisruptionBudget.' }),
        minAvailable: IntOrPercent('Minimum available pods.'),
        maxUnavailable: IntOrPercent('Maximum unavailable pods; empty = use minAvailable.'),
      },
      closed,
    ),
    networkPolicy: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Restrict ingress to the Portcullis pods.' }),
        extAuthzFrom: K8sList('NetworkPolicy peers allowed on the ext_authz ports.'),
        metricsFrom: K8sList('NetworkPolicy peers allowed on the metrics port.'),
        stsFrom: K8sList('NetworkPolicy peers allowed on the STS port.'),
      },
      closed,
    ),
    resources: K8sObject('Container resources.'),
    podSecurityContext: K8sObject('Pod security context.'),
    securityContext: K8sObject('Container security context.'),
    livenessProbe: Type.Object(
      {
        periodSeconds: Type.Integer({ minimum: 1, description: 'Seconds between probes.' }),
        failureThreshold: Type.Integer({ minimum: 1, description: 'Failures before restart.' }),
      },
      closed,
    ),
    readinessProbe: Type.Object(
      {
        periodSeconds: Type.Integer({ minimum: 1, description: 'Seconds between probes.' }),
        failureThreshold: Type.Integer({ minimum: 1, description: 'Failures before unready.' }),
      },
      closed,
    ),
    terminationGracePeriodSeconds: Type.Integer({ minimum: 0, description: 'Seconds to drain.' }),
    extraArgs: Type.Array(Type.String(), { description: 'Extra arguments.' }),
    extraEnv: K8sList('Extra environment variables (EnvVar list).'),
    extraContainers: K8sList('Extra containers (Container list), e.g. a log-shipping sidecar.'),
    podAnnotations: StringMap('Pod annotations.'),
    podLabels: StringMap('Pod labels.'),
    priorityClassName: Type.String({ description: 'Priority class.' }),
    nodeSelector: StringMap('Node selector.'),
    tolerations: K8sList('Tolerations.'),
    affinity: K8sObject('Affinity.'),
    topologySpreadConstraints: K8sList('Topology spread constraints.'),
    // Helm passes `global` to every chart, also when it is not a subchart.
    global: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { ...closed, title: 'Portcullis Helm chart values' },
)

/** The schema text exactly as committed (formatted by the repository's Prettier config). */
export async function renderChartSchema(): Promise<string> {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(JSON.parse(JSON.stringify(ChartValues)) as object),
  }
  const options = (await resolveConfig(CHART_SCHEMA_FILE)) ?? {}
  return format(JSON.stringify(schema, null, 2), { ...options, filepath: CHART_SCHEMA_FILE })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CHART_SCHEMA_FILE, await renderChartSchema())
  console.log(`wrote ${CHART_SCHEMA_FILE}`)
}
