/**
 * Fail-closed behaviour of the gRPC server on bad input: every malformed CheckRequest, oversized
 * input, undecodable bytes, throwing or misbehaving Checker is answered with a DENY CheckResponse
 * (never an RPC error, which Envoy's failure_mode_allow could turn into an allow; never an allow),
 * and the server keeps serving afterwards.
 */
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CheckOutcome } from '../../src/decision/check-outcome.js'
import { startGrpcServer, type RunningGrpcServer } from '../../src/servers/ext-authz-grpc.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  officialAuthDefinition,
  type OfficialCheckClient,
  type OfficialCheckResponse,
} from '../helpers/envoy-client.js'
import { allowOutcome, denyOutcome, RecordingChecker } from '../helpers/recording-checker.js'

const checker = new RecordingChecker()
let server: RunningGrpcServer
let client: OfficialCheckClient

beforeAll(async () => {
  server = await startGrpcServer({ checker, port: 0, host: '127.0.0.1' })
  client = createOfficialCheckClient(`127.0.0.1:${server.port}`)
})
afterAll(async () => {
  client.close()
  await server.close()
})
beforeEach(() => {
  checker.seen.length = 0
  // Every case below must deny even though the checker would allow.
  checker.next = allowOutcome()
})

function expectDeny(
  res: OfficialCheckResponse,
  httpStatus: string,
  body: string,
  code: string,
): void {
  expect(res.status.code).toBe(7)
  expect(res.http_response).toBe('denied_response')
  expect(res.ok_response).toBeUndefined()
  expect(res.denied_response!.status).toEqual({ code: httpStatus })
  expect(res.denied_response!.body).toBe(body)
  expect(res.denied_response!.headers.map((h) => h.header.key)).toEqual([
    'content-type',
    'x-amzn-errortype',
  ])
  expect(res.dynamic_metadata!.fields.code?.stringValue).toBe(code)
}
const FORBIDDEN = '{"message":"Forbidden"}'
const INVALID_PATH = '{"message":"Invalid request path"}'
const INTERNAL = '{"message":"Internal server error"}'

async function stillServes(): Promise<void> {
  checker.next = allowOutcome()
  const res = await client.check(buildCheckRequest({ path: '/healthy' }))
  expect(res.status.code).toBe(0)
}

describe('structurally incomplete CheckRequests → 403 Forbidden, checker not called', () => {
  const cases: [string, object][] = [
    ['empty CheckRequest (no attributes)', {}],
    ['attributes without request', { attributes: { source: {} } }],
    ['request without http', { attributes: { request: {} } }],
    ['http without method', { attributes: { request: { http: { path: '/x', host: 'a' } } } }],
    [
      'method that is not an HTTP token',
      { attributes: { request: { http: { method: 'GE T', path: '/x' } } } },
    ],
  ]
  for (const [name, req] of cases) {
    it(name, async () => {
      expectDeny(await client.check(req), 'Forbidden', FORBIDDEN, 'ERR_REQUEST_MALFORMED')
      expect(checker.seen).toHaveLength(0)
    })
  }
})

describe('odd paths', () => {
  const rejected: [string, string][] = [
    ['empty path', ''],
    ['absolute-form target', 'http://evil.example/admin'],
    ['asterisk-form', '*'],
    ['space in path', '/a b'],
    ['NUL byte', '/a\u0000b'],
    ['CR LF injection', '/a\r\nx-portcullis-principal: admin'],
    ['non-ASCII character', '/caf\u00e9'],
    ['DEL character', '/a\u007f'],
  ]
  for (const [name, path] of rejected) {
    it(`${name} → 400 Invalid request path`, async () => {
      expectDeny(
        await client.check(buildCheckRequest({ path })),
        'BadRequest',
        INVALID_PATH,
        'ERR_REQUEST_INVALID_PATH',
      )
      expect(checker.seen).toHaveLength(0)
    })
  }
  it('dot segments and escapes reach the decider unchanged (it owns AWS path rules)', async () => {
    await client.check(buildCheckRequest({ path: '/a/../b/%2e%2E/%2Fc?q=%zz#frag' }))
    expect(checker.last().path).toBe('/a/../b/%2e%2E/%2Fc')
    expect(checker.last().rawQuery).toBe('q=%zz')
  })
  it('path without http.path falls back to the :path pseudo-header', async () => {
    await client.check({
      attributes: {
        request: { http: { method: 'GET', headers: { ':path': '/p?x=1', ':authority': 'h:1' } } },
      },
    })
    expect(checker.last().path).toBe('/p')
    expect(checker.last().rawQuery).toBe('x=1')
    expect(checker.last().host).toBe('h')
  })
})

describe('oversized input → deny, bounded', () => {
  it('200 KiB of headers → 413', async () => {
    const res = await client.check(
      buildCheckRequest({ headers: { 'x-big': 'a'.repeat(200 * 1024) } }),
    )
    expectDeny(res, 'PayloadTooLarge', '{"message":"Request Too Long"}', 'ERR_REQUEST_TOO_LARGE')
    expect(checker.seen).toHaveLength(0)
  })
  it('5000 distinct headers → 413', async () => {
    const headers: Record<string, string> = {}
    for (let i = 0; i < 5000; i++) headers[`x-h-${i}`] = 'v'
    const res = await client.check(buildCheckRequest({ headers }))
    expectDeny(res, 'PayloadTooLarge', '{"message":"Request Too Long"}', 'ERR_REQUEST_TOO_LARGE')
  })
  it('5000 repeated header_map entries → 413', async () => {
    const res = await client.check(
      buildCheckRequest({
        headers: { 'x-rep': Array.from({ length: 5000 }, () => 'v') },
        encodeRawHeaders: true,
      }),
    )
    expectDeny(res, 'PayloadTooLarge', '{"message":"Request Too Long"}', 'ERR_REQUEST_TOO_LARGE')
  })
  it('11 MiB body → 413 (a CheckResponse, not RESOURCE_EXHAUSTED)', async () => {
    const res = await client.check(
      buildCheckRequest({ method: 'POST', body: Buffer.alloc(11 * 1024 * 1024, 1) }),
    )
    expectDeny(res, 'PayloadTooLarge', '{"message":"Request Too Long"}', 'ERR_REQUEST_TOO_LARGE')
  })
  it('1000 context extensions → 413', async () => {
    const contextExtensions: Record<string, string> = {}
    for (let i = 0; i < 1000; i++) contextExtensions[`k${i}`] = 'v'
    const res = await client.check(buildCheckRequest({ contextExtensions }))
    expectDeny(res, 'PayloadTooLarge', '{"message":"Request Too Long"}', 'ERR_REQUEST_TOO_LARGE')
  })
})

describe('bytes that are not text or not a CheckRequest', () => {
  it('invalid UTF-8 in a header_map raw_value → 403, checker not called', async () => {
    const req = buildCheckRequest({ path: '/x' }) as {
      attributes: { request: { http: Record<string, unknown> } }
    }
    req.attributes.request.http.headers = undefined
    req.attributes.request.http.header_map = {
      headers: [
        { key: ':path', raw_value: Buffer.from('/x') },
        { key: ':method', raw_value: Buffer.from('GET') },
        { key: 'x-bad', raw_value: Buffer.from([0x66, 0xc3, 0x28, 0xff]) },
      ],
    }
    expectDeny(await client.check(req), 'Forbidden', FORBIDDEN, 'ERR_REQUEST_MALFORMED')
    expect(checker.seen).toHaveLength(0)
  })

  it('a header name beyond ASCII (KELVIN SIGN lower-cases to `k`: `x-api-\u212Aey` would become x-api-key) → 403, checker not called', async () => {
    for (const where of ['header_map', 'headers'] as const) {
      const req = buildCheckRequest({ path: '/x' }) as {
        attributes: { request: { http: Record<string, unknown> } }
      }
      if (where === 'header_map') {
        req.attributes.request.http.headers = undefined
        req.attributes.request.http.header_map = {
          headers: [
            { key: ':path', raw_value: Buffer.from('/x') },
            { key: ':method', raw_value: Buffer.from('GET') },
            { key: 'X-Api-\u212Aey', raw_value: Buffer.from('k-1') },
          ],
        }
      } else {
        req.attributes.request.http.header_map = undefined
        req.attributes.request.http.headers = { 'X-Api-\u212Aey': 'k-1' }
      }
      expectDeny(await client.check(req), 'Forbidden', FORBIDDEN, 'ERR_REQUEST_MALFORMED')
      expect(checker.seen).toHaveLength(0)
    }
  })

  it('undecodable protobuf bytes → a decodable deny CheckResponse', async () => {
    const def = officialAuthDefinition()[
      'envoy.service.auth.v3.Authorization'
    ] as unknown as Record<string, { responseDeserialize(b: Buffer): OfficialCheckResponse }>
    const raw = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure())
    try {
      const res = await new Promise<OfficialCheckResponse>((resolve, reject) => {
        raw.makeUnaryRequest(
          '/envoy.service.auth.v3.Authorization/Check',
          (b: Buffer) => b,
          (b: Buffer) => def.Check!.responseDeserialize(b),
          Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
          (err, value) => {
            if (err) reject(err)
            else resolve(value!)
          },
        )
      })
      expectDeny(res, 'Forbidden', FORBIDDEN, 'ERR_REQUEST_MALFORMED')
    } finally {
      raw.close()
    }
  })
})

describe('checker failures → 500 Internal server error deny, server keeps serving', () => {
  const bad: [string, () => CheckOutcome | Promise<CheckOutcome>][] = [
    [
      'throws synchronously',
      () => {
        throw new Error('boom')
      },
    ],
    ['rejects', () => Promise.reject(new Error('async boom'))],
    ['returns undefined', () => undefined as unknown as CheckOutcome],
    [
      'returns allowed: "yes"',
      () => ({ ...allowOutcome(), allowed: 'yes' }) as unknown as CheckOutcome,
    ],
    ['denies with gRPC code 0 (would be an allow on the wire)', () => denyOutcome({ grpcCode: 0 })],
    ['denies with HTTP 200 (an allow for nginx/Traefik)', () => denyOutcome({ httpStatus: 200 })],
    [
      'allows with a CR/LF in an upstream header value',
      () =>
        allowOutcome({
          upstreamHeaders: [{ name: 'x-portcullis-principal', value: 'a\r\nx-admin: 1' }],
        }),
    ],
    [
      'allows with an invalid header name',
      () => allowOutcome({ upstreamHeaders: [{ name: 'Bad Name', value: 'v' }] }),
    ],
    [
      'returns a non-string metadata value',
      () => allowOutcome({ metadata: { n: 1 } as unknown as Record<string, string> }),
    ],
    [
      // The encoder measures, then writes: a value that differs between the two reads leaves
      // bytes of the pooled buffer unwritten; they must never reach Envoy.
      "allows with a header value that changes between the encoder's measuring and writing",
      () => {
        let n = 200
        const shrinking = {
          name: 'x-portcullis-principal',
          get value(): string {
            return 'x'.repeat(n--)
          },
        }
        return allowOutcome({ upstreamHeaders: [shrinking], headersToRemove: [] })
      },
    ],
  ]
  for (const [name, script] of bad) {
    it(`checker ${name}`, async () => {
      checker.next = script
      expectDeny(
        await client.check(buildCheckRequest()),
        'InternalServerError',
        INTERNAL,
        'ERR_INTERNAL',
      )
      await stillServes()
    })
  }
})
