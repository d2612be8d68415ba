/**
 * The STS endpoint against the AWS SDK's own STS client: AssumeRoleWithWebIdentityCommand parses
 * our XML answers and errors, and the SDK's web-identity credential provider obtains credentials
 * from us. Tokens come from a real loopback issuer (JWKS over HTTP, signed with jose).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type AssumeRoleWithWebIdentityCommandInput,
} from '@aws-sdk/client-sts'
import { fromTokenFile } from '@aws-sdk/credential-provider-web-identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { JwksRegistry } from '../../src/authn/jwt/index.js'
import type { CompiledPrincipal } from '../../src/compile/snapshot.js'
import { emptyCompileInput } from '../../src/compile/compile-input.js'
import { compilePolicy } from '../../src/policy/index.js'
import { StsService } from '../../src/sts/assume-role-with-web-identity.js'
import { sessionKeyRingFrom, type SessionKeyRing } from '../../src/sts/session-keys.js'
import { openSessionToken } from '../../src/sts/session-token.js'
import { roleIdFor, type StsDirectory, type StsRole } from '../../src/compile/sts-directory.js'
import { startStsServer, type RunningStsServer } from '../../src/sts/sts-server.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'

const ACCOUNT = '111122223333'
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/reporter`
const SUB = 'system:serviceaccount:batch:reporter'
const AUD = 'sts.amazonaws.com'

function ringOf(): SessionKeyRing {
  const r = sessionKeyRingFrom({
    keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }],
    active: 'k1',
  })
  if (!r.ok) throw new Error(r.error)
  return r.ring
}

function trustPolicy(provider: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${provider}:sub`]: SUB, [`${provider}:aud`]: AUD } },
      },
    ],
  }
}

function roleOf(arn: string, trust: unknown, maxSessionDuration = 3600): StsRole {
  const compiled = compilePolicy(trust, { kind: 'trust' })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors))
  const principal: CompiledPrincipal = {
    ref: 'shop/reporter',
    arn,
    accountId: ACCOUNT,
    conditionKeys: new Map(),
    policies: [],
  }
  return {
    arn,
    accountId: ACCOUNT,
    name: arn.slice(arn.lastIndexOf('/') + 1),
    roleId: roleIdFor(arn),
    trust: compiled.policy,
    maxSessionDuration,
    principal,
  }
}

describe('STS endpoint with the AWS SDK', () => {
  const issuer = new LoopbackIssuer({ discovery: true })
  const ring = ringOf()
  let server: RunningStsServer
  let client: STSClient
  let provider: string

  beforeAll(async () => {
    await issuer.start()
    await issuer.addKey('RS256', 'k1')
    provider = issuer.issuer.replace(/^https?:\/\//, '')
    const directory: StsDirectory = {
      providers: new Map([
        [
          issuer.issuer,
          {
            ref: 'shop/cluster',
            name: provider,
            issuer: issuer.issuer,
            clientIds: [AUD],
            jwksUri: undefined,
            jwksFromApiServer: false,
          },
        ],
      ]),
      roles: new Map([
        [ROLE_ARN, roleOf(ROLE_ARN, trustPolicy(provider))],
        [
          `arn:aws:iam::${ACCOUNT}:role/other`,
          roleOf(`arn:aws:iam::${ACCOUNT}:role/other`, {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Federated: 'accounts.google.com' },
                Action: 'sts:AssumeRoleWithWebIdentity',
              },
            ],
          }),
        ],
      ]),
    }
    const service = new StsService({
      ring: () => ring,
      directory: () => directory,
      registry: new JwksRegistry(),
    })
    server = await startStsServer({ port: 0, host: '127.0.0.1', service })
    client = new STSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${server.port}`,
      // The call is unsigned; the SDK still wants credentials configured for nothing.
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    })
  })

  afterAll(async () => {
    client.destroy()
    await server.close()
    await issuer.stop()
  })

  async function token(claims: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return issuer.sign({ sub: SUB, aud: AUD, iat: now, exp: now + 600, ...claims })
  }

  async function assume(input: Partial<AssumeRoleWithWebIdentityCommandInput>): Promise<unknown> {
    return client
      .send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: ROLE_ARN,
          RoleSessionName: 'batch-1',
          WebIdentityToken: await token(),
          ...input,
        }),
      )
      .then(
        (out) => out,
        (err: unknown) => {
          const e = err as { name: string; message: string; $metadata: { httpStatusCode: number } }
          return { error: e.name, message: e.message, status: e.$metadata.httpStatusCode }
        },
      )
  }

  it('AssumeRoleWithWebIdentityCommand parses our answer: ASIA key, session, assumed role', async () => {
    const out = (await assume({ DurationSeconds: 1800 })) as {
      Credentials: {
        AccessKeyId: string
        SecretAccessKey: string
        SessionToken: string
        Expiration: Date
      }
      AssumedRoleUser: { Arn: string; AssumedRoleId: string }
      SubjectFromWebIdentityToken: string
      Audience: string
      Provider: string
      $metadata: { requestId: string }
    }
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/)
    expect(out.Credentials.SecretAccessKey).toHaveLength(40)
    const expiresIn = out.Credentials.Expiration.getTime() - Date.now()
    expect(expiresIn).toBeGreaterThan(1700_000)
    expect(expiresIn).toBeLessThanOrEqual(1800_000)
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reporter/batch-1`)
    expect(out.AssumedRoleUser.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:batch-1$/)
    expect(out.SubjectFromWebIdentityToken).toBe(SUB)
    expect(out.Audience).toBe(AUD)
    expect(out.Provider).toBe(provider)
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/)
    const opened = openSessionToken(ring, out.Credentials.SessionToken)
    expect(opened.ok && opened.claims.accessKeyId).toBe(out.Credentials.AccessKeyId)
    expect(opened.ok && opened.secretAccessKey).toBe(out.Credentials.SecretAccessKey)
  })

  it('the SDK web-identity credential provider obtains credentials from a token file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-sts-'))
    const file = join(dir, 'token')
    writeFileSync(file, await token())
    const credentials = await fromTokenFile({
      roleArn: ROLE_ARN,
      webIdentityTokenFile: file,
      roleSessionName: 'from-file',
      clientConfig: { region: 'us-east-1', endpoint: `http://127.0.0.1:${server.port}` },
    })()
    expect(credentials.accessKeyId).toMatch(/^ASIA/)
    expect(credentials.sessionToken).toBeTruthy()
    expect(credentials.expiration).toBeInstanceOf(Date)
  })

  it.each([
    [
      'a trust policy that does not name the provider',
      () => ({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/other` }),
      {
        error: 'AccessDenied',
        status: 403,
        message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      },
    ],
    [
      'an unknown role (not told apart from a refusal)',
      () => ({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` }),
      { error: 'AccessDenied', status: 403 },
    ],
    [
      'a subject the trust condition does not list',
      async () => ({ WebIdentityToken: await token({ sub: 'system:serviceaccount:batch:other' }) }),
      { error: 'AccessDenied', status: 403 },
    ],
    [
      'an audience outside clientIDList',
      async () => ({ WebIdentityToken: await token({ aud: 'other-client' }) }),
      { error: 'InvalidIdentityTokenException', status: 400, message: 'Incorrect token audience' },
    ],
    [
      'an expired token',
      async () => ({
        WebIdentityToken: await token({ exp: Math.floor(Date.now() / 1000) - 3600 }),
      }),
      { error: 'ExpiredTokenException', status: 400 },
    ],
    [
      'a token from an issuer with no IdentityProvider',
      async () => ({ WebIdentityToken: await token({ iss: 'https://elsewhere.example' }) }),
      {
        error: 'InvalidIdentityTokenException',
        status: 400,
        message: 'No OpenIDConnect provider found in your account for https://elsewhere.example',
      },
    ],
    [
      'a forged signature',
      async () => {
        const t = await token()
        return { WebIdentityToken: `${t.slice(0, -6)}AAAAAA` }
      },
      { error: 'InvalidIdentityTokenException', status: 400 },
    ],
    [
      'a session longer than the role allows',
      () => ({ DurationSeconds: 7200 }),
      {
        error: 'ValidationError',
        status: 400,
        message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      },
    ],
    [
      'a bad session name',
      () => ({ RoleSessionName: 'has space' }),
      { error: 'ValidationError', status: 400 },
    ],
    [
      'a session policy that is not a policy',
      () => ({ Policy: '{"Statement": 3}' }),
      { error: 'MalformedPolicyDocumentException', status: 400 },
    ],
  ])('refuses %s with STS error the SDK models', async (_name, input, expected) => {
    const out = await assume(await Promise.resolve(input()))
    expect(out).toMatchObject(expected)
  })
})

/** A free loopback port (the demo OpenID provider writes its port into its issuer URL). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => {
        resolve(port)
      })
    })
  })
}

describe('STS with tokens of other real issuers', () => {
  const ring = ringOf()
  const closers: (() => Promise<void> | void)[] = []
  afterAll(async () => {
    for (const c of closers.reverse()) await c()
  })

  async function serve(directory: StsDirectory): Promise<STSClient> {
    const server = await startStsServer({
      port: 0,
      host: '127.0.0.1',
      service: new StsService({
        ring: () => ring,
        directory: () => directory,
        registry: new JwksRegistry(),
      }),
    })
    const client = new STSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${server.port}`,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    })
    closers.push(
      () => server.close(),
      () => {
        client.destroy()
      },
    )
    return client
  }

  it('an access token of the real oidc-provider (client_credentials) is exchanged; IRSA-style :sub/:aud conditions apply', async () => {
    const { startDemoIssuer, DEMO_RESOURCE } = await import('../../examples/demo/oidc-issuer.js')
    const demo = await startDemoIssuer(await freePort())
    closers.push(() => {
      demo.close()
    })
    const name = demo.issuer.replace(/^https?:\/\//, '')
    const trust = (sub: string): unknown => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: name },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${name}:sub`]: sub, [`${name}:aud`]: 'petstore' } },
        },
      ],
    })
    const client = await serve({
      providers: new Map([
        [
          demo.issuer,
          {
            ref: 'shop/demo',
            name,
            issuer: demo.issuer,
            clientIds: ['petstore'],
            jwksUri: undefined,
            jwksFromApiServer: false,
          },
        ],
      ]),
      roles: new Map([
        [ROLE_ARN, roleOf(ROLE_ARN, trust('petstore-client'))],
        [
          `arn:aws:iam::${ACCOUNT}:role/other`,
          roleOf(`arn:aws:iam::${ACCOUNT}:role/other`, trust('someone-else')),
        ],
      ]),
    })
    const res = await fetch(`${demo.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('petstore-client:demo-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'pets/read',
        resource: DEMO_RESOURCE,
      }).toString(),
    })
    const token = ((await res.json()) as { access_token: string }).access_token
    const out = await client.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: 'demo',
        WebIdentityToken: token,
      }),
    )
    expect(out.SubjectFromWebIdentityToken).toBe('petstore-client')
    expect(out.Provider).toBe(name)
    const refused = await client
      .send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/other`,
          RoleSessionName: 'demo',
          WebIdentityToken: token,
        }),
      )
      .then(
        () => 'allowed',
        (e: unknown) => (e as { name: string }).name,
      )
    expect(refused).toBe('AccessDenied')
  })

  it('a Cognito-shaped ID token: :aud is the app client, :amr conditions (ForAnyValue) are evaluated', async () => {
    const pool = new LoopbackIssuer({ pathPrefix: '/us-east-1_AbCdEf123' })
    await pool.start()
    await pool.addKey('RS256', 'cog-1')
    closers.push(() => pool.stop())
    const name = pool.issuer.replace(/^https?:\/\//, '')
    const role = roleOf(ROLE_ARN, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: name },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { [`${name}:aud`]: 'app-client-1' },
            'ForAnyValue:StringLike': { [`${name}:amr`]: 'authenticated' },
          },
        },
      ],
    })
    const client = await serve({
      providers: new Map([
        [
          pool.issuer,
          {
            ref: 'shop/pool',
            name,
            issuer: pool.issuer,
            clientIds: ['app-client-1'],
            jwksUri: pool.jwksUri,
            jwksFromApiServer: false,
          },
        ],
      ]),
      roles: new Map([[ROLE_ARN, role]]),
    })
    const send = async (claims: Record<string, unknown>): Promise<string> =>
      client
        .send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: ROLE_ARN,
            RoleSessionName: 'alice',
            WebIdentityToken: await pool.sign(claims),
          }),
        )
        .then(
          (out) => out.Audience ?? '',
          (e: unknown) => (e as { name: string }).name,
        )
    const { cognitoIdTokenClaims } = await import('../helpers/jwt-loopback-issuer.js')
    expect(await send(cognitoIdTokenClaims('app-client-1', { amr: ['authenticated'] }))).toBe(
      'app-client-1',
    )
    expect(await send(cognitoIdTokenClaims('app-client-1', { amr: ['unauthenticated'] }))).toBe(
      'AccessDenied',
    )
    expect(await send(cognitoIdTokenClaims('app-client-1'))).toBe('AccessDenied')
  })
})

describe('role fields in the configuration', () => {
  it('a user Principal with a trust policy or session duration is a compile error; a role compiles', async () => {
    const { compileSnapshot } = await import('../../src/compile/compile-snapshot.js')
    const manifest = (name: string, arn: string) => ({
      ref: { kind: 'Principal', namespace: 'shop', name },
      file: 'p.yaml',
      spec: {
        arn,
        maxSessionDuration: 900,
        assumeRolePolicyDocument: trustPolicy('issuer.example'),
      },
    })
    const result = compileSnapshot(
      {
        ...emptyCompileInput(),
        principals: [
          manifest('user', `arn:aws:iam::${ACCOUNT}:user/alice`),
          manifest('role', ROLE_ARN),
        ],
      } as unknown as Parameters<typeof compileSnapshot>[0],
      { generation: 1, defaults: { accountId: ACCOUNT, region: 'us-east-1' } },
    )
    expect(result.errors.map((e) => `${e.ref.name}: ${e.path}: ${e.message}`)).toEqual([
      'user: spec.assumeRolePolicyDocument: only a role (arn:aws:iam::<account>:role/<name>) can have it',
      'user: spec.maxSessionDuration: only a role (arn:aws:iam::<account>:role/<name>) can have it',
    ])
    const role = result.snapshot.sts.roles.get(ROLE_ARN)
    expect(role?.maxSessionDuration).toBe(900)
    expect(role?.roleId).toBe(roleIdFor(ROLE_ARN))
  })
})
