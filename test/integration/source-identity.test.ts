/**
 * Source address and source identity through the real servers (gRPC with Envoy's official protos,
 * and the HTTP decision endpoint for forwarded addresses), on the quick-start configuration plus
 * an API whose policies read the pod-identity condition keys:
 * - an IPv4-compatible IPv6 peer (`::a.b.c.d`) is IPv6: it neither falls in an IPv4 PrivateEndpoint
 *   ipBlock nor in an IPv4 `aws:SourceIp` range; the IPv4-mapped `::ffff:a.b.c.d` does;
 * - a SPIFFE id names a namespace and service account only in a configured trust domain
 *   (`trustDomains`), and a malformed one (userinfo, port, query, fragment...) identifies nothing:
 *   no PrivateEndpoint attribution by namespace, no portcullis:Source* or aws:SourceVpc key.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { compileTrustDomains } from '../../src/compile/peer-identity.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'

/** A regional API guarded by the pod-identity keys, and a private one by aws:SourceVpc. */
const IDENTITY_APIS = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: whoami, namespace: shop}
spec:
  accountId: "111122223333"
  region: us-east-1
  hosts: [whoami.example.com]
  endpointConfiguration: {type: REGIONAL}
  policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*/GET/ns
        Condition: {StringEquals: {portcullis:SourceNamespace: ops}}
      - Effect: Allow
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*/GET/sa
        Condition: {StringEquals: {portcullis:SourceServiceAccount: default}}
      - Effect: Allow
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*/GET/principal
        Condition: {StringLike: {portcullis:SourcePrincipal: "spiffe://*/ns/ops/sa/*"}}
  routes:
    - {path: /ns, methods: [GET], authorizationType: NONE}
    - {path: /sa, methods: [GET], authorizationType: NONE}
    - {path: /principal, methods: [GET], authorizationType: NONE}
---
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: opsonly, namespace: shop}
spec:
  accountId: "111122223333"
  region: us-east-1
  hosts: [ops.shop.internal]
  endpointConfiguration: {type: PRIVATE, vpcEndpointIds: [loopback]}
  policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*
        Condition: {StringEquals: {aws:SourceVpc: ops}}
  routes:
    - {path: /x, methods: [GET], authorizationType: NONE}
---
apiVersion: portcullis.dev/v1alpha1
kind: PrivateEndpoint
metadata: {name: loopback, namespace: shop}
spec:
  sources:
    - ipBlocks: [{cidr: 127.0.0.0/8}]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "*"}
`

interface Instance {
  app: RunningApp
  client: OfficialCheckClient
  dir: string
}

async function start(trustDomains?: string[]): Promise<Instance> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-identity-'))
  await cp('examples/quickstart', dir, { recursive: true })
  await writeFile(join(dir, 'identity.yaml'), IDENTITY_APIS)
  const app = await startApp({
    ...loopbackAppOptions(),
    configDir: dir,
    trustForwardedFrom: ['127.0.0.0/8'],
    ...(trustDomains !== undefined ? { trustDomains: compileTrustDomains(trustDomains) } : {}),
  })
  return { app, client: createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`), dir }
}

async function stop(i: Instance | undefined): Promise<void> {
  if (i === undefined) return
  i.client.close()
  await i.app.close()
  await rm(i.dir, { recursive: true, force: true })
}

let local: Instance // default trust domains: cluster.local
let federated: Instance // cluster.local and other.example
beforeAll(async () => {
  local = await start()
  federated = await start(['cluster.local', 'other.example'])
})
afterAll(async () => {
  await stop(local)
  await stop(federated)
})

const check = async (i: Instance, input: Parameters<typeof buildCheckRequest>[0]) =>
  answer(await i.client.check(buildCheckRequest(input)))

/** The HTTP decision endpoint as Traefik forwardAuth calls it, from a trusted proxy (loopback). */
function httpCheck(i: Instance, method: string, host: string, uri: string, forwardedFor: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: i.app.httpPort,
        method: 'GET',
        path: '/',
        headers: {
          'x-forwarded-method': method,
          'x-forwarded-proto': 'https',
          'x-forwarded-host': host,
          'x-forwarded-uri': uri,
          'x-forwarded-for': forwardedFor,
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          resolve(res.statusCode ?? 0)
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('IPv4-compatible IPv6 sources are IPv6 (only ::ffff:a.b.c.d is an IPv4 peer)', () => {
  const inventory = { method: 'GET', path: '/items', host: 'inventory.shop.internal' }
  it('a PrivateEndpoint ipBlock 10.20.0.0/16 admits ::ffff:10.20.1.5 and not ::10.20.1.5', async () => {
    expect((await check(local, { ...inventory, sourceIp: '10.20.1.5' })).http).toBe(200)
    expect((await check(local, { ...inventory, sourceIp: '::ffff:10.20.1.5' })).http).toBe(200)
    const compat = await check(local, { ...inventory, sourceIp: '::10.20.1.5' })
    expect(compat.http).toBe(403)
    expect(compat.body).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:inventory/prod/GET/items',
    })
  })

  it('aws:SourceIp 10.0.0.0/8 (NotIpAddress Deny on /admin) contains ::ffff:10.1.2.3, not ::10.1.2.3', async () => {
    const admin = { method: 'POST', path: '/admin/users', host: 'petstore.example.com' }
    expect((await check(local, { ...admin, sourceIp: '::ffff:10.1.2.3' })).http).toBe(200)
    const compat = await check(local, { ...admin, sourceIp: '::10.1.2.3' })
    expect(compat.http).toBe(403)
    expect(compat.body).toMatchObject({ Message: expect.stringMatching(/with an explicit deny$/) })
  })

  it('the HTTP endpoint applies the same rule to a trusted proxy’s X-Forwarded-For', async () => {
    const call = (ip: string) => httpCheck(local, 'POST', 'petstore.example.com', '/admin/u', ip)
    expect(await call('::ffff:10.1.2.3')).toBe(200)
    expect(await call('::10.1.2.3')).toBe(403)
  })
})

describe('SPIFFE ids: configured trust domains only, parsed strictly', () => {
  const inventory = { method: 'GET', path: '/items', host: 'inventory.shop.internal' }
  const MALFORMED = [
    'spiffe://evil@cluster.local/ns/web/sa/frontend',
    'spiffe://cluster.local/ns/web/sa/frontend?x=1',
    'spiffe://cluster.local/ns/web/sa/frontend#x',
    'spiffe://cluster.local:443/ns/web/sa/frontend',
    'spiffe://cluster.local/ns/w%65b/sa/frontend',
    'spiffe://cluster.local/ns/x/../web/sa/frontend',
  ]

  it('a foreign trust domain is not attributed to the PrivateEndpoint listing its namespace; listed in trustDomains it is', async () => {
    const foreign = { ...inventory, sourcePrincipal: 'spiffe://other.example/ns/web/sa/frontend' }
    expect((await check(local, foreign)).http).toBe(403)
    expect((await check(federated, foreign)).http).toBe(200)
    const own = { ...inventory, sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/frontend' }
    expect((await check(local, own)).http).toBe(200)
    expect((await check(federated, own)).http).toBe(200)
    // Listing a domain trusts that domain only: a third one is still foreign.
    const third = { ...inventory, sourcePrincipal: 'spiffe://third.example/ns/web/sa/frontend' }
    expect((await check(federated, third)).http).toBe(403)
  })

  it.each(MALFORMED)('%s is attributed to no PrivateEndpoint', async (sourcePrincipal) => {
    expect((await check(federated, { ...inventory, sourcePrincipal })).http).toBe(403)
  })

  const keyRoutes = [
    ['portcullis:SourceNamespace', 'whoami.example.com', '/ns'],
    ['portcullis:SourceServiceAccount', 'whoami.example.com', '/sa'],
    ['portcullis:SourcePrincipal', 'whoami.example.com', '/principal'],
    ['aws:SourceVpc', 'ops.shop.internal', '/x'],
  ] as const

  it.each(keyRoutes)(
    '%s is set for an id of a configured trust domain',
    async (_key, host, path) => {
      const sourcePrincipal = 'spiffe://cluster.local/ns/ops/sa/default'
      expect((await check(local, { method: 'GET', host, path, sourcePrincipal })).http).toBe(200)
      const fed = 'spiffe://other.example/ns/ops/sa/default'
      expect(
        (await check(federated, { method: 'GET', host, path, sourcePrincipal: fed })).http,
      ).toBe(200)
    },
  )

  it.each(keyRoutes)(
    '%s is absent for a foreign or malformed id (the policy does not match)',
    async (_key, host, path) => {
      for (const sourcePrincipal of [
        'spiffe://other.example/ns/ops/sa/default',
        'spiffe://evil@cluster.local/ns/ops/sa/default',
        'spiffe://cluster.local/ns/ops/sa/default?x=1',
        'spiffe://cluster.local:443/ns/ops/sa/default',
      ]) {
        const a = await check(local, { method: 'GET', host, path, sourcePrincipal })
        expect(a.http, sourcePrincipal).toBe(403)
      }
    },
  )
})
