/**
 * COGNITO_USER_POOLS and JWT routes through the gRPC server and `portcullis check`, against real
 * loopback issuers (a Cognito-shaped JWKS path, and an OIDC issuer with discovery). Proves the wire
 * answers of docs/wire.md and docs/aws-semantics.md: ID vs access tokens, scopes (Cognito 401, JWT
 * 403 Forbidden), audience, alg none, resource-policy Table A, claims forwarded, issuer down at
 * start.
 * The app checks signatures in the thread pool (signature-offload.ts); a second app checking them
 * on the event loop gives the same answers, and /metrics counts both kinds of work.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import {
  LoopbackIssuer,
  cognitoAccessTokenClaims,
  cognitoIdTokenClaims,
  petstoreAccessClaims,
} from '../helpers/jwt-loopback-issuer.js'

const HOST = 'me.example.com'
const POOL = 'us-east-1_AbCdEf123'
const CLIENT = 'app-client-1'
const cognito = new LoopbackIssuer({ pathPrefix: `/${POOL}` })
const oidc = new LoopbackIssuer({ pathPrefix: '/oidc', discovery: true })
let t: TestApp

const config = () => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: me, namespace: shop}
spec:
  accountId: "111122223333"
  hosts: [${HOST}]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*", Condition: {IpAddress: {aws:SourceIp: "198.51.100.0/24"}}}
  routes:
    - {path: /profile, methods: [GET], authorizationType: COGNITO_USER_POOLS, authorizerName: users}
    - {path: /cats, methods: [GET], authorizationType: COGNITO_USER_POOLS, authorizerName: users, authorizationScopes: [pets/read]}
    - {path: /jwt, methods: [GET], authorizationType: JWT, authorizerName: oidc, authorizationScopes: [pets/read]}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: users, namespace: shop}
spec:
  type: COGNITO_USER_POOLS
  providerARNs: ["arn:aws:cognito-idp:us-east-1:111122223333:userpool/${POOL}"]
  jwksUri: ${cognito.jwksUri}
  clientIds: [${CLIENT}]
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: oidc, namespace: shop}
spec:
  type: JWT
  identitySource: method.request.header.Authorization
  jwtConfiguration: {issuer: "${oidc.issuer}", audience: [petstore]}
`

const cognitoIss = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`

beforeAll(async () => {
  await cognito.start()
  await cognito.addKey('RS256', 'c1')
  await oidc.start()
  await oidc.addKey('RS256', 'o1')
  t = await startTestApp(undefined, { jwtOffloadMaxInFlight: 64 })
  await writeFile(join(t.dir, 'me.yaml'), config())
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
  await cognito.stop()
  await oidc.stop()
})

const call = async (
  path: string,
  authorization?: string,
  sourceIp = '192.0.2.5',
  app: TestApp = t,
) =>
  answer(
    await app.client.check(
      buildCheckRequest({
        method: 'GET',
        path,
        host: HOST,
        sourceIp,
        headers: authorization ? { authorization } : {},
      }),
    ),
  )

const now = () => Math.floor(Date.now() / 1000)

describe('COGNITO_USER_POOLS', () => {
  it('accepts an ID token on a route without scopes; sub and claims go upstream', async () => {
    const tok = await cognito.sign(cognitoIdTokenClaims(CLIENT, { iss: cognitoIss }))
    const a = await call('/profile', tok)
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBe('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')
    expect(a.headers['x-portcullis-context-claims-email']).toBe('alice@example.com')
    expect(a.headers['x-portcullis-context-claims-token_use']).toBe('id')
  })

  it('accepts the optional Bearer prefix', async () => {
    const tok = await cognito.sign(cognitoIdTokenClaims(CLIENT, { iss: cognitoIss }))
    expect((await call('/profile', `Bearer ${tok}`)).http).toBe(200)
  })

  it('refuses an access token where an ID token is required, and a wrong app client', async () => {
    const access = await cognito.sign(
      cognitoAccessTokenClaims(CLIENT, 'pets/read', { iss: cognitoIss }),
    )
    expect(await call('/profile', access)).toMatchObject({
      grpc: 16,
      http: 401,
      body: { message: 'Unauthorized' },
    })
    const other = await cognito.sign(cognitoIdTokenClaims('someone-else', { iss: cognitoIss }))
    expect((await call('/profile', other)).http).toBe(401)
  })

  it('requires an access token with one of the route scopes (mismatch → 401 on Cognito)', async () => {
    const ok = await cognito.sign(
      cognitoAccessTokenClaims(CLIENT, 'openid pets/read', { iss: cognitoIss }),
    )
    expect((await call('/cats', ok)).http).toBe(200)
    const noScope = await cognito.sign(
      cognitoAccessTokenClaims(CLIENT, 'openid', { iss: cognitoIss }),
    )
    expect((await call('/cats', noScope)).http).toBe(401)
  })

  it('refuses expired tokens, alg none, missing tokens', async () => {
    const expired = await cognito.sign(
      cognitoIdTokenClaims(CLIENT, { iss: cognitoIss, exp: now() - 3600, iat: now() - 7200 }),
    )
    expect((await call('/profile', expired)).http).toBe(401)
    const claims = Buffer.from(
      JSON.stringify(cognitoIdTokenClaims(CLIENT, { iss: cognitoIss })),
    ).toString('base64url')
    const none = `${Buffer.from('{"alg":"none","kid":"c1"}').toString('base64url')}.${claims}.`
    expect((await call('/profile', none)).http).toBe(401)
    expect((await call('/profile')).http).toBe(401)
  })

  it('applies the resource policy by Table A: an explicit Deny wins over a valid token', async () => {
    const tok = await cognito.sign(cognitoIdTokenClaims(CLIENT, { iss: cognitoIss }))
    const a = await call('/profile', tok, '198.51.100.9')
    expect(a.http).toBe(403)
    expect((a.body as { Message: string }).Message).toMatch(/with an explicit deny$/)
  })
})

/** Claims of a valid access token for the `oidc` (JWT) authorizer's /jwt route. */
const jwtClaims = petstoreAccessClaims

describe('JWT (HTTP-API style, OIDC discovery)', () => {
  it('accepts a token whose keys were found through discovery', async () => {
    const a = await call('/jwt', `Bearer ${await oidc.sign(jwtClaims())}`)
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBe('svc-1')
    expect(oidc.discoveryFetches).toBeGreaterThanOrEqual(1)
  })

  it('answers a scope mismatch with 403 Forbidden', async () => {
    const a = await call('/jwt', `Bearer ${await oidc.sign(jwtClaims({ scope: 'pets/write' }))}`)
    expect(a).toMatchObject({ grpc: 7, http: 403, body: { message: 'Forbidden' } })
  })

  it('answers a wrong audience with 401 and a www-authenticate description', async () => {
    const a = await call('/jwt', `Bearer ${await oidc.sign(jwtClaims({ aud: 'other' }))}`)
    expect(a.http).toBe(401)
    expect(a.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })

  it('serves repeated requests with the same token without refetching keys', async () => {
    const tok = `Bearer ${await oidc.sign(jwtClaims())}`
    const fetches = oidc.jwksFetches
    for (let i = 0; i < 5; i++) expect((await call('/jwt', tok)).http).toBe(200)
    expect(oidc.jwksFetches).toBe(fetches)
  })
})

describe('signature checks in the thread pool or on the event loop', () => {
  const claims = (over: Record<string, unknown> = {}) => jwtClaims({ sub: 'svc-2', ...over })
  /** One sample of the app's /metrics text, 0 when absent. */
  const sample = async (app: TestApp, series: string): Promise<number> => {
    const line = (await app.app.metrics.render()).split('\n').find((l) => l.startsWith(series))
    return line === undefined ? 0 : Number(line.slice(series.length + 1))
  }

  it('gives the same answers inline as in the pool, and counts where each check ran', async () => {
    const inline = await startTestApp(undefined, { jwtOffloadMaxInFlight: 0 })
    try {
      await writeFile(join(inline.dir, 'me.yaml'), config())
      expect((await inline.app.config.reload()).allErrors).toEqual([])
      const good = `Bearer ${await oidc.sign(claims())}`
      const cases = [
        good,
        `Bearer ${await oidc.sign(claims({ scope: 'pets/write' }))}`,
        `Bearer ${await oidc.sign(claims({ exp: now() - 120 }))}`,
        `${good.slice(0, -4)}AAAA`,
      ]
      for (const auth of cases) {
        const [pooled, onLoop] = [
          await call('/jwt', auth),
          await call('/jwt', auth, undefined, inline),
        ]
        expect(onLoop).toEqual(pooled)
      }
      expect((await call('/jwt', good)).http).toBe(200)
      const where = 'portcullis_jwt_signature_checks_total{where='
      expect(await sample(inline, `${where}"pool"}`)).toBe(0)
      expect(await sample(inline, `${where}"inline"}`)).toBeGreaterThanOrEqual(3)
      expect(await sample(t, `${where}"pool"}`)).toBeGreaterThanOrEqual(3)
    } finally {
      await inline.stop()
    }
  })

  it('counts token-cache hits and worked-out tokens by outcome in /metrics', async () => {
    const requests = 'portcullis_authorizer_requests_total{authorizer="shop/oidc",outcome='
    const hits = 'portcullis_token_cache_hits_total{authorizer="shop/oidc"}'
    const before = {
      allow: await sample(t, `${requests}"allow"}`),
      forbidden: await sample(t, `${requests}"forbidden"}`),
      unauthorized: await sample(t, `${requests}"unauthorized"}`),
      hits: await sample(t, hits),
    }
    const tok = `Bearer ${await oidc.sign(claims({ jti: 'metrics' }))}`
    for (let i = 0; i < 4; i++) expect((await call('/jwt', tok)).http).toBe(200)
    expect((await call('/jwt', `Bearer ${await oidc.sign(claims({ scope: 'x' }))}`)).http).toBe(403)
    expect((await call('/jwt', 'Bearer not.a.token')).http).toBe(401)
    expect(await sample(t, `${requests}"allow"}`)).toBe(before.allow + 1)
    expect(await sample(t, hits)).toBe(before.hits + 3)
    expect(await sample(t, `${requests}"forbidden"}`)).toBe(before.forbidden + 1)
    expect(await sample(t, `${requests}"unauthorized"}`)).toBe(before.unauthorized + 1)
  })
})

describe('portcullis check with a token route', () => {
  it('decides a Cognito request offline from the same folder (exit 0 / exit 1)', async () => {
    const tok = await cognito.sign(cognitoIdTokenClaims(CLIENT, { iss: cognitoIss }))
    const run = (auth: string) =>
      new Promise<number>((resolve) => {
        execFile(
          process.execPath,
          [
            'bin/portcullis.js',
            'check',
            '--config',
            t.dir,
            '--method',
            'GET',
            '--url',
            `http://${HOST}/profile`,
            '-H',
            `Authorization: ${auth}`,
          ],
          (err) => {
            resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1)
          },
        )
      })
    expect(await run(tok)).toBe(0)
    expect(await run('garbage')).toBe(1)
  }, 60_000)
})
