/**
 * The decision end to end over a compiled snapshot with Kubernetes mode's live index (no API server:
 * the index is fed the records the pod/namespace reflectors would hand it). Proves the wiring
 * through the Decider: a request from a selected pod's IP is attributed to the PrivateEndpoint
 * (the resource policy's `aws:SourceVpce` condition sees its name) and allowed; other IPs and other
 * labels are denied as "not through any endpoint"; a label change on the pod or its namespace
 * changes the next decision without a recompile; the same snapshot without the index (local mode)
 * denies.
 */
import { describe, expect, it } from 'vitest'
import { compileSnapshot } from '../compile/compile-snapshot.js'
import { emptyCompileInput, type CompileInput } from '../compile/compile-input.js'
import type { Snapshot } from '../compile/snapshot.js'
import { Decider } from '../decision/decide.js'
import type { RequestContext } from '../request/request-context.js'
import { WorkloadIndex, slimNamespace, slimPod } from './workload-index.js'
import { privateEndpointSpec, restApiSpec } from '../../test/helpers/specs.js'

const input: CompileInput = {
  ...emptyCompileInput(),
  restApis: [
    {
      ref: { kind: 'RestApi', namespace: 'shop', name: 'inventory' },
      file: 'k',
      spec: restApiSpec({
        accountId: '111122223333',
        region: 'us-east-1',
        hosts: ['inventory.shop.internal'],
        endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['checkout'] },
        policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: '*',
              Action: 'execute-api:Invoke',
              Resource: 'execute-api:/*',
              Condition: { StringEquals: { 'aws:SourceVpce': 'checkout' } },
            },
          ],
        },
        routes: [{ path: '/items', methods: ['GET'], authorizationType: 'NONE' }],
      }),
    },
  ],
  privateEndpoints: [
    {
      ref: { kind: 'PrivateEndpoint', namespace: 'shop', name: 'checkout' },
      file: 'k',
      spec: privateEndpointSpec({
        sources: [
          {
            namespaceSelector: { matchLabels: { team: 'shop' } },
            podSelector: { matchLabels: { app: 'checkout' } },
          },
        ],
      }),
    },
  ],
  services: [],
}

const request = (sourceIp: string): RequestContext => ({
  requestId: 'r',
  method: 'GET',
  path: '/items',
  rawQuery: '',
  authority: 'inventory.shop.internal',
  host: 'inventory.shop.internal',
  scheme: 'http',
  protocol: 'HTTP/1.1',
  headers: new Map(),
  body: undefined,
  bodyPartial: false,
  sourceIp,
  sourcePrincipal: undefined,
  contextExtensions: new Map(),
  timeMs: Date.now(),
})

const podRecord = (labels: Record<string, string>, ip = '10.244.1.7') =>
  slimPod({
    metadata: { name: 'checkout-1', namespace: 'web', labels },
    spec: { serviceAccountName: 'checkout' },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  })

const nsRecord = (labels: Record<string, string>) =>
  slimNamespace({ metadata: { name: 'web', labels } })

function decider(snapshot: Snapshot): Decider {
  return new Decider({ snapshot: () => snapshot, explain: true })
}

describe('PrivateEndpoint attribution by pod identity through the Decider', () => {
  it('allows the selected pod, denies others, and follows label changes without a recompile', async () => {
    const index = new WorkloadIndex()
    const { snapshot, errors, warnings } = compileSnapshot(input, {
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      generation: 1,
      workloads: index,
    })
    expect(errors).toEqual([])
    expect(warnings).toEqual([])
    const d = decider(snapshot)
    const check = async (ip: string) => d.check(request(ip))

    // Nothing indexed yet: fail closed.
    expect(await check('10.244.1.7')).toMatchObject({
      allowed: false,
      code: 'ERR_PRIVATE_NO_ENDPOINT',
    })

    const ns1 = nsRecord({ team: 'shop' })
    const pod1 = podRecord({ app: 'checkout' })
    index.applyNamespace('/web', undefined, ns1)
    index.applyPod('web/checkout-1', undefined, pod1)
    const allowed = await check('10.244.1.7')
    expect(allowed.allowed).toBe(true)
    // The resource policy only allows aws:SourceVpce = checkout: attribution named the endpoint.
    expect(allowed.explain?.notes).toContain('private endpoint shop/checkout')

    expect(await check('10.244.1.8')).toMatchObject({ allowed: false, httpStatus: 403 })

    // The pod's labels change: the same IP is no longer selected.
    const pod2 = podRecord({ app: 'cart' })
    index.applyPod('web/checkout-1', pod1, pod2)
    expect(await check('10.244.1.7')).toMatchObject({
      allowed: false,
      code: 'ERR_PRIVATE_NO_ENDPOINT',
    })
    index.applyPod('web/checkout-1', pod2, pod1)
    expect((await check('10.244.1.7')).allowed).toBe(true)

    // The namespace's labels change: no longer selected either.
    const ns2 = nsRecord({ team: 'other' })
    index.applyNamespace('/web', ns1, ns2)
    expect((await check('10.244.1.7')).allowed).toBe(false)
    index.applyNamespace('/web', ns2, ns1)
    expect((await check('10.244.1.7')).allowed).toBe(true)

    // Local mode: the same configuration without the index never attributes by selector.
    const local = compileSnapshot(input, {
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      generation: 2,
    })
    expect((await decider(local.snapshot).check(request('10.244.1.7'))).allowed).toBe(false)
  })

  it('without the IAM module denies a request to the private API that carries a SigV4 credential anywhere in Authorization, rather than passing it as anonymous', async () => {
    const index = new WorkloadIndex()
    const { snapshot } = compileSnapshot(input, {
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      generation: 1,
      workloads: index,
    })
    index.applyNamespace('/web', undefined, nsRecord({ team: 'shop' }))
    index.applyPod('web/checkout-1', undefined, podRecord({ app: 'checkout' }))
    const withAuthorization = (value: string): RequestContext => ({
      ...request('10.244.1.7'),
      headers: new Map([['authorization', value]]),
    })
    const d = decider(snapshot)
    // A bearer token is not a SigV4 identity: the gate evaluates the caller as anonymous.
    expect((await d.check(withAuthorization('Bearer abc'))).allowed).toBe(true)
    const sig =
      'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00'
    for (const value of [sig, `Bearer abc,${sig}`]) {
      expect(await d.check(withAuthorization(value))).toMatchObject({
        allowed: false,
        code: 'ERR_SIGV4_UNAVAILABLE',
      })
    }
  })

  it('gives policies the pod namespace and service account as aws:SourceVpc / portcullis:Source* keys without SPIFFE', async () => {
    const keyed: CompileInput = {
      ...input,
      restApis: input.restApis.map((a) => ({
        ...a,
        spec: {
          ...a.spec,
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: '*',
                Action: 'execute-api:Invoke',
                Resource: 'execute-api:/*',
                Condition: {
                  StringEquals: {
                    'aws:SourceVpc': 'web',
                    'portcullis:SourceServiceAccount': 'checkout',
                  },
                },
              },
            ],
          },
        },
      })),
    }
    const index = new WorkloadIndex()
    const { snapshot, errors } = compileSnapshot(keyed, {
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      generation: 1,
      workloads: index,
    })
    expect(errors).toEqual([])
    index.applyNamespace('/web', undefined, nsRecord({ team: 'shop' }))
    index.applyPod('web/checkout-1', undefined, podRecord({ app: 'checkout' }))
    expect((await decider(snapshot).check(request('10.244.1.7'))).allowed).toBe(true)
    // Another service account in the same selected pod set: the condition fails, the policy denies.
    index.applyPod(
      'web/checkout-1',
      podRecord({ app: 'checkout' }),
      slimPod({
        metadata: { name: 'checkout-1', namespace: 'web', labels: { app: 'checkout' } },
        spec: { serviceAccountName: 'intruder' },
        status: { phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }] },
      }),
    )
    expect(await decider(snapshot).check(request('10.244.1.7'))).toMatchObject({
      allowed: false,
      httpStatus: 403,
    })
  })
})
