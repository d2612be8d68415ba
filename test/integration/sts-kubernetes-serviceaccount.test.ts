/**
 * IRSA against a real kube-apiserver: Portcullis in Kubernetes mode, with the chart's own
 * ServiceAccount and RBAC (STS enabled: read on the key Secret alone), reads an IdentityProvider with `jwksFrom: KubernetesAPIServer` and its
 * session keys from a Secret; ServiceAccount tokens issued by the API server's TokenRequest API
 * (audience `sts.amazonaws.com`) are exchanged by the AWS SDK's STS client for session credentials
 * under an IRSA trust policy on `<issuer>:sub` and `<issuer>:aud`, and the SDK's signer then calls
 * an API through the gRPC ext_authz server. The API server serves its keys only to authenticated
 * callers (anonymous auth is off) under a self-signed CA: an exchange that succeeds proves the key
 * fetch used Portcullis's own credentials and the cluster's CA.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type AssumeRoleWithWebIdentityCommandOutput,
} from '@aws-sdk/client-sts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startApp, type RunningApp } from '../../src/app/app.js'
import { buildCheckRequest, type OfficialCheckClient } from '../helpers/envoy-client.js'
import type { ChartServiceAccount, KubeApiServer } from '../helpers/kube-apiserver.js'
import { PORTCULLIS_NS, startKubernetesModeApp } from '../helpers/kubernetes-app.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'
import { signWithSdk } from '../helpers/sign-request.js'

const ISSUER = 'https://kubernetes.default.svc.cluster.local'
const PROVIDER = 'kubernetes.default.svc.cluster.local'
const ACCOUNT = '111122223333'
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/reporter`
const HOST = 'reports.example.com'
const AUD = 'sts.amazonaws.com'
const CRD = '/apis/portcullis.dev/v1alpha1/namespaces/shop'

let kube: KubeApiServer
let sa: ChartServiceAccount
let app: RunningApp
let sts: STSClient
let check: OfficialCheckClient
let stop: (() => Promise<void>) | undefined
let keys: string
/** The configuration objects, by plural: created in the API server, or written to a folder. */
let objects: [string, Record<string, unknown>][] = []

async function eventually(what: string, fn: () => boolean, withinMs = 30_000): Promise<void> {
  // The deadline only bounds a broken watch; how fast a change lands is not asserted here.
  const deadline = Date.now() + withinMs
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A ServiceAccount token from the TokenRequest API, as the kubelet projects one for IRSA. */
async function serviceAccountToken(ns: string, name: string, audience: string): Promise<string> {
  const out = await kube.client.request({
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [audience], expirationSeconds: 3600 },
    },
  })
  const token = (out['status'] as { token?: unknown } | undefined)?.token
  if (typeof token !== 'string') throw new Error('TokenRequest returned no token')
  return token
}

beforeAll(async () => {
  // Configuration watched in `shop` only: the key Secret in the release namespace is readable
  // through the chart's STS Role alone, so a missing grant fails this test.
  ;({
    kube,
    sa,
    app,
    client: check,
    stop,
  } = await startKubernetesModeApp({
    namespaces: ['shop', 'batch', PORTCULLIS_NS],
    seed: async (k) => {
      for (const name of ['reporter', 'intruder']) {
        await k.client.request({
          method: 'POST',
          path: '/api/v1/namespaces/batch/serviceaccounts',
          body: {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name, namespace: 'batch' },
          },
        })
      }
      keys = JSON.stringify({
        keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }],
        active: 'k1',
      })
      await k.client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${PORTCULLIS_NS}/secrets`,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'sts-keys', namespace: PORTCULLIS_NS },
          stringData: { keys },
        },
      })
      objects = [
        [
          'restapis',
          {
            kind: 'RestApi',
            metadata: { name: 'reports', namespace: 'shop' },
            spec: {
              apiId: 'reports',
              stage: 'prod',
              hosts: [HOST],
              routes: [{ path: '/reports', methods: ['GET'], authorizationType: 'AWS_IAM' }],
            },
          },
        ],
        [
          'identityproviders',
          {
            kind: 'IdentityProvider',
            metadata: { name: 'cluster', namespace: 'shop' },
            spec: { url: ISSUER, clientIDList: [AUD], jwksFrom: 'KubernetesAPIServer' },
          },
        ],
        [
          'principals',
          {
            kind: 'Principal',
            metadata: { name: 'reporter', namespace: 'shop' },
            spec: {
              arn: ROLE_ARN,
              // An EKS IRSA trust policy, unchanged.
              assumeRolePolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${PROVIDER}` },
                    Action: 'sts:AssumeRoleWithWebIdentity',
                    Condition: {
                      StringEquals: {
                        [`${PROVIDER}:sub`]: 'system:serviceaccount:batch:reporter',
                        [`${PROVIDER}:aud`]: AUD,
                        // The trust policy sees the provider as the session's requests do: its ARN.
                        'aws:FederatedProvider': `arn:aws:iam::${ACCOUNT}:oidc-provider/${PROVIDER}`,
                      },
                    },
                  },
                ],
              },
              policies: [
                {
                  policyName: 'read',
                  policyDocument: {
                    Version: '2012-10-17',
                    Statement: [
                      {
                        Effect: 'Allow',
                        Action: 'execute-api:Invoke',
                        Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/reports`,
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      ]
      for (const [plural, obj] of objects) {
        await k.client.request({
          method: 'POST',
          path: `${CRD}/${plural}`,
          body: { apiVersion: 'portcullis.dev/v1alpha1', ...obj },
        })
      }
    },
    chartValues: ['sts.enabled=true', 'sts.keySecret=sts-keys', 'watch.namespaces={shop}'],
    kubernetes: { namespaces: ['shop'], podName: 'portcullis-sts-0' },
    app: { stsPort: 0, stsKeySecret: { namespace: PORTCULLIS_NS, name: 'sts-keys' } },
  }))
  await eventually(
    'IdentityProvider and role compiled',
    () =>
      app.config.current()?.objectCounts['IdentityProvider'] === 1 &&
      app.config.current()?.sts.roles.has(ROLE_ARN) === true,
  )
  sts = new STSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${String(app.stsPort)}`,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  })
}, 180_000)

afterAll(async () => {
  sts?.destroy()
  await stop?.()
}, 60_000)

async function assume(token: string): Promise<AssumeRoleWithWebIdentityCommandOutput> {
  return sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'batch-reporter',
      WebIdentityToken: token,
    }),
  )
}

async function refusal(token: string): Promise<{ error: string; message: string; status: number }> {
  return assume(token).then(
    () => ({ error: 'none', message: 'allowed', status: 200 }),
    (err: unknown) => {
      const e = err as { name: string; message: string; $metadata: { httpStatusCode: number } }
      return { error: e.name, message: e.message, status: e.$metadata.httpStatusCode }
    },
  )
}

describe('ServiceAccount tokens of a real kube-apiserver through STS (IRSA)', () => {
  it("the reporter's token is exchanged; the SDK-signed call with the session passes gRPC ext_authz", async () => {
    const out = await assume(await serviceAccountToken('batch', 'reporter', AUD))
    expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:batch:reporter')
    expect(out.Audience).toBe(AUD)
    const c = out.Credentials
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) throw new Error('none')
    expect(c.AccessKeyId).toMatch(/^ASIA/)
    const headers = await signWithSdk({
      method: 'GET',
      host: HOST,
      path: '/reports',
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken ?? '',
    })
    const r = answer(
      await check.check(
        buildCheckRequest({ method: 'GET', path: '/reports', host: HOST, headers }),
      ),
    )
    expect(r.http).toBe(200)
    expect(r.headers['x-portcullis-principal']).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/reporter/batch-reporter`,
    )
  })

  it('another ServiceAccount of the same cluster is refused by the trust policy (:sub)', async () => {
    expect(await refusal(await serviceAccountToken('batch', 'intruder', AUD))).toEqual({
      error: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      status: 403,
    })
  })

  it('a token of the right ServiceAccount for another audience is refused (clientIDList)', async () => {
    expect(await refusal(await serviceAccountToken('batch', 'reporter', 'vault'))).toEqual({
      error: 'InvalidIdentityTokenException',
      message: 'Incorrect token audience',
      status: 400,
    })
  })

  it('a token signed by another key with the cluster issuer is refused (keys come from the API server)', async () => {
    const real = await serviceAccountToken('batch', 'reporter', AUD)
    const [header, payload] = real.split('.')
    const forged = `${header ?? ''}.${payload ?? ''}.${randomBytes(256).toString('base64url')}`
    expect(await refusal(forged)).toMatchObject({
      error: 'InvalidIdentityTokenException',
      status: 400,
    })
  })
})

describe('local mode wired to the API server by KUBECONFIG', () => {
  it("a folder's IdentityProvider with jwksFrom: KubernetesAPIServer reads the keys with the kubeconfig's credentials", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-sts-local-'))
    const previous = process.env['KUBECONFIG']
    let local: RunningApp | undefined
    let localSts: STSClient | undefined
    try {
      const configDir = join(dir, 'config')
      await mkdir(configDir)
      await writeFile(
        join(configDir, 'objects.yaml'),
        objects
          .map(([, o]) => JSON.stringify({ apiVersion: 'portcullis.dev/v1alpha1', ...o }))
          .join('\n---\n'),
      )
      await writeFile(join(dir, 'keys.json'), keys)
      // The chart ServiceAccount's kubeconfig: its token and the API server's CA.
      process.env['KUBECONFIG'] = sa.kubeconfigPath
      local = await startApp({
        ...loopbackAppOptions(),
        configDir,
        stsPort: 0,
        stsKeyFile: join(dir, 'keys.json'),
      })
      expect(local.config.current()?.objectCounts['IdentityProvider']).toBe(1)
      localSts = new STSClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${String(local.stsPort)}`,
        credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      })
      const out = await localSts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: ROLE_ARN,
          RoleSessionName: 'local',
          WebIdentityToken: await serviceAccountToken('batch', 'reporter', AUD),
        }),
      )
      expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reporter/local`)
    } finally {
      if (previous === undefined) delete process.env['KUBECONFIG']
      else process.env['KUBECONFIG'] = previous
      localSts?.destroy()
      await local?.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
