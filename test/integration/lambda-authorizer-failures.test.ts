/**
 * Fail-closed behaviour of LambdaAuthorizerRuntime against misbehaving real HTTP authorizers on
 * loopback: slow (timeout), garbage bodies, huge bodies, 5xx, dead endpoints, saturation. Every
 * failure is an `error` outcome (→ 500 {"message":null}), never cached, never an exception, and a
 * slow authorizer never delays another one.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  compileLambdaAuthorizerConfig,
  LambdaAuthorizerRuntime,
  type LambdaAuthorizerSpecInput,
} from '../../src/authn/lambda/index.js'
import type { CompiledPolicy } from '../../src/policy/index.js'
import {
  authorizerRequest,
  compileAuthorizerPolicy,
  requestContext,
  startAuthorizerPeer,
  type AuthorizerPeer,
  type PeerHandler,
} from '../helpers/lambda-authorizer-peer.js'

const ALLOW = {
  principalId: 'user',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:us-east-1:111122223333:petstore/*',
      },
    ],
  },
}

const peers: AuthorizerPeer[] = []
let runtime: LambdaAuthorizerRuntime<CompiledPolicy>
const invokes: string[] = []
beforeEach(() => {
  invokes.length = 0
  runtime = new LambdaAuthorizerRuntime({
    compilePolicy: compileAuthorizerPolicy,
    onInvoke: (id, outcome) => invokes.push(`${id}:${outcome}`),
  })
})
afterEach(async () => {
  runtime.close()
  await Promise.all(peers.splice(0).map((p) => p.close()))
})

async function peer(handler: PeerHandler): Promise<AuthorizerPeer> {
  const p = await startAuthorizerPeer(handler)
  peers.push(p)
  return p
}

function config(
  uri: string,
  spec: Partial<LambdaAuthorizerSpecInput> = {},
  opts: { maxConcurrency?: number; maxResponseBytes?: number } = {},
  id = 'shop/bad',
) {
  const r = compileLambdaAuthorizerConfig(
    id,
    {
      type: 'TOKEN',
      authorizerUri: uri,
      identitySource: 'method.request.header.Authorization',
      ...spec,
    },
    opts,
  )
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}
const req = (token = 'tok') =>
  authorizerRequest({ req: requestContext({ headers: { authorization: token } }) })

/** A promise the test resolves when it chooses: holds a peer's answers. */
function deferred(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined
  const promise = new Promise<void>((r) => (open = r))
  return { promise, open }
}

/** Two requests with the same token: the failure must be returned both times, with two calls. */
async function expectUncachedError(
  uri: string,
  p: AuthorizerPeer,
  code: string,
  spec = {},
  opts = {},
) {
  const c = config(uri, spec, opts)
  for (let i = 0; i < 2; i++) {
    const out = await runtime.authorize(c, req())
    expect(out).toMatchObject({ kind: 'error', code })
  }
  expect(p.calls).toBe(2)
}

describe('slow authorizer', () => {
  it('answering after timeoutMillis → ERR_LAMBDA_TIMEOUT, not cached', async () => {
    // The peer would Allow after its delay: ERR_LAMBDA_TIMEOUT proves the call was cut at the
    // timeout instead of waiting for the answer.
    const slow = await peer(() => ({ delayMs: 1500, body: ALLOW }))
    await expectUncachedError(slow.url, slow, 'ERR_LAMBDA_TIMEOUT', { timeoutMillis: 200 })
    expect(invokes).toEqual(['shop/bad:timeout', 'shop/bad:timeout'])
  })

  it('a slow authorizer does not delay checks that use another authorizer', async () => {
    // The slow authorizer holds every call until the gate opens: the fast authorizer's answer
    // arriving while all 20 slow calls are still held proves it did not wait behind them.
    const gate = deferred()
    const slow = await peer(async () => {
      await gate.promise
      return { body: ALLOW }
    })
    const fast = await peer(() => ({ body: ALLOW }))
    const slowCfg = config(
      slow.url,
      { authorizerResultTtlInSeconds: 0, timeoutMillis: 3000 },
      {},
      'shop/slow',
    )
    const fastCfg = config(fast.url, { authorizerResultTtlInSeconds: 0 }, {}, 'shop/fast')
    const pending = Array.from({ length: 20 }, (_, i) =>
      Promise.resolve(runtime.authorize(slowCfg, req(`s${i}`))),
    )
    let slowSettled = 0
    for (const p of pending) void p.then(() => slowSettled++)
    await expect.poll(() => slow.calls, { timeout: 10_000 }).toBe(20)
    const fastOut = await runtime.authorize(fastCfg, req())
    expect(fastOut.kind).toBe('policy')
    expect(slowSettled).toBe(0)
    gate.open()
    const slowOuts = await Promise.all(pending)
    expect(slowOuts.every((o) => o.kind === 'policy')).toBe(true)
  })

  it('maxConcurrency reached → ERR_LAMBDA_BUSY at once (fail fast), without calling', async () => {
    // Both slots are held by calls the peer does not answer until the gate opens: the third
    // call's answer arriving while they are held proves it failed fast instead of queueing.
    const gate = deferred()
    const slow = await peer(async () => {
      await gate.promise
      return { body: ALLOW }
    })
    const c = config(slow.url, { authorizerResultTtlInSeconds: 0 }, { maxConcurrency: 2 })
    const first = [
      Promise.resolve(runtime.authorize(c, req('a'))),
      Promise.resolve(runtime.authorize(c, req('b'))),
    ]
    await expect.poll(() => slow.calls, { timeout: 10_000 }).toBe(2)
    const third = await runtime.authorize(c, req('c'))
    expect(third).toMatchObject({ kind: 'error', code: 'ERR_LAMBDA_BUSY' })
    gate.open()
    expect((await Promise.all(first)).map((o) => o.kind)).toEqual(['policy', 'policy'])
    expect(slow.calls).toBe(2)
    expect(invokes).toContain('shop/bad:rejected_busy')
    // Slots are released: the next call goes through.
    expect((await runtime.authorize(c, req('d'))).kind).toBe('policy')
  })

  it('cache hits and merged waiters do not take concurrency slots', async () => {
    const slow = await peer(() => ({ delayMs: 200, body: ALLOW }))
    const c = config(slow.url, {}, { maxConcurrency: 1 })
    const outs = await Promise.all(
      Array.from({ length: 10 }, () => Promise.resolve(runtime.authorize(c, req('same')))),
    )
    expect(outs.every((o) => o.kind === 'policy')).toBe(true)
    expect(slow.calls).toBe(1)
  })
})

describe('garbage answers', () => {
  const cases: [string, unknown, string][] = [
    ['plain text', 'Allow', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['HTML error page', '<html><body>oops</body></html>', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['truncated JSON', '{"principalId":"u","policyDocument":{', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['JSON array', '[]', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['JSON null', 'null', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['empty body', '', 'ERR_LAMBDA_BAD_RESPONSE'],
    ['no principalId', { policyDocument: ALLOW.policyDocument }, 'ERR_LAMBDA_BAD_RESPONSE'],
    ['no policyDocument', { principalId: 'u' }, 'ERR_LAMBDA_BAD_RESPONSE'],
    [
      'object in context',
      { ...ALLOW, context: { claims: { sub: 'x' } } },
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'policy the engine rejects (Effect "Permit")',
      {
        principalId: 'u',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Permit', Action: 'execute-api:Invoke', Resource: '*' }],
        },
      },
      'ERR_LAMBDA_POLICY_INVALID',
    ],
    [
      'policy with a Principal (not allowed in authorizer output)',
      {
        principalId: 'u',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: '*' },
          ],
        },
      },
      'ERR_LAMBDA_POLICY_INVALID',
    ],
  ]
  for (const [name, body, code] of cases) {
    it(`${name} → ${code}, not cached`, async () => {
      const p = await peer(() => ({ body }))
      await expectUncachedError(p.url, p, code)
    })
  }
})

describe('huge answers', () => {
  it('1 MiB body with content-length → ERR_LAMBDA_TOO_LARGE (cap 64 KiB), not cached', async () => {
    const big = JSON.stringify({ ...ALLOW, context: { pad: 'x'.repeat(1024 * 1024) } })
    const p = await peer(() => ({ body: big }))
    await expectUncachedError(p.url, p, 'ERR_LAMBDA_TOO_LARGE')
    expect(invokes).toEqual(['shop/bad:too_large', 'shop/bad:too_large'])
  })

  it('endless chunked body → ERR_LAMBDA_TOO_LARGE well before the timeout', async () => {
    const server = http.createServer((r, res) => {
      r.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      const t = setInterval(() => res.write('x'.repeat(8192)), 1)
      res.on('close', () => {
        clearInterval(t)
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
      // TOO_LARGE, not TIMEOUT: the endless body was cut at the cap, before the deadline.
      const out = await runtime.authorize(config(url, { timeoutMillis: 5000 }), req())
      expect(out).toMatchObject({ kind: 'error', code: 'ERR_LAMBDA_TOO_LARGE' })
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) =>
        server.close(() => {
          r()
        }),
      )
    }
  })

  it('a body just under the cap is accepted', async () => {
    const p = await peer(() => ({ body: { ...ALLOW, context: { pad: 'x'.repeat(900) } } }))
    const out = await runtime.authorize(config(p.url, {}, { maxResponseBytes: 1200 }), req())
    expect(out.kind).toBe('policy')
  })
})

describe('error statuses and dead endpoints', () => {
  it('HTTP 500 (even with a valid policy body) → ERR_LAMBDA_STATUS, not cached', async () => {
    const p = await peer(() => ({ status: 500, body: ALLOW }))
    await expectUncachedError(p.url, p, 'ERR_LAMBDA_STATUS')
  })

  it('HTTP 503 and 403 → ERR_LAMBDA_STATUS', async () => {
    for (const status of [503, 403]) {
      const p = await peer(() => ({ status, body: { message: 'nope' } }))
      expect(await runtime.authorize(config(p.url), req())).toMatchObject({
        code: 'ERR_LAMBDA_STATUS',
      })
    }
  })

  it('redirects are not followed → ERR_LAMBDA_STATUS', async () => {
    const target = await peer(() => ({ body: ALLOW }))
    const p = await peer(() => ({ status: 307, headers: { location: target.url }, body: '' }))
    expect(await runtime.authorize(config(p.url), req())).toMatchObject({
      code: 'ERR_LAMBDA_STATUS',
    })
    expect(target.calls).toBe(0)
  })

  it('connection reset before answering → ERR_LAMBDA_UNREACHABLE', async () => {
    const p = await peer(() => ({ reset: true }))
    expect(
      await runtime.authorize(config(p.url, { authorizerResultTtlInSeconds: 0 }), req()),
    ).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_UNREACHABLE',
    })
  })

  it('nothing listening → ERR_LAMBDA_UNREACHABLE', async () => {
    const p = await startAuthorizerPeer(() => ({ body: ALLOW }))
    await p.close()
    expect(await runtime.authorize(config(p.url), req())).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_UNREACHABLE',
    })
  })

  it('after close(), calls fail closed instead of throwing', async () => {
    const p = await peer(() => ({ body: ALLOW }))
    runtime.close()
    expect(await runtime.authorize(config(p.url), req())).toMatchObject({ kind: 'error' })
    expect(p.calls).toBe(0)
  })
})
