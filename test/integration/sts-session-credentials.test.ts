/**
 * Web-identity federation end to end, with two real Portcullis processes sharing one key file:
 * the AWS SDK's STS client gets credentials from process A's STS endpoint for a token of a real
 * loopback OIDC issuer, the SDK's own signer signs API calls with them (header and presigned
 * query), and process B's gRPC ext_authz server accepts them (stateless sessions). Then the
 * refusals: session policy narrowing, tampered, foreign, re-bound and expired tokens, and key
 * rotation keeping old sessions alive until their key is dropped.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import type { STSClient } from '@aws-sdk/client-sts'
import { fromTokenFile } from '@aws-sdk/credential-provider-web-identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startApp, type RunningApp } from '../../src/app/app.js'
import { parseSessionKeyRing } from '../../src/sts/session-keys.js'
import { openSessionToken } from '../../src/sts/session-token.js'
import { buildCheckRequest, createOfficialCheckClient } from '../helpers/envoy-client.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'
import { presignWithSdk, signWithSdk } from '../helpers/sign-request.js'
import {
  mintSessionCredentials,
  REPORTS,
  providerOf,
  sealSession,
  sessionKeyFile,
  stsClientFor,
  webIdentityConfig,
  webIdentityToken,
  writeStsFolder,
  type SessionCredentials,
  type WebIdentity,
} from '../helpers/sts-session.js'

const { host: HOST, account: ACCOUNT, roleArn: ROLE_ARN } = REPORTS
const SESSION_ARN = REPORTS.sessionArn('batch-1')
const SUB = 'system:serviceaccount:batch:reporter'
const AUD = 'sts.amazonaws.com'
const K1 = randomBytes(32).toString('base64')
const K2 = randomBytes(32).toString('base64')

function config(issuer: string): string {
  const provider = providerOf(issuer)
  const resource = (path: string) =>
    `arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/${path}`
  return webIdentityConfig({
    issuerUrl: issuer,
    providerName: 'local-oidc',
    sub: SUB,
    aud: AUD,
    paths: ['/reports', '/orders', '/whoami'],
    maxSessionDuration: 900,
    statements: [
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: [resource('reports'), resource('orders')],
      },
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: resource('whoami'),
        Condition: {
          StringEquals: {
            'aws:PrincipalArn': ROLE_ARN,
            'aws:PrincipalType': 'AssumedRole',
            'aws:FederatedProvider': `arn:aws:iam::${ACCOUNT}:oidc-provider/${provider}`,
          },
          StringLike: { 'aws:userid': 'AROA*:batch-1' },
          DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' },
        },
      },
    ],
  })
}

describe('session credentials across two Portcullis processes', () => {
  const issuer = new LoopbackIssuer({ discovery: true })
  const who: WebIdentity = { issuer, roleArn: ROLE_ARN, sub: SUB, aud: AUD }
  let dir: string
  let keysPath: string
  let a: RunningApp
  let b: RunningApp
  let checkB: ReturnType<typeof createOfficialCheckClient>
  let sts: STSClient

  beforeAll(async () => {
    await issuer.start()
    await issuer.addKey('ES256', 'sig-1')
    const folder = await writeStsFolder(
      'portcullis-sts-',
      config(issuer.issuer),
      sessionKeyFile({ k1: K1 }, 'k1'),
    )
    dir = folder.dir
    keysPath = folder.keysPath
    const base = { ...loopbackAppOptions(), configDir: folder.configDir, stsKeyFile: keysPath }
    a = await startApp({ ...base, stsPort: 0 })
    b = await startApp(base)
    expect(a.config.current()?.objectCounts['IdentityProvider']).toBe(1)
    checkB = createOfficialCheckClient(`127.0.0.1:${b.grpcPort}`)
    sts = stsClientFor(a.stsPort)
  })

  afterAll(async () => {
    sts.destroy()
    checkB.close()
    await Promise.all([a.close(), b.close()])
    await issuer.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const assume = (policy?: string): Promise<SessionCredentials> =>
    mintSessionCredentials(sts, who, 'batch-1', policy)

  async function call(path: string, creds: SessionCredentials) {
    const headers = await signWithSdk({ method: 'GET', host: HOST, path, ...creds })
    return answer(
      await checkB.check(buildCheckRequest({ method: 'GET', path, host: HOST, headers })),
    )
  }

  it('credentials minted by A are accepted by B; the identity is the assumed-role ARN', async () => {
    const creds = await assume()
    const r = await call('/reports', creds)
    expect(r.http).toBe(200)
    expect(r.headers['x-portcullis-principal']).toBe(SESSION_ARN)
  })

  it('session condition keys: aws:PrincipalArn, PrincipalType, userid, FederatedProvider, TokenIssueTime', async () => {
    const r = await call('/whoami', await assume())
    expect(r.http).toBe(200)
  })

  it('a presigned URL carrying X-Amz-Security-Token is accepted', async () => {
    const creds = await assume()
    const target = await presignWithSdk({ method: 'GET', host: HOST, path: '/reports', ...creds })
    expect(target).toContain('X-Amz-Security-Token=')
    const r = answer(
      await checkB.check(buildCheckRequest({ method: 'GET', path: target, host: HOST })),
    )
    expect(r.http).toBe(200)
  })

  it('a session policy narrows the role: what it does not allow is denied', async () => {
    const creds = await assume(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/reports`,
          },
        ],
      }),
    )
    expect((await call('/reports', creds)).http).toBe(200)
    const denied = await call('/orders', creds)
    expect(denied.http).toBe(403)
    expect(denied.body).toEqual({
      Message: `User: ${SESSION_ARN} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:${ACCOUNT}:reports/prod/GET/orders`,
    })
  })

  const INVALID = { message: 'The security token included in the request is invalid.' }

  it('a tampered session token is refused with AWS text', async () => {
    const creds = await assume()
    const t = creds.sessionToken
    const flipped = `${t.slice(0, 40)}${t[40] === 'A' ? 'B' : 'A'}${t.slice(41)}`
    const r = await call('/reports', { ...creds, sessionToken: flipped })
    expect(r.http).toBe(403)
    expect(r.body).toEqual(INVALID)
    expect(r.headers['x-amzn-errortype']).toBe('UnrecognizedClientException')
  })

  it('a token presented with another access key id is refused', async () => {
    const one = await assume()
    const two = await assume()
    const r = await call('/reports', { ...two, sessionToken: one.sessionToken })
    expect(r.http).toBe(403)
    expect(r.body).toEqual(INVALID)
  })

  it('a session sealed by a foreign key (same key id, other secret) is refused', async () => {
    const now = Math.floor(Date.now() / 1000)
    const foreign = sessionKeyFile({ k1: randomBytes(32).toString('base64') }, 'k1')
    const s = sealSession(foreign, who, 'batch-1', { issuedAt: now, expiresAt: now + 600 })
    const r = await call('/reports', s)
    expect(r.http).toBe(403)
    expect(r.body).toEqual(INVALID)
  })

  it('a session past its expiration is refused as expired', async () => {
    const now = Math.floor(Date.now() / 1000)
    const s = sealSession(sessionKeyFile({ k1: K1 }, 'k1'), who, 'batch-1', {
      issuedAt: now - 1000,
      expiresAt: now - 100,
    })
    const r = await call('/reports', s)
    expect(r.http).toBe(403)
    expect(r.body).toEqual({ message: 'The security token included in the request is expired' })
    expect(r.headers['x-amzn-errortype']).toBe('ExpiredTokenException')
  })

  it('key rotation: old sessions stay valid, new ones use the new key, dropping the old key ends them', async () => {
    const old = await assume()
    await writeFile(keysPath, sessionKeyFile({ k1: K1, k2: K2 }, 'k2'))
    const rotated = parseSessionKeyRing(sessionKeyFile({ k2: K2 }, 'k2'))
    if (!rotated.ok) throw new Error(rotated.error)
    // The file is polled: wait until A seals with k2.
    let fresh: SessionCredentials | undefined
    for (let i = 0; i < 50 && fresh === undefined; i++) {
      const c = await assume()
      if (openSessionToken(rotated.ring, c.sessionToken).ok) fresh = c
      else await new Promise((r) => setTimeout(r, 200))
    }
    expect(fresh).toBeDefined()
    expect((await call('/reports', old)).http).toBe(200)
    // B polls the file on its own: it accepts k2 sessions once it has read the new file.
    let freshStatus = 403
    for (let i = 0; i < 50 && freshStatus !== 200; i++) {
      freshStatus = (await call('/reports', fresh as SessionCredentials)).http
      if (freshStatus !== 200) await new Promise((r) => setTimeout(r, 200))
    }
    expect(freshStatus).toBe(200)
    expect((await call('/reports', old)).http).toBe(200)
    await writeFile(keysPath, sessionKeyFile({ k2: K2 }, 'k2'))
    let status = 200
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await call('/reports', old)).http
      if (status === 200) await new Promise((r) => setTimeout(r, 200))
    }
    expect(status).toBe(403)
    expect((await call('/reports', fresh as SessionCredentials)).http).toBe(200)
  })

  it('the AWS CLI gets credentials with sts assume-role-with-web-identity --endpoint-url', async () => {
    const token = await webIdentityToken(who)
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'aws',
        [
          'sts',
          'assume-role-with-web-identity',
          '--endpoint-url',
          `http://127.0.0.1:${a.stsPort ?? 0}`,
          '--region',
          'us-east-1',
          '--output',
          'json',
          '--role-arn',
          ROLE_ARN,
          '--role-session-name',
          'batch-1',
          '--web-identity-token',
          token,
        ],
        // No ambient AWS configuration: the call is unsigned, as on AWS.
        { env: { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_CONFIG_FILE: '/dev/null' } },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`aws failed: ${err.message} ${stderr}`))
          else resolve(stdout)
        },
      )
    })
    const parsed = JSON.parse(out) as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }
      AssumedRoleUser: { Arn: string }
    }
    expect(parsed.AssumedRoleUser.Arn).toBe(SESSION_ARN)
    const r = await call('/reports', {
      accessKeyId: parsed.Credentials.AccessKeyId,
      secretAccessKey: parsed.Credentials.SecretAccessKey,
      sessionToken: parsed.Credentials.SessionToken,
    })
    expect(r.http).toBe(200)
    expect(r.headers['x-portcullis-principal']).toBe(SESSION_ARN)
  })

  it('the SDK web-identity provider reads AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL_STS', async () => {
    const file = join(dir, 'web-identity-token')
    await writeFile(file, await webIdentityToken(who))
    const saved = { ...process.env }
    process.env['AWS_ROLE_ARN'] = ROLE_ARN
    process.env['AWS_WEB_IDENTITY_TOKEN_FILE'] = file
    process.env['AWS_ROLE_SESSION_NAME'] = 'batch-1'
    process.env['AWS_ENDPOINT_URL_STS'] = `http://127.0.0.1:${a.stsPort ?? 0}`
    process.env['AWS_REGION'] = 'us-east-1'
    try {
      const creds = await fromTokenFile()()
      const r = await call('/reports', {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken ?? '',
      })
      expect(r.http).toBe(200)
    } finally {
      for (const k of Object.keys(process.env))
        if (!(k in saved)) Reflect.deleteProperty(process.env, k)
      Object.assign(process.env, saved)
    }
  })
})
