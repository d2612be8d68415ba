/**
 * The JWT / COGNITO_USER_POOLS flow through the real Decider, authn runtime and a real loopback
 * issuer (JWKS over HTTP, RS256 tokens signed by jose): the answer is a plain CheckOutcome, not a
 * Promise, whenever no key fetch is needed (a cached token, or a new token once the issuer's keys
 * are held) and signatures are checked on the event loop, and a cached token yields the very same
 * upstream header list on every hit. With signatures checked in the thread pool
 * (signature-offload.ts) a new token's answer is a Promise holding the same outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthnRuntime, type AuthnRuntime } from '../../src/app/authn-runtime.js'
import { compileSnapshot } from '../../src/compile/compile-snapshot.js'
import { emptyCompileInput, type CompileInput } from '../../src/compile/compile-input.js'
import type { Snapshot } from '../../src/compile/snapshot.js'
import type { RequestContext } from '../../src/request/request-context.js'
import { Decider } from '../../src/decision/decide.js'
import type { CheckOutcome } from '../../src/decision/check-outcome.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'
import { authorizerSpec, restApiSpec } from '../helpers/specs.js'

const HOST = 'pets.example.com'
const issuer = new LoopbackIssuer({ pathPrefix: '/oidc' })
const runtimes: AuthnRuntime[] = []

const input = (withPolicy: boolean): CompileInput => ({
  ...emptyCompileInput(),
  restApis: [
    {
      ref: { kind: 'RestApi', namespace: 'shop', name: 'pets' },
      file: 'k',
      spec: restApiSpec({
        accountId: '111122223333',
        region: 'us-east-1',
        hosts: [HOST],
        ...(withPolicy
          ? {
              policy: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Deny',
                    Principal: '*',
                    Action: 'execute-api:Invoke',
                    Resource: 'execute-api:/*',
                    Condition: { IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } },
                  },
                ],
              },
            }
          : {}),
        routes: [
          {
            path: '/pets',
            methods: ['GET'],
            authorizationType: 'JWT',
            authorizerName: 'oidc',
            authorizationScopes: ['pets/read'],
          },
        ],
      }),
    },
  ],
  authorizers: [
    {
      ref: { kind: 'Authorizer', namespace: 'shop', name: 'oidc' },
      file: 'k',
      spec: authorizerSpec({
        type: 'JWT',
        jwksUri: issuer.jwksUri,
        jwtConfiguration: { issuer: issuer.issuer, audience: ['petstore'] },
      }),
    },
  ],
  services: [],
})

function decider(
  opts: { tokenCacheMax?: number; withPolicy?: boolean; offload?: number } = {},
): Decider {
  const authn = createAuthnRuntime({
    // Signatures on the event loop unless a test asks for the pool: answers stay synchronous.
    jwtOffloadMaxInFlight: opts.offload ?? 0,
    ...(opts.tokenCacheMax === undefined ? {} : { tokenCacheMax: opts.tokenCacheMax }),
  })
  runtimes.push(authn)
  const { snapshot, errors } = compileSnapshot(input(opts.withPolicy ?? false), {
    defaults: { accountId: '111122223333', region: 'us-east-1' },
    generation: 1,
    ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
  })
  expect(errors).toEqual([])
  const current: Snapshot = snapshot
  authn.onSnapshot(current, undefined)
  return new Decider({ snapshot: () => current, flows: authn.flows })
}

const request = (authorization: string, sourceIp = '192.0.2.5'): RequestContext => ({
  requestId: 'r1',
  method: 'GET',
  path: '/pets',
  rawQuery: '',
  authority: HOST,
  host: HOST,
  scheme: 'https',
  protocol: 'HTTP/2',
  headers: new Map([['authorization', authorization]]),
  body: undefined,
  bodyPartial: false,
  sourceIp,
  sourcePrincipal: undefined,
  contextExtensions: new Map(),
  timeMs: Date.now(),
})

const claims = (jti: string): Record<string, unknown> => {
  const now = Math.floor(Date.now() / 1000)
  return { sub: 'alice', aud: 'petstore', scope: 'pets/read', exp: now + 600, iat: now, jti }
}

/** A plain outcome, failing the test if the decider answered with a Promise. */
function plain(outcome: CheckOutcome | Promise<CheckOutcome>): CheckOutcome {
  expect(outcome).not.toBeInstanceOf(Promise)
  return outcome as CheckOutcome
}

beforeAll(async () => {
  await issuer.start()
  await issuer.addKey('RS256', 'k1')
})
afterAll(async () => {
  for (const r of runtimes) r.close()
  await issuer.stop()
})

describe('JWT flow answers without a promise when no I/O is needed', () => {
  it('a cached token: plain outcome, same upstream header list on every hit', async () => {
    const d = decider()
    const header = `Bearer ${await issuer.sign(claims('a'))}`
    const first = d.check(request(header))
    expect(first).toBeInstanceOf(Promise) // keys not held yet: one JWKS fetch
    const allowed = await first
    expect(allowed).toMatchObject({ allowed: true, code: 'ALLOW_TOKEN' })
    const hit1 = plain(d.check(request(header)))
    const hit2 = plain(d.check(request(header)))
    if (!hit1.allowed || !hit2.allowed) throw new Error('expected allows')
    expect(hit1.upstreamHeaders).toContainEqual({ name: 'x-portcullis-principal', value: 'alice' })
    expect(hit1.upstreamHeaders).toContainEqual({
      name: 'x-portcullis-context-claims-scope',
      value: 'pets/read',
    })
    // One context object per verified token: allow-response's per-context cache is hit.
    expect(hit2.upstreamHeaders).toBe(hit1.upstreamHeaders)
  })

  it('a new token whose issuer keys are held: verified synchronously, cache on or off', async () => {
    for (const tokenCacheMax of [10, 0]) {
      const d = decider({ tokenCacheMax })
      await d.check(request(`Bearer ${await issuer.sign(claims('warm'))}`))
      const fresh = plain(d.check(request(`Bearer ${await issuer.sign(claims('fresh'))}`)))
      expect(fresh).toMatchObject({ allowed: true, code: 'ALLOW_TOKEN' })
      const again = plain(d.check(request(`Bearer ${await issuer.sign(claims('fresh'))}`)))
      expect(again).toMatchObject({ allowed: true })
    }
  })

  it('refusals and the resource policy are decided synchronously too', async () => {
    const d = decider({ withPolicy: true })
    const good = `Bearer ${await issuer.sign(claims('p'))}`
    expect(await d.check(request(good))).toMatchObject({ allowed: true })
    // Table A: an explicit Deny in the resource policy wins over a valid token.
    expect(plain(d.check(request(good, '198.51.100.7')))).toMatchObject({
      allowed: false,
      httpStatus: 403,
      code: 'ERR_POLICY_EXPLICIT_DENY',
    })
    const wrongAudience = `Bearer ${await issuer.sign({ ...claims('w'), aud: 'other' })}`
    const refused = plain(d.check(request(wrongAudience)))
    expect(refused).toMatchObject({ allowed: false, httpStatus: 401 })
    if (refused.allowed) throw new Error('expected a denial')
    expect(refused.headers).toContainEqual({
      name: 'www-authenticate',
      value:
        'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
    })
    const noScope = `Bearer ${await issuer.sign({ ...claims('s'), scope: 'pets/write' })}`
    expect(plain(d.check(request(noScope)))).toMatchObject({ allowed: false, httpStatus: 403 })
  })
})

describe('JWT flow with signatures checked in the thread pool', () => {
  it('answers a new token with a Promise of the same outcome; a cached token stays synchronous', async () => {
    const pooled = decider({ withPolicy: true, offload: 16 })
    const inline = decider({ withPolicy: true })
    const warm = `Bearer ${await issuer.sign(claims('pool-warm'))}`
    await pooled.check(request(warm))
    await inline.check(request(warm))
    const cases: [string, string][] = [
      [`Bearer ${await issuer.sign(claims('pool-new'))}`, '192.0.2.5'],
      [`Bearer ${await issuer.sign(claims('pool-denied'))}`, '198.51.100.7'],
      [`Bearer ${await issuer.sign({ ...claims('pool-aud'), aud: 'other' })}`, '192.0.2.5'],
      [`Bearer ${await issuer.sign({ ...claims('pool-scope'), scope: 'x' })}`, '192.0.2.5'],
    ]
    for (const [header, ip] of cases) {
      const viaPool = pooled.check(request(header, ip))
      expect(viaPool).toBeInstanceOf(Promise)
      const onLoop = plain(inline.check(request(header, ip)))
      const strip = (o: CheckOutcome) => ({ ...o, metadata: undefined })
      expect(strip(await viaPool)).toEqual(strip(onLoop))
    }
    // Verified once through the pool, then answered from the token cache without it.
    expect(pooled.check(request(cases[0]?.[0] ?? ''))).not.toBeInstanceOf(Promise)
  })
})
