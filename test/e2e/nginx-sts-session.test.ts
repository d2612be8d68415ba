/**
 * Session credentials behind a REAL nginx (Debian's package, the deploy/nginx/ snippets included
 * verbatim): the AWS SDK's STS client gets a role session from Portcullis's STS endpoint for a
 * token of a loopback OIDC issuer, the SDK's own signer signs a request with it (X-Amz-Security-Token
 * header), and nginx's auth_request to Portcullis's HTTP endpoint lets it reach the upstream with
 * the assumed-role identity. A tampered and an expired session token never reach the upstream and
 * the client gets AWS's 403 status, JSON text and x-amzn-errortype. nginx missing = FAIL, never skip.
 */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { AssumeRoleWithWebIdentityCommand, type STSClient } from '@aws-sdk/client-sts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { startApp, type RunningApp } from '../../src/app/app.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'
import {
  httpRequest,
  startRecordingUpstream,
  type HttpAnswer,
  type RecordingUpstream,
} from '../helpers/loopback-http.js'
import { startNginx, type RunningNginx } from '../helpers/nginx.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'
import { signWithSdk } from '../helpers/sign-request.js'
import {
  mintSessionCredentials,
  REPORTS,
  sealSession,
  sessionKeyFile,
  stsClientFor,
  webIdentityConfig,
  writeStsFolder,
  type SessionCredentials,
  type WebIdentity,
} from '../helpers/sts-session.js'

const DEPLOY = join(resolve(import.meta.dirname, '../..'), 'deploy/nginx')
const { host: HOST, account: ACCOUNT, roleArn: ROLE_ARN } = REPORTS
const SESSION_ARN = REPORTS.sessionArn('web-1')
const SUB = 'user-42'
const AUD = 'reports-app'
const KEYS = sessionKeyFile({ k1: randomBytes(32).toString('base64') }, 'k1')

const issuer = new LoopbackIssuer({ discovery: true })
const WHO: WebIdentity = { issuer, roleArn: ROLE_ARN, sub: SUB, aud: AUD }
let dir: string
let app: RunningApp
let nginx: RunningNginx
let upstream: RecordingUpstream
let sts: STSClient

beforeAll(async () => {
  await issuer.start()
  await issuer.addKey('ES256', 'sig-1')
  const config = webIdentityConfig({
    issuerUrl: issuer.issuer,
    providerName: 'web',
    sub: SUB,
    aud: AUD,
    paths: ['/reports'],
    statements: [
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/reports`,
      },
    ],
  })
  const folder = await writeStsFolder('portcullis-nginx-sts-', config, KEYS)
  dir = folder.dir
  app = await startApp({
    ...loopbackAppOptions(),
    configDir: folder.configDir,
    stsPort: 0,
    stsKeyFile: folder.keysPath,
    trustForwardedFrom: ['127.0.0.1'],
  })
  upstream = await startRecordingUpstream()
  nginx = await startNginx({
    portCount: 1,
    httpBlock: (ports) => `
  include ${DEPLOY}/portcullis-maps.conf;
  upstream portcullis { server 127.0.0.1:${app.httpPort}; keepalive 4; }
  upstream app { server 127.0.0.1:${upstream.port}; }
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
  sts = stsClientFor(app.stsPort)
}, 60_000)

afterAll(async () => {
  sts?.destroy()
  await nginx?.stop()
  await upstream?.close()
  await app?.close()
  await issuer.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

beforeEach(() => {
  upstream?.reset()
})

const assume = (): Promise<SessionCredentials> => mintSessionCredentials(sts, WHO, 'web-1')

/** Signed by the AWS SDK's signer for the Host the client sends to nginx. */
async function signedGet(path: string, creds: SessionCredentials): Promise<HttpAnswer> {
  const headers = await signWithSdk({ method: 'GET', host: HOST, path, ...creds })
  return httpRequest({ port: nginx.ports[0]!, path, headers: { host: HOST, ...headers } })
}

function expectDenial(r: HttpAnswer, body: unknown, errorType: string): void {
  expect({ status: r.status, body: JSON.parse(r.body) as unknown }).toEqual({ status: 403, body })
  expect(r.headers['x-amzn-errortype']).toBe(errorType)
  expect(upstream.seen).toHaveLength(0)
}

describe('session credentials through nginx auth_request → Portcullis HTTP endpoint', () => {
  it('an SDK-signed request with session credentials reaches the upstream as the assumed role', async () => {
    const r = await signedGet('/reports', await assume())
    expect(r.status).toBe(200)
    expect(r.body).toBe('upstream-ok')
    expect(upstream.seen).toHaveLength(1)
    expect(upstream.seen[0]?.headers['x-portcullis-principal']).toBe(SESSION_ARN)
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
    const now = Math.floor(Date.now() / 1000)
    const s = sealSession(KEYS, WHO, 'web-1', { issuedAt: now - 1000, expiresAt: now - 100 })
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
