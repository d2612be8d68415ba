/**
 * Identities beyond ASCII ("张伟", "Łukasz", an emoji) stay allowed through the gRPC server and the
 * HTTP server, for every auth type whose identity can hold them: a JWT's `sub` and claims, a
 * TOKEN and a REQUEST authorizer's principalId and context. Their upstream headers carry them
 * percent-encoded after `UTF-8''` (docs/upstream-headers.md), decoding to the exact values; plain
 * values, `%` included, arrive as they are; a value that poses as encoded is encoded again. IAM
 * principal ARNs cannot hold non-ASCII: the Principal schema refuses them.
 */
import { request } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRINCIPAL_ARN_PATTERN } from '../../src/api/v1alpha1/principal.js'
import { decodeUpstreamHeaderValue } from '../../src/decision/upstream-header-value.js'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { LoopbackIssuer, petstoreAccessClaims } from '../helpers/jwt-loopback-issuer.js'
import { startAuthorizerPeer, type AuthorizerPeer } from '../helpers/lambda-authorizer-peer.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

const HOST = 'people.example.com'
const oidc = new LoopbackIssuer({ pathPrefix: '/oidc', discovery: true })
let peer: AuthorizerPeer
let t: TestApp

const PRINCIPAL = '张伟'
const CONTEXT: Record<string, string> = {
  name: 'Łukasz',
  emoji: 'team 🦊',
  latin1: 'José',
  plain: '100% ok',
  // A value chosen by a user that looks encoded: it must not decode to "Admin".
  forged: "UTF-8''%41dmin",
}
/** Header → decoded value for the context above, as an upstream reads them. */
const EXPECTED_SENT: Record<string, string> = {
  'x-portcullis-principal': "UTF-8''%E5%BC%A0%E4%BC%9F",
  'x-portcullis-context-name': "UTF-8''%C5%81ukasz",
  'x-portcullis-context-emoji': "UTF-8''team%20%F0%9F%A6%8A",
  'x-portcullis-context-latin1': "UTF-8''Jos%C3%A9",
  'x-portcullis-context-plain': '100% ok',
  'x-portcullis-context-forged': "UTF-8''UTF-8%27%27%2541dmin",
}

const config = () => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: people, namespace: shop}
spec:
  accountId: "111122223333"
  hosts: [${HOST}]
  routes:
    - {path: /token, methods: [GET], authorizationType: CUSTOM, authorizerName: token-auth}
    - {path: /request, methods: [GET], authorizationType: CUSTOM, authorizerName: req-auth}
    - {path: /jwt, methods: [GET], authorizationType: JWT, authorizerName: oidc, authorizationScopes: [pets/read]}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: token-auth, namespace: shop}
spec:
  type: TOKEN
  authorizerUri: ${peer.url}
  identitySource: method.request.header.Authorization
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: req-auth, namespace: shop}
spec:
  type: REQUEST
  authorizerUri: ${peer.url}
  identitySource: method.request.header.X-Tenant
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: oidc, namespace: shop}
spec:
  type: JWT
  identitySource: method.request.header.Authorization
  jwtConfiguration: {issuer: "${oidc.issuer}", audience: [petstore]}
`

beforeAll(async () => {
  await oidc.start()
  await oidc.addKey('RS256', 'o1')
  peer = await startAuthorizerPeer((event) => {
    const api = String(event['methodArn']).split('/')[0] ?? ''
    return {
      body: {
        principalId: PRINCIPAL,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${api}/*` }],
        },
        context: CONTEXT,
      },
    }
  })
  t = await startTestApp()
  await writeFile(join(t.dir, 'people.yaml'), config())
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
  await peer.close()
  await oidc.stop()
})

type Headers = Record<string, string>

async function viaGrpc(path: string, headers: Headers): Promise<{ http: number; sent: Headers }> {
  const a = answer(
    await t.client.check(buildCheckRequest({ method: 'GET', path, host: HOST, headers })),
  )
  return { http: a.http, sent: a.headers }
}

/** The HTTP server as Envoy's HTTP ext_authz service calls it (no path prefix). */
function viaHttp(path: string, headers: Headers): Promise<{ http: number; sent: Headers }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.app.httpPort,
        method: 'GET',
        path,
        headers: { host: HOST, ...headers },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          const sent: Headers = {}
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') sent[k] = v
          resolve({ http: res.statusCode ?? 0, sent })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const servers = [
  ['gRPC', viaGrpc],
  ['HTTP', viaHttp],
] as const

function identityHeaders(sent: Headers): Headers {
  return Object.fromEntries(
    Object.entries(sent).filter(
      ([k]) => k.startsWith('x-portcullis-') && k !== 'x-portcullis-denial-body',
    ),
  )
}

for (const [server, call] of servers) {
  describe(`non-ASCII identities through the ${server} server stay allowed, losslessly encoded`, () => {
    it('TOKEN authorizer: principalId and context values', async () => {
      const r = await call('/token', { authorization: 'tok-1' })
      expect(r.http).toBe(200)
      expect(identityHeaders(r.sent)).toEqual(EXPECTED_SENT)
      expect(decodeUpstreamHeaderValue(r.sent['x-portcullis-principal'] ?? '')).toBe(PRINCIPAL)
      for (const [k, v] of Object.entries(CONTEXT)) {
        expect(decodeUpstreamHeaderValue(r.sent[`x-portcullis-context-${k}`] ?? '')).toBe(v)
      }
    })

    it('REQUEST authorizer: principalId and context values', async () => {
      const r = await call('/request', { 'x-tenant': 'acme' })
      expect(r.http).toBe(200)
      expect(identityHeaders(r.sent)).toEqual(EXPECTED_SENT)
    })

    it('JWT: a non-Latin sub and claims', async () => {
      const token = await oidc.sign(
        petstoreAccessClaims({ sub: '🦊-张伟', name: 'Łukasz Żółć', nickname: 'plain-name' }),
      )
      const r = await call('/jwt', { authorization: `Bearer ${token}` })
      expect(r.http).toBe(200)
      expect(r.sent['x-portcullis-principal']).toBe("UTF-8''%F0%9F%A6%8A-%E5%BC%A0%E4%BC%9F")
      expect(decodeUpstreamHeaderValue(r.sent['x-portcullis-principal'] ?? '')).toBe('🦊-张伟')
      expect(decodeUpstreamHeaderValue(r.sent['x-portcullis-context-claims-name'] ?? '')).toBe(
        'Łukasz Żółć',
      )
      expect(r.sent['x-portcullis-context-claims-nickname']).toBe('plain-name')
    })
  })
}

describe('IAM principals', () => {
  it('are ASCII by construction: a Principal ARN beyond ASCII fails the schema pattern', () => {
    const pattern = new RegExp(PRINCIPAL_ARN_PATTERN)
    expect(pattern.test('arn:aws:iam::111122223333:user/lukasz')).toBe(true)
    expect(pattern.test('arn:aws:iam::111122223333:user/Łukasz')).toBe(false)
    expect(pattern.test('arn:aws:sts::111122223333:assumed-role/r/张伟')).toBe(false)
  })
})
