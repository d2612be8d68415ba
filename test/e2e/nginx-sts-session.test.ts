/**
 * Session credentials behind a REAL nginx (Debian's package, the deploy/nginx/ snippets included
 * verbatim): the AWS SDK's STS client gets a role session from Portcullis's STS endpoint for a
 * token of a loopback OIDC issuer, the SDK's own signer signs a request with it (X-Amz-Security-Token
 * header), and nginx's auth_request to Portcullis's HTTP endpoint lets it reach the upstream with
 * the assumed-role identity. A tampered and an expired session token never reach the upstream and
 * the client gets AWS's 403 status, JSON text and x-amzn-errortype. nginx missing = FAIL, never skip.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { startApp, type RunningApp } from '../../src/app/app.js'
import { parseSessionKeyRing } from '../../src/sts/session-keys.js'
import { issueSession } from '../../src/sts/session-token.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'
import { startNginx, type RunningNginx } from '../helpers/nginx.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'
import { signWithSdk } from '../helpers/sign-request.js'

const DEPLOY = join(resolve(import.meta.dirname, '../..'), 'deploy/nginx')
const HOST = 'reports.example.com'
const ACCOUNT = '111122223333'
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/reporter`
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/reporter/web-1`
const SUB = 'user-42'
const AUD = 'reports-app'
const KEYS = JSON.stringify({
  keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }],
  active: 'k1',
})

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}
interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
}

const issuer = new LoopbackIssuer({ discovery: true })
let dir: string
let app: RunningApp
let nginx: RunningNginx
let upstream: Server
let upstreamSeen: IncomingHttpHeaders[] = []
let sts: STSClient

function config(provider: string): string {
  return `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: reports, namespace: shop}
spec:
  apiId: reports
  stage: prod
  hosts: [${HOST}]
  routes:
    - {path: /reports, methods: [GET], authorizationType: AWS_IAM}
---
apiVersion: portcullis.dev/v1alpha1
kind: IdentityProvider
metadata: {name: web, namespace: shop}
spec:
  url: ${issuer.issuer}
  clientIDList: [${AUD}]
---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: reporter, namespace: shop}
spec:
  arn: "${ROLE_ARN}"
  assumeRolePolicyDocument:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Principal: {Federated: "${provider}"}
        Action: sts:AssumeRoleWithWebIdentity
        Condition:
          StringEquals: {"${provider}:sub": "${SUB}", "${provider}:aud": ${AUD}}
  policies:
    - policyName: read
      policyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: execute-api:Invoke
            Resource: "arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/reports"
`
}

beforeAll(async () => {
  await issuer.start()
  await issuer.addKey('ES256', 'sig-1')
  dir = await mkdtemp(join(tmpdir(), 'portcullis-nginx-sts-'))
  const configDir = join(dir, 'config')
  await import('node:fs/promises').then((fs) => fs.mkdir(configDir))
  await writeFile(
    join(configDir, 'reports.yaml'),
    config(issuer.issuer.replace(/^https?:\/\//, '')),
  )
  const keysPath = join(dir, 'sts-keys.json')
  await writeFile(keysPath, KEYS)
  app = await startApp({
    ...loopbackAppOptions(),
    configDir,
    stsPort: 0,
    stsKeyFile: keysPath,
    trustForwardedFrom: ['127.0.0.1'],
  })
  upstream = createServer((req, res) => {
    upstreamSeen.push(req.headers)
    res.end('upstream-ok')
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  const upstreamPort = (upstream.address() as AddressInfo).port
  nginx = await startNginx({
    portCount: 1,
    httpBlock: (ports) => `
  include ${DEPLOY}/portcullis-maps.conf;
  upstream portcullis { server 127.0.0.1:${app.httpPort}; keepalive 4; }
  upstream app { server 127.0.0.1:${upstreamPort}; }
  server {
    listen 127.0.0.1:${ports[0]};
    include ${DEPLOY}/portcullis-locations.conf;
    location / {
      include ${DEPLOY}/portcullis-protect.conf;
      proxy_set_header Host $http_host;
      proxy_pass http://app;
    }
  }
`,
  })
  sts = new STSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${String(app.stsPort)}`,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  })
}, 60_000)

afterAll(async () => {
  sts?.destroy()
  await nginx?.stop()
  await new Promise<void>((r) => {
    if (upstream)
      upstream.close(() => {
        r()
      })
    else r()
  })
  await app?.close()
  await issuer.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

beforeEach(() => {
  upstreamSeen = []
})

function send(path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: nginx.ports[0],
        path,
        method: 'GET',
        headers: { host: HOST, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

async function assume(): Promise<Credentials> {
  const now = Math.floor(Date.now() / 1000)
  const out = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'web-1',
      WebIdentityToken: await issuer.sign({ sub: SUB, aud: AUD, iat: now, exp: now + 300 }),
    }),
  )
  const c = out.Credentials
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) throw new Error('none')
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken ?? '',
  }
}

/** Signed by the AWS SDK's signer for the Host the client sends to nginx. */
async function signedGet(path: string, creds: Credentials): Promise<Answer> {
  return send(path, await signWithSdk({ method: 'GET', host: HOST, path, ...creds }))
}

function expectDenial(r: Answer, body: unknown, errorType: string): void {
  expect({ status: r.status, body: JSON.parse(r.body) as unknown }).toEqual({ status: 403, body })
  expect(r.headers['x-amzn-errortype']).toBe(errorType)
  expect(upstreamSeen).toHaveLength(0)
}

describe('session credentials through nginx auth_request → Portcullis HTTP endpoint', () => {
  it('an SDK-signed request with session credentials reaches the upstream as the assumed role', async () => {
    const r = await signedGet('/reports', await assume())
    expect(r.status).toBe(200)
    expect(r.body).toBe('upstream-ok')
    expect(upstreamSeen).toHaveLength(1)
    expect(upstreamSeen[0]?.['x-portcullis-principal']).toBe(SESSION_ARN)
  })

  it('a tampered session token is refused with AWS 403 text and never reaches the upstream', async () => {
    const creds = await assume()
    const t = creds.sessionToken
    const flipped = `${t.slice(0, 40)}${t[40] === 'A' ? 'B' : 'A'}${t.slice(41)}`
    expectDenial(
      await signedGet('/reports', { ...creds, sessionToken: flipped }),
      { message: 'The security token included in the request is invalid.' },
      'UnrecognizedClientException',
    )
  })

  it('an expired session is refused with AWS 403 text and never reaches the upstream', async () => {
    const ring = parseSessionKeyRing(KEYS)
    if (!ring.ok) throw new Error(ring.error)
    const now = Math.floor(Date.now() / 1000)
    const s = issueSession(ring.ring, {
      roleArn: ROLE_ARN,
      sessionName: 'web-1',
      provider: issuer.issuer.replace(/^https?:\/\//, ''),
      subject: SUB,
      audience: AUD,
      issuedAt: now - 1000,
      expiresAt: now - 100,
    })
    expectDenial(
      await signedGet('/reports', s),
      { message: 'The security token included in the request is expired' },
      'ExpiredTokenException',
    )
  })

  it('STS answers are counted by action and result (success or the STS error code) with their latency', async () => {
    await assume()
    await sts
      .send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: ROLE_ARN,
          RoleSessionName: 'web-1',
          WebIdentityToken: 'not.a.jwt',
        }),
      )
      .catch(() => undefined)
    // An action we do not serve: counted under `other`, so the label stays bounded.
    const other = await fetch(
      `http://127.0.0.1:${String(app.stsPort)}/?Action=GetCallerIdentity&Version=2011-06-15`,
    )
    expect(other.status).toBe(400)
    const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text()
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return Number(line?.slice(series.length + 1) ?? NaN)
    }
    // Earlier tests of this file assumed the role too: at least this test's success.
    expect(
      value('portcullis_sts_requests_total{action="AssumeRoleWithWebIdentity",result="success"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(
      value(
        'portcullis_sts_requests_total{action="AssumeRoleWithWebIdentity",result="InvalidIdentityToken"}',
      ),
    ).toBe(1)
    expect(value('portcullis_sts_requests_total{action="other",result="InvalidAction"}')).toBe(1)
    expect(
      value('portcullis_sts_request_duration_seconds_count{action="AssumeRoleWithWebIdentity"}'),
    ).toBeGreaterThanOrEqual(2)
  })
})
