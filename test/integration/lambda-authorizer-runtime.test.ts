/**
 * LambdaAuthorizerRuntime against real HTTP authorizers on loopback: one written like AWS's TOKEN
 * authorizer example and blueprints (allow / deny / Unauthorized by token, wildcard and
 * method-scoped policies), one answering on the Lambda runtime interface emulator path with Lambda
 * error bodies. Invocation counts prove when a call happens and when the cache answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  compileLambdaAuthorizerConfig,
  LambdaAuthorizerRuntime,
  type AuthorizerRequest,
  type LambdaAuthorizerConfig,
  type LambdaAuthorizerSpecInput,
  type LambdaOutcome,
} from '../../src/authn/lambda/index.js'
import type { CompiledPolicy } from '../../src/policy/index.js'
import {
  authorizerRequest,
  compileAuthorizerPolicy,
  decisionFor,
  requestContext,
  startAuthorizerPeer,
  type AuthorizerPeer,
  type PeerAnswer,
} from '../helpers/lambda-authorizer-peer.js'

const RIE_PATH = '/2015-03-31/functions/function/invocations'

/** The blueprint's way to read the method ARN: region, account, API id and stage. */
function arnParts(methodArn: string) {
  const [, , , region, account, rest] = methodArn.split(':')
  const [apiId, stage] = (rest ?? '').split('/')
  return { region, account, apiId, stage }
}

function generatePolicy(principalId: string, effect: string, resource: string | string[]) {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    // AWS's example: context values of the String, Number or Boolean type.
    context: { stringKey: 'stringval', numberKey: 123, booleanKey: true },
  }
}

/** AWS's TOKEN authorizer example, answering over HTTP (Unauthorized → 401, other errors → 500). */
function blueprint(event: Record<string, unknown>): PeerAnswer {
  const methodArn = String(event['methodArn'])
  const { region, account, apiId, stage } = arnParts(methodArn)
  const base = `arn:aws:execute-api:${region}:${account}:${apiId}/${stage}`
  switch (event['authorizationToken']) {
    case 'allow':
      return { body: generatePolicy('user', 'Allow', methodArn) }
    case 'deny':
      return { body: generatePolicy('user', 'Deny', methodArn) }
    case 'allow-all': // blueprint AuthPolicy.allowAllMethods()
      return { body: generatePolicy('admin', 'Allow', `${base}/*/*`) }
    case 'get-pets': // blueprint AuthPolicy.allowMethod(HttpVerb.GET, '/pets/*')
      return { body: generatePolicy('reader', 'Allow', [`${base}/GET/pets/*`]) }
    case 'unauthorized':
      return { status: 401, body: { message: 'Unauthorized' } }
    default:
      return { status: 500, body: { errorMessage: 'Error: Invalid token' } }
  }
}

/** The same function behind AWS's Lambda runtime interface emulator: errors come back as 200. */
function emulator(event: Record<string, unknown>): PeerAnswer {
  switch (event['authorizationToken']) {
    case 'allow':
      return { body: generatePolicy('user', 'Allow', String(event['methodArn'])) }
    case 'unauthorized': // Node: callback('Unauthorized') / throw new Error('Unauthorized')
      return { body: { errorMessage: 'Unauthorized', errorType: 'Error', trace: [] } }
    case 'py-unauthorized': // Python: raise Exception('Unauthorized')
      return {
        body: {
          errorMessage: 'Unauthorized',
          errorType: 'Exception',
          requestId: 'r',
          stackTrace: [],
        },
      }
    default:
      return { body: { errorMessage: 'Error: Invalid token', errorType: 'Error' } }
  }
}

let bp: AuthorizerPeer
let rie: AuthorizerPeer
let clock = 1_000_000
const cacheEvents: string[] = []
const invokes: string[] = []
let runtime: LambdaAuthorizerRuntime<CompiledPolicy>

beforeAll(async () => {
  bp = await startAuthorizerPeer(blueprint)
  rie = await startAuthorizerPeer(emulator, RIE_PATH)
})
afterAll(async () => {
  await Promise.all([bp.close(), rie.close()])
})
beforeEach(() => {
  runtime?.close()
  clock = 1_000_000
  cacheEvents.length = 0
  invokes.length = 0
  bp.calls = 0
  rie.calls = 0
  runtime = new LambdaAuthorizerRuntime({
    compilePolicy: compileAuthorizerPolicy,
    now: () => clock,
    onCache: (r) => cacheEvents.push(r),
    onInvoke: (id, outcome) => invokes.push(`${id}:${outcome}`),
  })
})

function tokenConfig(
  spec: Partial<LambdaAuthorizerSpecInput> = {},
  uri = bp.url,
): LambdaAuthorizerConfig {
  const r = compileLambdaAuthorizerConfig('shop/token-auth', {
    type: 'TOKEN',
    authorizerUri: uri,
    identitySource: 'method.request.header.Authorization',
    ...spec,
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}

function req(token: string | undefined, method = 'GET', path = '/pets/1'): AuthorizerRequest {
  return authorizerRequest({
    req: requestContext({
      method,
      path,
      headers: token === undefined ? {} : { authorization: token },
    }),
  })
}

function policyOf(o: LambdaOutcome<CompiledPolicy>) {
  if (o.kind !== 'policy') throw new Error(`expected a policy, got ${JSON.stringify(o)}`)
  return o
}

describe('AWS TOKEN authorizer example over HTTP', () => {
  it("token 'allow' → policy allowing this methodArn, context stringified, principalId kept", async () => {
    const input = req('allow')
    const out = policyOf(await runtime.authorize(tokenConfig(), input))
    expect(out.principalId).toBe('user')
    expect(out.context).toEqual({ stringKey: 'stringval', numberKey: '123', booleanKey: 'true' })
    expect(out.cached).toBe(false)
    expect(decisionFor(out.policy, input.methodArn)).toBe('Allow')
    expect(bp.calls).toBe(1)
    expect(invokes).toEqual(['shop/token-auth:answered'])
  })

  it("token 'deny' → a Deny policy (the decider turns it into 403 explicit deny)", async () => {
    const input = req('deny')
    const out = policyOf(await runtime.authorize(tokenConfig(), input))
    expect(decisionFor(out.policy, input.methodArn)).toBe('Deny')
  })

  it("token 'unauthorized' → 401 outcome, and it is not cached (second request calls again)", async () => {
    const c = tokenConfig()
    expect(await runtime.authorize(c, req('unauthorized'))).toEqual({
      kind: 'unauthorized',
      reason: 'authorizer_unauthorized',
    })
    await runtime.authorize(c, req('unauthorized'))
    expect(bp.calls).toBe(2)
    expect(cacheEvents).toEqual(['miss', 'miss'])
  })

  it('any other token → the function fails → 500 error outcome, not cached', async () => {
    const c = tokenConfig()
    expect(await runtime.authorize(c, req('bogus'))).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_STATUS',
    })
    await runtime.authorize(c, req('bogus'))
    expect(bp.calls).toBe(2)
  })

  it('wildcard policy (allowAllMethods): one call serves other methods and paths from the cache', async () => {
    const c = tokenConfig()
    const a = req('allow-all', 'GET', '/pets/1')
    const b = req('allow-all', 'DELETE', '/orders/9')
    const first = policyOf(await runtime.authorize(c, a))
    const second = policyOf(await runtime.authorize(c, b))
    expect(bp.calls).toBe(1)
    expect(second.cached).toBe(true)
    expect(decisionFor(first.policy, a.methodArn)).toBe('Allow')
    expect(decisionFor(second.policy, b.methodArn)).toBe('Allow')
  })

  it('method-scoped policy: the cached output is re-evaluated per methodArn (other method → implicit deny)', async () => {
    const c = tokenConfig()
    const get = req('get-pets', 'GET', '/pets/1')
    const del = req('get-pets', 'DELETE', '/pets/1')
    expect(decisionFor(policyOf(await runtime.authorize(c, get)).policy, get.methodArn)).toBe(
      'Allow',
    )
    const cached = policyOf(await runtime.authorize(c, del))
    expect(cached.cached).toBe(true)
    expect(bp.calls).toBe(1)
    // AWS: a cached policy not covering the new methodArn → 403 "not authorized" (Neither here).
    expect(decisionFor(cached.policy, del.methodArn)).toBe('Neither')
  })

  it("'allow' is scoped to the first request's methodArn; the cached copy does not cover another path (AWS's caching pitfall)", async () => {
    const c = tokenConfig()
    const one = req('allow', 'GET', '/pets/1')
    const two = req('allow', 'GET', '/pets/2')
    await runtime.authorize(c, one)
    const out = policyOf(await runtime.authorize(c, two))
    expect(out.cached).toBe(true)
    expect(decisionFor(out.policy, two.methodArn)).toBe('Neither')
  })
})

describe('no call without a valid identity', () => {
  it('missing or empty token header → 401 without calling the authorizer', async () => {
    const c = tokenConfig()
    expect(await runtime.authorize(c, req(undefined))).toEqual({
      kind: 'unauthorized',
      reason: 'identity_missing',
    })
    expect(await runtime.authorize(c, req(''))).toEqual({
      kind: 'unauthorized',
      reason: 'identity_missing',
    })
    expect(bp.calls).toBe(0)
    expect(invokes).toEqual([])
  })

  it('token failing identityValidationExpression (whole-value match) → 401 without a call', async () => {
    const c = tokenConfig({ identityValidationExpression: 'allow|deny' })
    expect(await runtime.authorize(c, req('allow-all'))).toEqual({
      kind: 'unauthorized',
      reason: 'identity_invalid',
    })
    expect(bp.calls).toBe(0)
    expect((await runtime.authorize(c, req('allow'))).kind).toBe('policy')
    expect(bp.calls).toBe(1)
  })

  it('REQUEST authorizer: one identity source missing → 401 without a call', async () => {
    const r = compileLambdaAuthorizerConfig('shop/req', {
      type: 'REQUEST',
      authorizerUri: bp.url,
      identitySource: 'method.request.header.Authorization, method.request.querystring.tenant',
    })
    if (!r.ok) throw new Error('compile')
    const input = authorizerRequest({
      req: requestContext({ headers: { authorization: 'allow' } }),
    })
    expect(await runtime.authorize(r.config, input)).toEqual({
      kind: 'unauthorized',
      reason: 'identity_missing',
    })
    expect(bp.calls).toBe(0)
  })
})

describe('cache', () => {
  it('N sequential requests with the same token → one call', async () => {
    const c = tokenConfig()
    for (let i = 0; i < 10; i++) await runtime.authorize(c, req('allow-all', 'GET', `/pets/${i}`))
    expect(bp.calls).toBe(1)
    expect(cacheEvents.filter((e) => e === 'hit')).toHaveLength(9)
    expect(cacheEvents.filter((e) => e === 'miss')).toHaveLength(1)
  })

  it('N concurrent requests with the same token → one call (in-flight merge)', async () => {
    const c = tokenConfig()
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.resolve(runtime.authorize(c, req('allow-all', 'GET', `/pets/${i}`))),
      ),
    )
    expect(bp.calls).toBe(1)
    expect(outs.every((o) => o.kind === 'policy')).toBe(true)
    expect(outs.filter((o) => o.kind === 'policy' && !o.cached)).toHaveLength(1)
  })

  it('different tokens are different entries', async () => {
    const c = tokenConfig()
    await runtime.authorize(c, req('allow-all'))
    await runtime.authorize(c, req('allow'))
    await runtime.authorize(c, req('allow-all'))
    expect(bp.calls).toBe(2)
  })

  it('after the TTL a new call is made (injected clock)', async () => {
    const c = tokenConfig({ authorizerResultTtlInSeconds: 300 })
    await runtime.authorize(c, req('allow-all'))
    clock += 299_000
    await runtime.authorize(c, req('allow-all'))
    expect(bp.calls).toBe(1)
    clock += 2_000
    const out = policyOf(await runtime.authorize(c, req('allow-all')))
    expect(out.cached).toBe(false)
    expect(bp.calls).toBe(2)
  })

  it('a changed configuration (new revision) never gets the old output', async () => {
    const v1 = tokenConfig({ authorizerResultTtlInSeconds: 300 })
    const v2 = tokenConfig({ authorizerResultTtlInSeconds: 600 })
    expect(v1.revision).not.toBe(v2.revision)
    await runtime.authorize(v1, req('allow-all'))
    expect(policyOf(await runtime.authorize(v2, req('allow-all'))).cached).toBe(false)
    expect(bp.calls).toBe(2)
  })

  it('TTL 0 → every request calls, sequential and concurrent', async () => {
    const c = tokenConfig({ authorizerResultTtlInSeconds: 0 })
    await runtime.authorize(c, req('allow-all'))
    await runtime.authorize(c, req('allow-all'))
    await Promise.all([1, 2, 3].map(() => Promise.resolve(runtime.authorize(c, req('allow-all')))))
    expect(bp.calls).toBe(5)
    expect(cacheEvents).toEqual([])
  })

  it('Deny outputs are cached like Allow outputs', async () => {
    const c = tokenConfig()
    await runtime.authorize(c, req('deny'))
    const out = policyOf(await runtime.authorize(c, req('deny')))
    expect(out.cached).toBe(true)
    expect(bp.calls).toBe(1)
  })

  it('the cache is bounded (cacheMaxEntries): the oldest entry is evicted', async () => {
    const small = new LambdaAuthorizerRuntime({
      compilePolicy: compileAuthorizerPolicy,
      cacheMaxEntries: 1,
    })
    try {
      const c = tokenConfig()
      await small.authorize(c, req('allow-all'))
      await small.authorize(c, req('allow'))
      await small.authorize(c, req('allow-all'))
      expect(bp.calls).toBe(3)
    } finally {
      small.close()
    }
  })

  it('keep-alive: sequential calls to one authorizer share one connection', async () => {
    const fresh = await startAuthorizerPeer(blueprint)
    try {
      const c = tokenConfig({ authorizerResultTtlInSeconds: 0 }, fresh.url)
      for (let i = 0; i < 5; i++) await runtime.authorize(c, req('allow'))
      expect(fresh.calls).toBe(5)
      expect(fresh.sockets.size).toBe(1)
    } finally {
      await fresh.close()
    }
  })
})

describe('Lambda runtime interface emulator endpoint', () => {
  const rieConfig = () => tokenConfig({}, rie.url)

  it('answers policies on /2015-03-31/functions/function/invocations', async () => {
    expect(rie.url.endsWith(RIE_PATH)).toBe(true)
    const out = policyOf(await runtime.authorize(rieConfig(), req('allow')))
    expect(out.principalId).toBe('user')
  })

  it('Node-style {"errorMessage":"Unauthorized","errorType":"Error"} with 200 → 401, not cached', async () => {
    const c = rieConfig()
    for (let i = 0; i < 2; i++) {
      expect(await runtime.authorize(c, req('unauthorized'))).toEqual({
        kind: 'unauthorized',
        reason: 'authorizer_unauthorized',
      })
    }
    expect(rie.calls).toBe(2)
  })

  it("Python-style raise Exception('Unauthorized') body → 401", async () => {
    expect(await runtime.authorize(rieConfig(), req('py-unauthorized'))).toEqual({
      kind: 'unauthorized',
      reason: 'authorizer_unauthorized',
    })
  })

  it('any other function error → 500 (ERR_LAMBDA_FUNCTION_ERROR), not cached', async () => {
    const c = rieConfig()
    expect(await runtime.authorize(c, req('bogus'))).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_FUNCTION_ERROR',
    })
    await runtime.authorize(c, req('bogus'))
    expect(rie.calls).toBe(2)
  })
})

describe('HTTP API payload 2.0 simple responses', () => {
  it('isAuthorized true/false by header, cached per identity value', async () => {
    const simple = await startAuthorizerPeer((event) => {
      const headers = event['headers'] as Record<string, string>
      return {
        body: { isAuthorized: headers['authorization'] === 'secretToken', context: { user: 'u1' } },
      }
    })
    try {
      const r = compileLambdaAuthorizerConfig('shop/simple', {
        type: 'REQUEST',
        authorizerUri: simple.url,
        identitySource: '$request.header.Authorization',
        payloadFormatVersion: '2.0',
        enableSimpleResponses: true,
      })
      if (!r.ok) throw new Error('compile')
      const input = (t: string) =>
        authorizerRequest({ req: requestContext({ headers: { authorization: t } }) })
      expect(await runtime.authorize(r.config, input('secretToken'))).toEqual({
        kind: 'simple',
        isAuthorized: true,
        context: { user: 'u1' },
        cached: false,
      })
      expect(await runtime.authorize(r.config, input('secretToken'))).toMatchObject({
        cached: true,
      })
      expect(await runtime.authorize(r.config, input('wrong'))).toMatchObject({
        kind: 'simple',
        isAuthorized: false,
      })
      expect(simple.calls).toBe(2)
    } finally {
      await simple.close()
    }
  })
})
