/**
 * How the Decider accounts for candidate comparisons: every request that meets a candidate ends
 * as exactly one of agree / disagree / skipped, a failure on either side is `skipped` (never a
 * deny compared as if decided), and a request that meets no candidate is not counted at all.
 * The flows are stand-ins, so each case controls exactly how the live and candidate runs end.
 */
import { describe, expect, it } from 'vitest'
import { compileSnapshot } from '../compile/compile-snapshot.js'
import { emptyCompileInput, type CompileInput } from '../compile/compile-input.js'
import type { Snapshot } from '../compile/snapshot.js'
import type { RequestContext } from '../request/request-context.js'
import { principalSpec, restApiSpec } from '../../test/helpers/specs.js'
import { Decider, type CandidateCheckResult, type RolloutHooks } from './decide.js'
import type { CheckOutcome } from './check-outcome.js'
import { allowOutcome, NO_CONTEXT } from './allow-response.js'
import { denyFixed } from './deny-response.js'
import { CANDIDATE_UNDECIDED } from './candidate.js'
import type { Flow } from './flow.js'
import { createIamFlow } from './flows/iam-flow.js'
import { SigningKeyCache } from '../authn/sigv4/index.js'
import { signWithSdk } from '../../test/helpers/sign-request.js'

const ALLOW_ALL = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
  ],
}

const ALLOW_ALL_IDENTITY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
}

function snapshotWith(over: Partial<CompileInput> & { candidate?: boolean }): Snapshot {
  const r = compileSnapshot(
    {
      ...emptyCompileInput(),
      restApis: [
        {
          ref: { kind: 'RestApi', namespace: 'shop', name: 'api' },
          file: 'api.yaml',
          spec: restApiSpec({
            hosts: ['api.example.com'],
            ...(over.candidate === true ? { candidatePolicy: ALLOW_ALL } : {}),
            routes: [
              { path: '/open', methods: ['GET'], authorizationType: 'NONE' },
              { path: '/iam', methods: ['GET'], authorizationType: 'AWS_IAM' },
            ],
          }),
        },
      ],
      principals: over.principals ?? [],
      secrets: over.secrets ?? [],
    },
    { defaults: { accountId: '111122223333', region: 'us-east-1' }, generation: 1 },
  )
  expect(r.errors).toEqual([])
  return r.snapshot
}

const request = (path: string, id = 'r'): RequestContext => ({
  requestId: id,
  method: 'GET',
  path,
  rawQuery: '',
  authority: 'api.example.com',
  host: 'api.example.com',
  scheme: 'http',
  protocol: 'HTTP/1.1',
  headers: new Map(),
  body: undefined,
  bodyPartial: false,
  sourceIp: '192.0.2.1',
  sourcePrincipal: undefined,
  contextExtensions: new Map(),
  timeMs: 0,
})

/** Hooks that record what the decider reports. */
function recorder(): { hooks: RolloutHooks; checks: CandidateCheckResult[]; flips: string[] } {
  const checks: CandidateCheckResult[] = []
  const flips: string[] = []
  return {
    checks,
    flips,
    hooks: {
      logging: false,
      settle: () => undefined,
      disagreement: (_api, live, candidate) => flips.push(`${live}->${candidate}`),
      candidateCheck: (_api, result) => checks.push(result),
    },
  }
}

const allow = (ctx: Parameters<Flow>[0]): CheckOutcome =>
  allowOutcome(ctx.req, { principal: 'p', context: NO_CONTEXT }, 'ALLOW_PUBLIC', ctx.api.ref)

/** Lets the candidate runs (setImmediate, then any promise) finish. */
const settled = () => new Promise((r) => setTimeout(r, 20))

const silent = { error: () => undefined, debug: () => undefined }

/** A Decider over the API with a candidate policy, reporting to `rec`; `none` decides NONE routes. */
function deciderWithCandidate(rec: ReturnType<typeof recorder>, none?: Flow): Decider {
  return new Decider({
    snapshot: () => snapshotWith({ candidate: true }),
    rollout: rec.hooks,
    logger: silent,
    ...(none === undefined ? {} : { flows: { NONE: none } }),
  })
}

describe('candidate comparisons', () => {
  it('counts a candidate that decides like the live configuration as agree, otherwise disagree', async () => {
    const rec = recorder()
    // Live: the API has no policy and NONE routes allow; the candidate policy allows all too.
    const agreeing = deciderWithCandidate(rec)
    expect((await agreeing.check(request('/open'))).allowed).toBe(true)
    // Live allows; the candidate run is denied by its flow.
    const flipping = deciderWithCandidate(rec, (ctx) =>
      ctx.candidate ? denyFixed('forbidden', 'ERR_POLICY_IMPLICIT_DENY', ctx.deny) : allow(ctx),
    )
    expect((await flipping.check(request('/open'))).allowed).toBe(true)
    await settled()
    expect(rec.checks).toEqual(['agree', 'disagree'])
    expect(rec.flips).toEqual(['allow->deny'])
  })

  it('a candidate run that throws is skipped, not compared as a 500 deny', async () => {
    const rec = recorder()
    const decider = deciderWithCandidate(rec, (ctx) => {
      if (ctx.candidate) throw new Error('candidate bug')
      return allow(ctx)
    })
    expect((await decider.check(request('/open'))).allowed).toBe(true)
    await settled()
    expect(rec.checks).toEqual(['skipped'])
    expect(rec.flips).toEqual([])
  })

  it('a candidate run that rejects, or cannot decide without a call, is skipped', async () => {
    const rec = recorder()
    let n = 0
    const decider = deciderWithCandidate(rec, (ctx) => {
      if (!ctx.candidate) return allow(ctx)
      return n++ === 0
        ? Promise.reject(new Error('candidate bug'))
        : denyFixed('authorizer_error', CANDIDATE_UNDECIDED, ctx.deny)
    })
    await decider.check(request('/open'))
    await decider.check(request('/open'))
    await settled()
    expect(rec.checks).toEqual(['skipped', 'skipped'])
    expect(rec.flips).toEqual([])
  })

  it('a live decision that fails denies (500) and its candidate is counted as skipped', async () => {
    const rec = recorder()
    const decider = deciderWithCandidate(rec, (ctx) => {
      if (ctx.req.requestId === 'sync') throw new Error('live bug')
      return Promise.reject(new Error('live bug'))
    })
    const sync = await decider.check(request('/open', 'sync'))
    const async = await decider.check(request('/open', 'async'))
    expect([sync.allowed, async.allowed]).toEqual([false, false])
    expect(sync.code).toBe('ERR_INTERNAL')
    await settled()
    expect(rec.checks).toEqual(['skipped', 'skipped'])
  })

  it('past the bound on waiting candidate runs, requests are counted as skipped', async () => {
    const rec = recorder()
    const decider = deciderWithCandidate(rec)
    // All answered synchronously, before any candidate run gets its turn.
    for (let i = 0; i < 1030; i++) {
      expect(decider.check(request('/open'))).not.toBeInstanceOf(Promise)
    }
    expect(rec.checks).toEqual(Array<string>(6).fill('skipped'))
    await settled()
    expect(rec.checks.filter((c) => c === 'agree')).toHaveLength(1024)
  })

  it('without any candidate on the API or its callers, nothing is compared or counted', async () => {
    const rec = recorder()
    const decider = new Decider({ snapshot: () => snapshotWith({}), rollout: rec.hooks })
    await decider.check(request('/open'))
    await settled()
    expect(rec.checks).toEqual([])
  })

  it('an AWS_IAM request counts only when its signer has a candidate, decided with it', async () => {
    const principal = (name: string, keyId: string, trial: boolean) => ({
      ref: { kind: 'Principal', namespace: 'shop', name },
      file: 'p.yaml',
      spec: principalSpec({
        arn: `arn:aws:iam::111122223333:user/${name}`,
        accessKeys: [{ accessKeyId: keyId, secretAccessKeyRef: { name: 'keys', key: name } }],
        policies: [{ policyName: 'live', policyDocument: ALLOW_ALL_IDENTITY }],
        // bob's trial: no inline policy at all.
        ...(trial ? { candidatePolicies: [] } : {}),
      }),
    })
    const snapshot = snapshotWith({
      principals: [
        principal('bob', 'AKIABOBUNITEXAMPLE01', true),
        principal('carl', 'AKIACARLUNITEXAMPLE1', false),
      ],
      secrets: [
        {
          ref: { kind: 'Secret', namespace: 'shop', name: 'keys' },
          file: 's.yaml',
          data: { bob: 'bob-secret', carl: 'carl-secret' },
        },
      ],
    })
    expect(snapshot.apisByRef.get('shop/api')?.rollout?.identityCandidates).toBe(true)
    const rec = recorder()
    const decider = new Decider({
      snapshot: () => snapshot,
      rollout: rec.hooks,
      flows: { AWS_IAM: createIamFlow(new SigningKeyCache()) },
    })
    const signed = async (accessKeyId: string, secretAccessKey: string) => {
      const headers = await signWithSdk({
        method: 'GET',
        host: 'api.example.com',
        path: '/iam',
        accessKeyId,
        secretAccessKey,
      })
      return {
        ...request('/iam'),
        headers: new Map([...Object.entries(headers), ['host', 'api.example.com']]),
        timeMs: Date.now(),
      }
    }
    const bob = await decider.check(await signed('AKIABOBUNITEXAMPLE01', 'bob-secret'))
    const carl = await decider.check(await signed('AKIACARLUNITEXAMPLE1', 'carl-secret'))
    expect([bob.allowed, carl.allowed]).toEqual([true, true])
    await settled()
    // bob's candidate (no identity policy) denies what his live policy allows; carl has none.
    expect(rec.checks).toEqual(['disagree'])
    expect(rec.flips).toEqual(['allow->deny'])
  })
})
