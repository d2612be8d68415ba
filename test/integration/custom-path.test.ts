/**
 * CUSTOM routes through the gRPC server with a real HTTP authorizer on loopback (written like
 * AWS's blueprint). Invocation counts prove: the explicit-deny pre-check happens before any call;
 * no call without identity or when the regex fails; one call for many cached requests; a cached
 * method-scoped policy denies another method; a changed Authorizer is called again; a broken
 * authorizer fails closed with 500 {"message":null}.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { startAuthorizerPeer, type AuthorizerPeer } from '../helpers/lambda-authorizer-peer.js'

const HOST = 'orders.example.com'
let t: TestApp
let peer: AuthorizerPeer
let garbage: AuthorizerPeer

const config = (uri: string, garbageUri: string, timeout = 3000) => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: orders, namespace: shop}
spec:
  accountId: "111122223333"
  hosts: [${HOST}]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*", Condition: {IpAddress: {aws:SourceIp: "198.51.100.0/24"}}}
  routes:
    - {path: /orders, methods: [ANY], authorizationType: CUSTOM, authorizerName: token-auth}
    - {path: "/tenants/{id}", methods: [GET], authorizationType: CUSTOM, authorizerName: req-auth}
    - {path: /broken, methods: [GET], authorizationType: CUSTOM, authorizerName: broken}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: token-auth, namespace: shop}
spec:
  type: TOKEN
  authorizerUri: ${uri}
  identitySource: method.request.header.Authorization
  identityValidationExpression: "Bearer [a-z-]+"
  authorizerResultTtlInSeconds: 300
  timeoutMillis: ${timeout}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: req-auth, namespace: shop}
spec:
  type: REQUEST
  authorizerUri: ${uri}
  identitySource: method.request.header.X-Tenant, method.request.querystring.key
  authorizerResultTtlInSeconds: 0
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: broken, namespace: shop}
spec:
  type: TOKEN
  authorizerUri: ${garbageUri}
  identitySource: method.request.header.Authorization
`

beforeAll(async () => {
  // AWS blueprint style: the token decides; policies grant whole-API or one method.
  peer = await startAuthorizerPeer((event) => {
    const headers = event['headers'] as Record<string, string> | undefined
    const token =
      typeof event['authorizationToken'] === 'string'
        ? event['authorizationToken']
        : (headers?.['x-tenant'] ?? '')
    const arn = String(event['methodArn'])
    const api = arn.split('/')[0]
    const doc = (effect: string, resource: string) => ({
      principalId: 'user-123',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
      },
      context: { tier: 'gold', n: 7, ok: true },
    })
    if (token === 'Bearer allow' || token === 'acme') return { body: doc('Allow', `${api}/*`) }
    if (token === 'Bearer deny') return { body: doc('Deny', `${api}/*`) }
    if (token === 'Bearer scoped') return { body: doc('Allow', arn) } // only the first method
    return { status: 401, body: { message: 'Unauthorized' } }
  })
  garbage = await startAuthorizerPeer(() => ({ body: 'this is not json' }))
  t = await startTestApp()
  await writeFile(join(t.dir, 'orders.yaml'), config(peer.url, garbage.url))
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
  await peer.close()
  await garbage.close()
})

const call = async (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  sourceIp = '192.0.2.10',
) =>
  answer(await t.client.check(buildCheckRequest({ method, path, host: HOST, headers, sourceIp })))

describe('CUSTOM TOKEN authorizer', () => {
  it('allows, forwarding principalId and context as x-portcullis-* headers', async () => {
    const before = peer.calls
    const a = await call('GET', '/orders', { authorization: 'Bearer allow' })
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBe('user-123')
    expect(a.headers['x-portcullis-context-tier']).toBe('gold')
    expect(a.headers['x-portcullis-context-n']).toBe('7')
    expect(a.headers['x-portcullis-context-ok']).toBe('true')
    expect(peer.calls).toBe(before + 1)
    expect(peer.events.at(-1)).toEqual({
      type: 'TOKEN',
      authorizationToken: 'Bearer allow',
      methodArn: 'arn:aws:execute-api:us-east-1:111122223333:orders/prod/GET/orders',
    })
  })

  it('serves N further requests with the same token from the cache: no more calls', async () => {
    const before = peer.calls
    for (let i = 0; i < 5; i++)
      expect((await call('POST', '/orders', { authorization: 'Bearer allow' })).http).toBe(200)
    expect(peer.calls).toBe(before)
  })

  it('denies an explicit Deny policy with AWS body (capital M, explicit deny)', async () => {
    const a = await call('GET', '/orders', { authorization: 'Bearer deny' })
    expect(a).toMatchObject({
      grpc: 7,
      http: 403,
      body: { Message: 'User is not authorized to access this resource with an explicit deny' },
    })
    expect(a.headers['x-amzn-errortype']).toBe('AccessDeniedException')
  })

  it('a cached method-scoped policy denies another method (implicit deny), without a new call', async () => {
    expect((await call('GET', '/orders', { authorization: 'Bearer scoped' })).http).toBe(200)
    const before = peer.calls
    const a = await call('DELETE', '/orders', { authorization: 'Bearer scoped' })
    expect(a).toMatchObject({
      http: 403,
      body: { Message: 'User is not authorized to access this resource' },
    })
    expect(peer.calls).toBe(before)
  })

  it('answers Unauthorized with 401 and gRPC UNAUTHENTICATED', async () => {
    const a = await call('GET', '/orders', { authorization: 'Bearer nobody' })
    expect(a).toMatchObject({ grpc: 16, http: 401, body: { message: 'Unauthorized' } })
    expect(a.headers['x-amzn-errortype']).toBe('UnauthorizedException')
  })

  it('does not call the authorizer when the identity is missing or fails the validation regex', async () => {
    const before = peer.calls
    expect((await call('GET', '/orders')).http).toBe(401)
    expect((await call('GET', '/orders', { authorization: 'Basic abc' })).http).toBe(401)
    expect((await call('GET', '/orders', { authorization: 'Bearer UPPER' })).http).toBe(401)
    expect(peer.calls).toBe(before)
  })

  it('denies a resource-policy explicit Deny before calling the authorizer', async () => {
    const before = peer.calls
    const a = await call('GET', '/orders', { authorization: 'Bearer fresh-token' }, '198.51.100.7')
    expect(a.http).toBe(403)
    expect((a.body as { Message: string }).Message).toMatch(
      /^User: anonymous is not authorized .* with an explicit deny$/,
    )
    expect(peer.calls).toBe(before)
  })

  it('calls again after the Authorizer object changes', async () => {
    const before = peer.calls
    await writeFile(join(t.dir, 'orders.yaml'), config(peer.url, garbage.url, 2500))
    expect((await t.app.config.reload()).allErrors).toEqual([])
    expect((await call('GET', '/orders', { authorization: 'Bearer allow' })).http).toBe(200)
    expect(peer.calls).toBe(before + 1)
  })

  it('fails closed with 500 {"message":null} when the authorizer answers garbage', async () => {
    const a = await call('GET', '/broken', { authorization: 'Bearer allow' })
    expect(a).toMatchObject({ http: 500, body: { message: null } })
    expect(a.headers['x-amzn-errortype']).toBe('AuthorizerConfigurationException')
  })
})

describe('CUSTOM REQUEST authorizer', () => {
  it('needs every identity source; calls with the REST event when all are present (TTL 0: every time)', async () => {
    const before = peer.calls
    expect((await call('GET', '/tenants/9', { 'x-tenant': 'acme' })).http).toBe(401) // no ?key
    expect(peer.calls).toBe(before)
    expect((await call('GET', '/tenants/9?key=k1', { 'x-tenant': 'acme' })).http).toBe(200)
    expect((await call('GET', '/tenants/9?key=k1', { 'x-tenant': 'acme' })).http).toBe(200)
    expect(peer.calls).toBe(before + 2)
    const ev = peer.events.at(-1)!
    expect(ev).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:111122223333:orders/prod/GET/tenants/9',
      resource: '/tenants/{id}',
      path: '/tenants/9',
      httpMethod: 'GET',
      pathParameters: { id: '9' },
      queryStringParameters: { key: 'k1' },
    })
  })
})

describe('metrics', () => {
  it('counts authorizer calls and decision-cache hits', async () => {
    const text = await (await fetch(`http://127.0.0.1:${t.app.metricsPort}/metrics`)).text()
    expect(text).toMatch(
      /portcullis_authorizer_requests_total\{authorizer="shop\/token-auth",outcome="answered"\} [1-9]/,
    )
    expect(text).toMatch(/portcullis_decision_cache_requests_total\{result="hit"\} [1-9]/)
    expect(text).toMatch(
      /portcullis_authorizer_duration_seconds_count\{authorizer="shop\/token-auth"\} [1-9]/,
    )
  })
})
