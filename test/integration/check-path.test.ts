/**
 * The check path end to end over gRPC: Envoy's official protos → our server → decider → answer, on
 * the quick-start configuration. Proves the decision flow and wire answers (docs/) for NONE routes,
 * resource policies, API and route resolution, ambiguous paths, and private APIs with endpoint
 * policies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp('examples/quickstart')
})
afterAll(async () => {
  await t.stop()
})

const check = async (input: Parameters<typeof buildCheckRequest>[0]) =>
  answer(await t.client.check(buildCheckRequest(input)))

describe('public REST API (quick start petstore)', () => {
  it('allows a NONE route the resource policy grants, and strips client-sent x-portcullis-* headers', async () => {
    const a = await check({
      method: 'GET',
      path: '/pets?limit=2',
      host: 'petstore.example.com:8443',
      headers: { 'x-portcullis-principal': 'forged', 'x-portcullis-context-role': 'admin' },
    })
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBeUndefined()
    expect(a.removed.sort()).toEqual(['x-portcullis-context-role', 'x-portcullis-principal'])
  })

  it('matches wildcard hosts (*.pets.example.com) and path parameters', async () => {
    expect(
      (await check({ method: 'GET', path: '/pets/42', host: 'eu.pets.example.com' })).http,
    ).toBe(200)
  })

  it('denies the admin path from outside 10.0.0.0/8 with an explicit deny, AWS body and error type', async () => {
    const a = await check({
      method: 'POST',
      path: '/admin/users',
      host: 'petstore.example.com',
      sourceIp: '192.0.2.7',
    })
    expect(a.grpc).toBe(7)
    expect(a.http).toBe(403)
    expect(a.headers['x-amzn-errortype']).toBe('AccessDeniedException')
    expect(a.headers['content-type']).toBe('application/json')
    expect(a.body).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:petstore/prod/POST/admin/users with an explicit deny',
    })
  })

  it('allows the admin path from the office network', async () => {
    expect(
      (
        await check({
          method: 'POST',
          path: '/admin/users',
          host: 'petstore.example.com',
          sourceIp: '10.1.2.3',
        })
      ).http,
    ).toBe(200)
  })

  it('answers an unknown route with 403 Missing Authentication Token', async () => {
    const a = await check({ method: 'GET', path: '/nothing-here', host: 'petstore.example.com' })
    expect(a).toMatchObject({ http: 403, body: { message: 'Missing Authentication Token' } })
    expect(a.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException')
  })

  it('answers an unknown host with 403 Forbidden', async () => {
    expect(await check({ method: 'GET', path: '/pets', host: 'other.example.com' })).toMatchObject({
      http: 403,
      body: { message: 'Forbidden' },
    })
  })

  it('selects the API by context extension before the host; an unknown one is Forbidden', async () => {
    const ok = await check({
      method: 'GET',
      path: '/pets',
      host: 'whatever',
      contextExtensions: { 'portcullis.dev/api': 'shop/petstore' },
    })
    expect(ok.http).toBe(200)
    const bad = await check({
      method: 'GET',
      path: '/pets',
      host: 'petstore.example.com',
      contextExtensions: { 'portcullis.dev/api': 'shop/nope' },
    })
    expect(bad).toMatchObject({ http: 403, body: { message: 'Forbidden' } })
  })

  it.each(['/pets/%2e%2e/admin', '/pets/a%2Fb', '/pets/./1', '/pets/%zz', '/pets/a%00'])(
    'refuses the ambiguous path %s with 400 Invalid request path',
    async (path) => {
      expect(await check({ method: 'GET', path, host: 'petstore.example.com' })).toMatchObject({
        http: 400,
        body: { message: 'Invalid request path' },
      })
    },
  )

  it('gives 414 when the methodArn would exceed 1600 bytes', async () => {
    const a = await check({
      method: 'GET',
      path: `/pets/${'x'.repeat(1600)}`,
      host: 'petstore.example.com',
    })
    expect(a.http).toBe(414)
  })
})

describe('private API (quick start inventory, endpoint frontend)', () => {
  const host = 'inventory.shop.internal'
  it('allows a pod of namespace web (SPIFFE) through the endpoint', async () => {
    const a = await check({
      method: 'GET',
      path: '/items',
      host,
      sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/frontend',
    })
    expect(a.http).toBe(200)
  })
  it('allows a source in the endpoint ipBlock, but not in its except range', async () => {
    expect((await check({ method: 'GET', path: '/items', host, sourceIp: '10.20.1.5' })).http).toBe(
      200,
    )
    const denied = await check({ method: 'GET', path: '/items', host, sourceIp: '10.20.9.5' })
    expect(denied).toMatchObject({ http: 403 })
  })
  it('denies a request not through any of the API endpoints', async () => {
    const a = await check({
      method: 'GET',
      path: '/items',
      host,
      sourcePrincipal: 'spiffe://cluster.local/ns/other/sa/x',
      sourceIp: '192.0.2.1',
    })
    expect(a.http).toBe(403)
    expect(a.body).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:inventory/prod/GET/items',
    })
  })
  it('applies the endpoint policy as a gate before the method flow (POST not allowed through it)', async () => {
    const a = await check({
      method: 'POST',
      path: '/items/x',
      host,
      sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/frontend',
    })
    expect(a.http).toBe(403)
    expect(a.headers['x-amzn-errortype']).toBe('AccessDeniedException')
  })
})
