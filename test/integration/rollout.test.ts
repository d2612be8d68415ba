/**
 * Dry-run, candidate policies and decision logs through the real gRPC server (official Envoy
 * protos): what dry-run lets through and reports, the exact disagreement counts of a candidate
 * policy on a mixed request set, decision lines that validate against the documented schema, and
 * a decision-log stream that stops reading without slowing checks down.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { runCheck } from '../helpers/cli.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'
import { ALICE, signWithSdk } from '../helpers/sign-request.js'
import { LoopbackIssuer } from '../helpers/jwt-loopback-issuer.js'

const ROLLOUT_API = `apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: rollout, namespace: shop}
spec:
  hosts: [rollout.example.com]
  decisionLog: {enabled: true}
  policy:
    Version: "2012-10-17"
    Statement:
      - {Sid: LiveReads, Effect: Allow, Principal: "*", Action: execute-api:Invoke,
         Resource: [execute-api:/*/GET/pets, execute-api:/*/GET/pets/*]}
  candidatePolicy:
    Version: "2012-10-17"
    Statement:
      - {Sid: TrialReads, Effect: Allow, Principal: "*", Action: execute-api:Invoke,
         Resource: [execute-api:/*/GET/pets/*, execute-api:/*/GET/trial]}
  routes:
    - {path: /pets, methods: [GET], authorizationType: NONE}
    - {path: "/pets/{id}", methods: [GET], authorizationType: NONE}
    - {path: /trial, methods: [GET], authorizationType: NONE, enforcement: DryRun}
    - {path: /enforced, methods: [GET], authorizationType: NONE}
---
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: dry, namespace: shop}
spec:
  hosts: [dry.example.com]
  enforcement: DryRun
  decisionLog: {enabled: true, denyOnly: true}
  policy:
    Version: "2012-10-17"
    Statement:
      - {Sid: OnlyOpen, Effect: Allow, Principal: "*", Action: execute-api:Invoke,
         Resource: execute-api:/*/GET/open}
  routes:
    - {path: "/{proxy+}", methods: [ANY], authorizationType: NONE}
`

interface Line {
  readonly [k: string]: unknown
}

async function loadSchema(): Promise<(v: unknown) => boolean> {
  const schema = JSON.parse(await readFile('docs/decision-log.schema.json', 'utf8')) as object
  const validate = new Ajv({ allErrors: true }).compile(schema)
  return (v) => {
    const ok = validate(v)
    if (!ok) throw new Error(`${JSON.stringify(v)}: ${JSON.stringify(validate.errors)}`)
    return ok
  }
}

/** The decision-log schema every line must validate against. */
const valid = await loadSchema()

/**
 * A sink that keeps every line written to it; `flips(prefix)` are the lines of requests whose id
 * starts with `prefix` that carry a candidate answer (the candidate disagreed).
 */
function lineSink(): { stream: Writable; lines: () => Line[]; flips: (prefix: string) => Line[] } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8')
      done()
    },
  })
  const lines = () =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line)
  return {
    stream,
    lines,
    flips: (prefix) =>
      lines().filter(
        (l) => String(l['requestId']).startsWith(prefix) && l['candidate'] !== undefined,
      ),
  }
}

/**
 * The app over a fresh folder that `fill` writes, its decision log into `sink`, with a gRPC client
 * (official protos); `stop` closes both and removes the folder.
 */
async function startLoggedApp(
  prefix: string,
  sink: { stream: Writable },
  fill: (dir: string) => Promise<void>,
): Promise<{
  dir: string
  app: RunningApp
  client: OfficialCheckClient
  stop: () => Promise<void>
}> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await fill(dir)
  const app = await startApp({ ...loopbackAppOptions(), configDir: dir, decisionLog: sink.stream })
  const client = createOfficialCheckClient(`127.0.0.1:${String(app.grpcPort)}`)
  return {
    dir,
    app,
    client,
    stop: async () => {
      client.close()
      await app.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** `portcullis check --candidate` against the configuration folder `dir`. */
function checkCandidate(dir: string, method: string, url: string, extra: readonly string[] = []) {
  return runCheck(['--config', dir, '--method', method, '--url', url, ...extra, '--candidate'])
}

async function metricsText(app: RunningApp): Promise<string> {
  return (await fetch(`http://127.0.0.1:${String(app.metricsPort)}/metrics`)).text()
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

describe('rollout through gRPC', () => {
  let app: RunningApp
  let client: OfficialCheckClient
  let stop: (() => Promise<void>) | undefined
  const sink = lineSink()

  beforeAll(async () => {
    ;({ app, client, stop } = await startLoggedApp('rollout-', sink, async (dir) => {
      await cp('examples/quickstart', dir, { recursive: true })
      await writeFile(join(dir, 'rollout.yaml'), ROLLOUT_API)
      // The quick start's petstore with its decision log on: IAM lines name the caller.
      const petstore = await readFile(join(dir, 'petstore.yaml'), 'utf8')
      await writeFile(
        join(dir, 'petstore.yaml'),
        petstore.replace('  stage: prod\n', '  stage: prod\n  decisionLog: {enabled: true}\n'),
      )
    }))
  })
  afterAll(() => stop?.())

  const check = async (
    host: string,
    path: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ) => answer(await client.check(buildCheckRequest({ host, path, method, headers })))

  it('dry-run allows what enforcement denies, tells the upstream, and overwrites a client copy of the header', async () => {
    const enforced = await check('rollout.example.com', '/enforced')
    expect(enforced.http).toBe(403)
    const dry = await check('rollout.example.com', '/trial', {
      'x-portcullis-dry-run': 'allow 200 FORGED',
    })
    expect(dry.http).toBe(200)
    expect(dry.headers['x-portcullis-dry-run']).toBe('deny 403 ERR_POLICY_IMPLICIT_DENY')
    // Ours overwrites the client's: listing the name for removal would remove ours too.
    expect(dry.removed).not.toContain('x-portcullis-dry-run')
    // A whole API in dry-run: would-be allows are reported too.
    const open = await check('dry.example.com', '/open')
    expect(open.headers['x-portcullis-dry-run']).toBe('allow 200 ALLOW_RESOURCE_POLICY')
    const closed = await check('dry.example.com', '/closed')
    expect(closed.http).toBe(200)
    expect(closed.headers['x-portcullis-dry-run']).toBe('deny 403 ERR_POLICY_IMPLICIT_DENY')
    const text = await metricsText(app)
    expect(
      metricValue(
        text,
        'portcullis_check_requests_total{api="shop/dry",decision="deny",code="ERR_POLICY_IMPLICIT_DENY",enforcement="dry_run"}',
      ),
    ).toBeGreaterThanOrEqual(1)
    expect(
      metricValue(
        text,
        'portcullis_check_requests_total{api="shop/rollout",decision="deny",code="ERR_POLICY_IMPLICIT_DENY",enforcement="enforce"}',
      ),
    ).toBeGreaterThanOrEqual(1)
  })

  it('dry-run never relaxes an ambiguous path', async () => {
    const r = await check('dry.example.com', '/a/%2e%2e/open')
    expect(r.http).not.toBe(200)
    expect(r.headers['x-portcullis-dry-run']).toBeUndefined()
  })

  it('counts candidate disagreements exactly on a mixed request set', async () => {
    const before = await metricsText(app)
    const series = (live: string, cand: string) =>
      `portcullis_candidate_disagreements_total{api="shop/rollout",live="${live}",candidate="${cand}"}`
    const base = {
      allowDeny: metricValue(before, series('allow', 'deny')),
      denyAllow: metricValue(before, series('deny', 'allow')),
    }
    const set = [
      ...Array<string>(3).fill('/pets'), // live allows, the candidate denies
      ...Array<string>(2).fill('/trial'), // live (dry-run) would deny, the candidate allows
      ...Array<string>(4).fill('/pets/1'), // both allow
      ...Array<string>(2).fill('/enforced'), // both deny
    ]
    await Promise.all(
      set.map((p, i) => check('rollout.example.com', p, { 'x-request-id': `mix-${String(i)}` })),
    )
    await vi.waitFor(
      async () => {
        const text = await metricsText(app)
        expect(metricValue(text, series('allow', 'deny')) - base.allowDeny).toBe(3)
        expect(metricValue(text, series('deny', 'allow')) - base.denyAllow).toBe(2)
      },
      { timeout: 5000, interval: 50 },
    )
    // Nothing more arrives later: the counts are exact, not lower bounds.
    await new Promise((r) => setTimeout(r, 100))
    const text = await metricsText(app)
    expect(metricValue(text, series('allow', 'deny')) - base.allowDeny).toBe(3)
    expect(metricValue(text, series('deny', 'allow')) - base.denyAllow).toBe(2)
    // Each disagreement has its line, with both answers.
    await vi.waitFor(() => {
      const flips = sink.flips('mix-')
      expect(flips.filter((l) => l['path'] === '/pets')).toHaveLength(3)
      expect(flips.filter((l) => l['path'] === '/trial')).toHaveLength(2)
      expect(flips).toHaveLength(5)
      expect(flips.find((l) => l['path'] === '/pets')?.['candidate']).toEqual({
        decision: 'deny',
        status: 403,
        code: 'ERR_POLICY_IMPLICIT_DENY',
        sources: ['candidatePolicy'],
      })
    })
  })

  it('writes decision lines that validate against the schema, with the caller and the deciding statements', async () => {
    const signed = await signWithSdk({
      method: 'DELETE',
      host: 'petstore.example.com',
      path: '/pets/7',
      ...ALICE,
    })
    const r = await check(
      'petstore.example.com',
      '/pets/7',
      { ...signed, 'x-request-id': 'req-iam-7' },
      'DELETE',
    )
    expect(r.http).toBe(200)
    await check('rollout.example.com', '/pets/9?secret-query=1', { 'x-request-id': 'req-q' })
    await check('dry.example.com', '/closed', { 'x-request-id': 'req-dry' })
    await check('dry.example.com', '/open', { 'x-request-id': 'req-dry-open' })
    await vi.waitFor(() => {
      const ids = sink.lines().map((l) => l['requestId'])
      expect(ids).toEqual(expect.arrayContaining(['req-iam-7', 'req-q', 'req-dry']))
    })
    const lines = sink.lines()
    for (const l of lines) valid(l)
    const byId = (id: string) => lines.find((l) => l['requestId'] === id)
    expect(byId('req-iam-7')).toMatchObject({
      api: 'shop/petstore',
      stage: 'prod',
      route: '/pets/{petId}',
      method: 'DELETE',
      path: '/pets/7',
      principal: 'arn:aws:iam::111122223333:user/alice',
      authorizationType: 'AWS_IAM',
      decision: 'allow',
      code: 'ALLOW_IAM',
      status: 200,
      enforcement: 'enforce',
      statements: [{ policy: 'inline:pets-write', sid: null }],
    })
    expect(byId('req-q')).toMatchObject({
      path: '/pets/9',
      route: '/pets/{id}',
      statements: [{ policy: 'resource-policy', sid: 'LiveReads' }],
    })
    expect(JSON.stringify(lines)).not.toContain('secret-query')
    expect(byId('req-dry')).toMatchObject({
      decision: 'deny',
      status: 403,
      code: 'ERR_POLICY_IMPLICIT_DENY',
      enforcement: 'dry_run',
    })
    // denyOnly: the dry API's allows get no line.
    expect(byId('req-dry-open')).toBeUndefined()
  })
})

describe('a decision-log stream that stops reading', () => {
  /** p99 of `n` sequential checks, in ms. */
  async function p99(client: ReturnType<typeof createOfficialCheckClient>, n: number) {
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      await client.check(buildCheckRequest({ host: 'dry.example.com', path: `/x/${i}` }))
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    return times[Math.floor(n * 0.99)] ?? 0
  }

  async function run(stream: Writable) {
    const dir = await mkdtemp(join(tmpdir(), 'rollout-blocked-'))
    await writeFile(join(dir, 'rollout.yaml'), ROLLOUT_API)
    const app = await startApp({
      ...loopbackAppOptions(),
      configDir: dir,
      decisionLog: stream,
      decisionLogQueue: 64,
    })
    const client = createOfficialCheckClient(`127.0.0.1:${String(app.grpcPort)}`)
    try {
      await p99(client, 50) // warm-up
      const p = await p99(client, 400)
      const text = await metricsText(app)
      return {
        p99: p,
        dropped: metricValue(text, 'portcullis_decision_log_dropped_total'),
        written: metricValue(text, 'portcullis_decision_log_lines_total'),
      }
    } finally {
      client.close()
      await app.close()
      await rm(dir, { recursive: true, force: true })
    }
  }

  it('keeps checks as fast as with a reading stream, and counts the lines it drops', async () => {
    const reading = await run(lineSink().stream)
    // A reader that never reads: after the stream's own buffer, write() answers false forever.
    const stuck = new Writable({
      highWaterMark: 1024,
      write() {
        // Never calls back: the stream stays full.
      },
    })
    const blocked = await run(stuck)
    expect(reading.dropped).toBe(0)
    expect(reading.written).toBeGreaterThanOrEqual(450)
    // 450 denials logged (denyOnly) into a queue of 64: all but the first lines are dropped.
    expect(blocked.dropped).toBeGreaterThan(300)
    expect(blocked.written).toBeLessThan(150)
    // Generous (the machine is shared): a check waiting on the stuck stream would never answer.
    expect(blocked.p99).toBeLessThan(reading.p99 * 5 + 50)
  })
})

describe('portcullis check --candidate', () => {
  it('prints the live and the candidate answers, exit code from the live one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollout-cli-'))
    await writeFile(join(dir, 'rollout.yaml'), ROLLOUT_API)
    try {
      const { code, out: text } = await checkCandidate(
        dir,
        'GET',
        'http://rollout.example.com/pets',
        ['--json'],
      )
      expect(code).toBe(0)
      const printed = JSON.parse(text) as {
        decision: string
        candidate: { decision: string; code: string; statements: unknown[] }
      }
      expect(printed.decision).toBe('allow')
      expect(printed.candidate.decision).toBe('deny')
      expect(printed.candidate.code).toBe('ERR_POLICY_IMPLICIT_DENY')
      const { out: plain } = await checkCandidate(dir, 'GET', 'http://rollout.example.com/trial')
      // Live: the dry-run route's would-be denial; candidate: TrialReads allows it.
      expect(plain).toContain('x-portcullis-dry-run: deny 403 ERR_POLICY_IMPLICIT_DENY')
      expect(plain).toContain('Sid TrialReads')
      expect(plain).toContain('candidate (candidatePolicy):')
      expect(plain).toContain('the candidate decides otherwise')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** An API whose callers' Principal and token Authorizer carry candidates; its own policy none. */
function identityTrial(issuer: LoopbackIssuer): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: bob-keys, namespace: trial}
stringData: {secret: ${BOB.secretAccessKey}}
---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: bob, namespace: trial}
spec:
  arn: "arn:aws:iam::111122223333:user/bob"
  accessKeys: [{accessKeyId: ${BOB.accessKeyId}, secretAccessKeyRef: {name: bob-keys, key: secret}}]
  policies:
    - policyName: reads
      policyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: LiveGet, Effect: Allow, Action: execute-api:Invoke,
             Resource: "arn:aws:execute-api:us-east-1:111122223333:identity/prod/GET/items/*"}
  candidatePolicies:
    - policyName: reads
      policyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: TrialDelete, Effect: Allow, Action: execute-api:Invoke,
             Resource: ["arn:aws:execute-api:us-east-1:111122223333:identity/prod/DELETE/items/*",
                        "arn:aws:execute-api:us-east-1:111122223333:identity/prod/GET/items/public"]}
---
apiVersion: portcullis.dev/v1alpha1
kind: Authorizer
metadata: {name: oidc-trial, namespace: trial}
spec:
  type: JWT
  jwtConfiguration: {issuer: "${issuer.issuer}", audience: [petstore]}
  jwksUri: "${issuer.jwksUri}"
  candidate: {audience: [petstore-v2]}
---
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: identity, namespace: trial}
spec:
  accountId: "111122223333"
  region: us-east-1
  stage: prod
  hosts: [identity.example.com]
  decisionLog: {enabled: true, sample: 0}
  routes:
    - {path: "/items/{id}", methods: [GET, DELETE], authorizationType: AWS_IAM}
    - {path: /me, methods: [GET], authorizationType: JWT, authorizerName: oidc-trial}
`
}

const BOB = {
  accessKeyId: 'AKIABOBTRIALEXAMPLE1',
  secretAccessKey: 'bobTrialSecretKeyForTestsOnly0000000000x',
}

describe('Principal and Authorizer candidates through gRPC', () => {
  const issuer = new LoopbackIssuer()
  let dir: string
  let app: RunningApp
  let client: OfficialCheckClient
  let stop: (() => Promise<void>) | undefined
  const sink = lineSink()

  beforeAll(async () => {
    await issuer.start()
    await issuer.addKey('ES256', 'k1')
    ;({ dir, app, client, stop } = await startLoggedApp('rollout-identity-', sink, (d) =>
      writeFile(join(d, 'trial.yaml'), identityTrial(issuer)),
    ))
  })
  afterAll(async () => {
    await stop?.()
    await issuer.stop()
  })

  const send = async (method: string, path: string, headers: Record<string, string>) =>
    answer(
      await client.check(
        buildCheckRequest({ host: 'identity.example.com', path, method, headers }),
      ),
    )
  const signedBy = (key: typeof BOB, method: string, path: string) =>
    signWithSdk({ method, host: 'identity.example.com', path, ...key })
  const token = (aud: string | string[]) => {
    const now = Math.floor(Date.now() / 1000)
    return issuer.sign({ sub: 'svc-7', aud, iat: now - 5, exp: now + 600 })
  }
  const series = (name: string, labels: string) => `${name}{api="trial/identity",${labels}}`
  const counts = (text: string) => ({
    allowDeny: metricValue(
      text,
      series('portcullis_candidate_disagreements_total', 'live="allow",candidate="deny"'),
    ),
    denyAllow: metricValue(
      text,
      series('portcullis_candidate_disagreements_total', 'live="deny",candidate="allow"'),
    ),
    agree: metricValue(text, series('portcullis_candidate_checks_total', 'result="agree"')),
    disagree: metricValue(text, series('portcullis_candidate_checks_total', 'result="disagree"')),
    skipped: metricValue(text, series('portcullis_candidate_checks_total', 'result="skipped"')),
  })
  const delta = async (base: ReturnType<typeof counts>) => {
    const now = counts(await metricsText(app))
    return {
      allowDeny: now.allowDeny - base.allowDeny,
      denyAllow: now.denyAllow - base.denyAllow,
      agree: now.agree - base.agree,
      disagree: now.disagree - base.disagree,
      skipped: now.skipped - base.skipped,
    }
  }
  /** Expects exactly `want` since `base`: waits for it, then a while longer (nothing more comes). */
  const expectExactly = async (
    base: ReturnType<typeof counts>,
    want: Awaited<ReturnType<typeof delta>>,
  ) => {
    await vi.waitFor(
      async () => {
        expect(await delta(base)).toEqual(want)
      },
      { timeout: 5000, interval: 50 },
    )
    await new Promise((r) => setTimeout(r, 100))
    expect(await delta(base)).toEqual(want)
  }

  it('a Principal candidate flips signed requests, counted exactly, each flip logged with the Principal', async () => {
    const base = counts(await metricsText(app))
    const set: { method: string; path: string; want: number; signed: boolean }[] = [
      // Live LiveGet allows; the candidate has no GET on /items/1: allow → deny.
      ...Array.from({ length: 3 }, () => ({
        method: 'GET',
        path: '/items/1',
        want: 200,
        signed: true,
      })),
      // Live has no DELETE; the candidate's TrialDelete allows it: deny → allow.
      ...Array.from({ length: 2 }, () => ({
        method: 'DELETE',
        path: '/items/1',
        want: 403,
        signed: true,
      })),
      // Both allow.
      ...Array.from({ length: 2 }, () => ({
        method: 'GET',
        path: '/items/public',
        want: 200,
        signed: true,
      })),
      // Unsigned: no Principal, so no candidate met: not compared at all.
      { method: 'GET', path: '/items/1', want: 403, signed: false },
    ]
    const answers = await Promise.all(
      set.map(async (r, i) =>
        send(r.method, r.path, {
          ...(r.signed ? await signedBy(BOB, r.method, r.path) : {}),
          'x-request-id': `iam-mix-${String(i)}`,
        }),
      ),
    )
    // The candidate never changes an answer.
    expect(answers.map((a) => a.http)).toEqual(set.map((r) => r.want))
    await expectExactly(base, { allowDeny: 3, denyAllow: 2, agree: 2, disagree: 5, skipped: 0 })
    await vi.waitFor(() => {
      expect(sink.flips('iam-mix-')).toHaveLength(5)
    })
    const flips = sink.flips('iam-mix-')
    for (const l of flips) valid(l)
    expect(flips.find((l) => l['method'] === 'DELETE')).toMatchObject({
      principal: 'arn:aws:iam::111122223333:user/bob',
      decision: 'deny',
      code: 'ERR_IAM_IMPLICIT_DENY',
      candidate: { decision: 'allow', code: 'ALLOW_IAM', sources: ['principal:trial/bob'] },
    })
    expect(flips.find((l) => l['method'] === 'GET')).toMatchObject({
      decision: 'allow',
      candidate: { decision: 'deny', status: 403, sources: ['principal:trial/bob'] },
    })
    // Sampling 0: the requests that agreed have no line.
    expect(sink.lines().filter((l) => String(l['requestId']).startsWith('iam-mix-'))).toHaveLength(
      5,
    )
  })

  it('an Authorizer candidate audience flips token requests, counted exactly, each flip logged with the Authorizer', async () => {
    const before = await metricsText(app)
    const base = counts(before)
    const tokenSeries = [
      'portcullis_authorizer_requests_total{authorizer="trial/oidc-trial",outcome="allow"}',
      'portcullis_authorizer_requests_total{authorizer="trial/oidc-trial",outcome="unauthorized"}',
      'portcullis_token_cache_hits_total{authorizer="trial/oidc-trial"}',
    ]
    const live = `Bearer ${await token('petstore')}`
    const next = `Bearer ${await token('petstore-v2')}`
    const both = `Bearer ${await token(['petstore', 'petstore-v2'])}`
    const set: { authorization: string; want: number }[] = [
      ...Array.from({ length: 3 }, () => ({ authorization: live, want: 200 })), // allow → deny
      ...Array.from({ length: 2 }, () => ({ authorization: next, want: 401 })), // deny → allow
      { authorization: both, want: 200 }, // both allow
      // A forged signature is refused live and by the candidate (it changes the audience only).
      { authorization: `${live.slice(0, -4)}AAAA`, want: 401 },
    ]
    // Sequential: the first request of each token also fetches the issuer's keys.
    const answers: number[] = []
    for (const [i, r] of set.entries()) {
      const a = await send('GET', '/me', {
        authorization: r.authorization,
        'x-request-id': `jwt-mix-${String(i)}`,
      })
      answers.push(a.http)
    }
    expect(answers).toEqual(set.map((r) => r.want))
    await expectExactly(base, { allowDeny: 3, denyAllow: 2, agree: 2, disagree: 5, skipped: 0 })
    // The candidate decisions reuse the live verification: the token authorizer counts each
    // request once (worked out: live and both allowed, next and the forged one refused; the rest
    // from the token cache), not once more per candidate decision.
    const after = await metricsText(app)
    expect(tokenSeries.map((t) => metricValue(after, t) - metricValue(before, t))).toEqual([
      2, 2, 3,
    ])
    await vi.waitFor(() => {
      expect(sink.flips('jwt-mix-')).toHaveLength(5)
    })
    const flips = sink.flips('jwt-mix-')
    for (const l of flips) valid(l)
    expect(flips.filter((l) => l['decision'] === 'allow')).toHaveLength(3)
    expect(flips.find((l) => l['decision'] === 'allow')).toMatchObject({
      sub: 'svc-7',
      code: 'ALLOW_TOKEN',
      candidate: {
        decision: 'deny',
        status: 401,
        code: 'ERR_JWT_AUDIENCE_MISMATCH',
        sources: ['authorizer:trial/oidc-trial'],
      },
    })
    expect(flips.find((l) => l['decision'] === 'deny')).toMatchObject({
      code: 'ERR_JWT_AUDIENCE_MISMATCH',
      candidate: {
        decision: 'allow',
        code: 'ALLOW_TOKEN',
        sources: ['authorizer:trial/oidc-trial'],
      },
    })
    const text = JSON.stringify(sink.lines())
    expect(text).not.toContain(live.slice(7, 40))
  })

  it('portcullis check --candidate shows the Principal candidate answer and names it', async () => {
    const headers = await signedBy(BOB, 'DELETE', '/items/3')
    const { code, out: text } = await checkCandidate(
      dir,
      'DELETE',
      'http://identity.example.com/items/3',
      [...Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]), '--json'],
    )
    expect(code).toBe(1)
    const printed = JSON.parse(text) as {
      decision: string
      candidate: { decision: string; code: string; sources: string[] }
    }
    expect(printed.decision).toBe('deny')
    expect(printed.candidate).toMatchObject({
      decision: 'allow',
      code: 'ALLOW_IAM',
      sources: ['principal:trial/bob'],
    })
  })

  it('portcullis check --candidate explains the Authorizer candidate in text', async () => {
    const { code, out: plain } = await checkCandidate(
      dir,
      'GET',
      'http://identity.example.com/me',
      ['--header', `authorization: Bearer ${await token('petstore-v2')}`],
    )
    expect(code).toBe(1)
    expect(plain).toContain('candidate (authorizer:trial/oidc-trial):')
    expect(plain).toContain('candidate audience rule: petstore-v2')
    expect(plain).toContain('the candidate decides otherwise')
  })
})
