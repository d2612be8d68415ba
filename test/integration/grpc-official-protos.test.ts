/**
 * Wire compatibility of the ext_authz gRPC server with Envoy's OFFICIAL protos: a client built from
 * envoy/service/auth/v3/external_auth.proto (@grpc/grpc-js-xds/deps) sends fully populated
 * CheckRequests; we assert the RequestContext the Checker received and every field of our
 * CheckResponse as the official protos decode it. Also over a Unix socket, plus grpc.health.v1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGrpcServer, type RunningGrpcServer } from '../../src/servers/ext-authz-grpc.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  OUR_PROTO_DIR,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { allowOutcome, denyOutcome, RecordingChecker } from '../helpers/recording-checker.js'

const checker = new RecordingChecker()
let server: RunningGrpcServer
let client: OfficialCheckClient
let socketDir: string

beforeAll(async () => {
  socketDir = mkdtempSync(join(tmpdir(), 'portcullis-grpc-'))
  server = await startGrpcServer({
    checker,
    port: 0,
    host: '127.0.0.1',
    socketPath: join(socketDir, 'authz.sock'),
  })
  client = createOfficialCheckClient(`127.0.0.1:${server.port}`)
})

afterAll(async () => {
  client.close()
  await server.close()
  rmSync(socketDir, { recursive: true, force: true })
})

describe('CheckRequest → RequestContext (official client, fully populated request)', () => {
  it('decodes every attribute Envoy sends into the documented RequestContext fields', async () => {
    checker.next = allowOutcome()
    const before = Date.now()
    await client.check(
      buildCheckRequest({
        method: 'POST',
        path: '/prod/pets/42?limit=10&x=%2F',
        host: 'Petstore.Example.com:8443',
        headers: {
          'X-Request-Id': 'req-abc-123',
          'Content-Type': 'application/json',
          'x-amz-date': '20240101T000000Z',
          accept: ['text/html', 'application/json'],
        },
        sourceIp: '10.20.1.7',
        sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/frontend',
        destinationIp: '10.0.0.9',
        destinationPrincipal: 'spiffe://cluster.local/ns/shop/sa/petstore',
        contextExtensions: { 'portcullis.dev/api': 'shop/petstore', other: 'x' },
        metadataContext: { 'envoy.filters.http.jwt_authn': { sub: 'ignored' } },
        body: '{"name":"rex"}',
        scheme: 'https',
        protocol: 'HTTP/2',
      }),
    )
    const req = checker.last()
    expect(req.method).toBe('POST')
    expect(req.path).toBe('/prod/pets/42')
    expect(req.rawQuery).toBe('limit=10&x=%2F')
    expect(req.authority).toBe('Petstore.Example.com:8443')
    expect(req.host).toBe('petstore.example.com')
    expect(req.scheme).toBe('https')
    expect(req.protocol).toBe('HTTP/2')
    expect(req.requestId).toBe('req-abc-123')
    expect(req.headers.get('content-type')).toBe('application/json')
    expect(req.headers.get('x-amz-date')).toBe('20240101T000000Z')
    expect(req.headers.get('accept')).toBe('text/html,application/json')
    // Envoy carries Host as :authority; we restore `host` for SigV4 and drop pseudo-headers.
    expect(req.headers.get('host')).toBe('Petstore.Example.com:8443')
    expect([...req.headers.keys()].some((k) => k.startsWith(':'))).toBe(false)
    expect(req.body?.toString('utf8')).toBe('{"name":"rex"}')
    expect(req.bodyPartial).toBe(false)
    expect(req.sourceIp).toBe('10.20.1.7')
    expect(req.sourcePrincipal).toBe('spiffe://cluster.local/ns/web/sa/frontend')
    expect(Object.fromEntries(req.contextExtensions)).toEqual({
      'portcullis.dev/api': 'shop/petstore',
      other: 'x',
    })
    expect(req.timeMs).toBeGreaterThanOrEqual(before)
    expect(req.timeMs).toBeLessThanOrEqual(Date.now())
  })

  it('reads header_map (encode_raw_headers) raw bytes, joining repeated headers with ","', async () => {
    checker.next = allowOutcome()
    await client.check(
      buildCheckRequest({
        path: '/a',
        headers: { 'X-Multi': ['one', 'two', 'three'], 'x-utf8': 'grüße' },
        encodeRawHeaders: true,
      }),
    )
    const req = checker.last()
    expect(req.headers.get('x-multi')).toBe('one,two,three')
    expect(req.headers.get('x-utf8')).toBe('grüße')
    expect(req.headers.has(':path')).toBe(false)
    expect(req.headers.get('host')).toBe('api.example.com')
  })

  it('takes raw_body bytes verbatim and flags x-envoy-auth-partial-body', async () => {
    checker.next = allowOutcome()
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41])
    await client.check(
      buildCheckRequest({
        method: 'PUT',
        path: '/upload',
        body: bytes,
        headers: { 'x-envoy-auth-partial-body': 'true' },
      }),
    )
    const req = checker.last()
    expect(req.body?.equals(bytes)).toBe(true)
    expect(req.bodyPartial).toBe(true)
  })

  it('normalises IPv6 and IPv4-mapped source addresses and bracketed IPv6 hosts', async () => {
    checker.next = allowOutcome()
    await client.check(
      buildCheckRequest({ sourceIp: '::ffff:192.0.2.1', host: '[2001:DB8::1]:443' }),
    )
    expect(checker.last().sourceIp).toBe('192.0.2.1')
    expect(checker.last().host).toBe('[2001:db8::1]')
    await client.check(buildCheckRequest({ sourceIp: '2001:0db8:0000:0000:0000:0000:0000:0001' }))
    expect(checker.last().sourceIp).toBe('2001:db8::1')
  })

  it('uses Envoy http.id as request id when there is no x-request-id, and leaves no principal as undefined', async () => {
    checker.next = allowOutcome()
    await client.check(buildCheckRequest({ id: '1234567890' }))
    expect(checker.last().requestId).toBe('1234567890')
    expect(checker.last().sourcePrincipal).toBeUndefined()
    expect(checker.last().contextExtensions.size).toBe(0)
    expect(checker.last().body).toBeUndefined()
  })
})

describe('CheckOutcome → CheckResponse (decoded with the official protos)', () => {
  it('allow: status OK, ok_response headers set with OVERWRITE_IF_EXISTS_OR_ADD and append=false, headers_to_remove, dynamic_metadata', async () => {
    checker.next = allowOutcome()
    const res = await client.check(buildCheckRequest({ headers: { 'x-request-id': 'rid-1' } }))
    expect(res.status.code).toBe(0)
    expect(res.http_response).toBe('ok_response')
    const ok = res.ok_response!
    expect(ok.headers).toHaveLength(2)
    expect(ok.headers[0]!.header.key).toBe('x-portcullis-principal')
    expect(ok.headers[0]!.header.value).toBe('arn:aws:iam::111122223333:user/alice')
    expect(ok.headers[1]!.header).toMatchObject({ key: 'x-portcullis-context-team', value: 'pets' })
    for (const h of ok.headers) {
      expect(h.append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD')
      expect(h.append).toEqual({ value: false })
    }
    expect(ok.headers_to_remove).toEqual(['x-portcullis-principal', 'x-portcullis-evil'])
    expect(ok.response_headers_to_add).toEqual([])
    expect(ok.query_parameters_to_set).toEqual([])
    expect(ok.query_parameters_to_remove).toEqual([])
    expect(res.denied_response).toBeUndefined()
    const fields = res.dynamic_metadata!.fields
    expect(fields.decision_id?.stringValue).toBe('dec-123')
    expect(fields.decision?.stringValue).toBe('allow')
    expect(fields.code?.stringValue).toBe('ALLOW_IAM')
    expect(fields.api?.stringValue).toBe('shop/petstore')
    expect(fields.principal?.stringValue).toBe('arn:aws:iam::111122223333:user/alice')
  })

  it('deny 401: status UNAUTHENTICATED, denied_response status/headers/body as AWS sends them', async () => {
    checker.next = denyOutcome()
    const res = await client.check(buildCheckRequest({ headers: { 'x-request-id': 'rid-2' } }))
    expect(res.status.code).toBe(16)
    expect(res.http_response).toBe('denied_response')
    expect(res.ok_response).toBeUndefined()
    const denied = res.denied_response!
    expect(denied.status).toEqual({ code: 'Unauthorized' })
    expect(denied.body).toBe('{"message":"Unauthorized"}')
    expect(denied.headers.map((h) => [h.header.key, h.header.value])).toEqual([
      ['content-type', 'application/json'],
      ['x-amzn-errortype', 'UnauthorizedException'],
    ])
    expect(res.dynamic_metadata!.fields.decision?.stringValue).toBe('deny')
    expect(res.dynamic_metadata!.fields.decision_id?.stringValue).toBe('dec-401')
  })

  it('deny 403/429/500 keep their HTTP status and PERMISSION_DENIED; decision_id defaults to the request id', async () => {
    for (const [httpStatus, name] of [
      [403, 'Forbidden'],
      [429, 'TooManyRequests'],
      [500, 'InternalServerError'],
    ] as const) {
      checker.next = denyOutcome({
        httpStatus,
        grpcCode: 7,
        body: '{"message":null}',
        metadata: {},
      })
      const res = await client.check(
        buildCheckRequest({ headers: { 'x-request-id': `rid-${httpStatus}` } }),
      )
      expect(res.status.code).toBe(7)
      expect(res.denied_response!.status).toEqual({ code: name })
      expect(res.denied_response!.body).toBe('{"message":null}')
      expect(res.dynamic_metadata!.fields.decision_id?.stringValue).toBe(`rid-${httpStatus}`)
    }
  })
})

describe('Unix socket', () => {
  it('serves Check on unix:<socketPath> like on TCP', async () => {
    const unixClient = createOfficialCheckClient(`unix:${server.socketPath!}`)
    try {
      checker.next = allowOutcome()
      const res = await unixClient.check(
        buildCheckRequest({ path: '/over-uds', sourceIp: '10.1.2.3' }),
      )
      expect(res.status.code).toBe(0)
      expect(checker.last().path).toBe('/over-uds')
      expect(checker.last().sourceIp).toBe('10.1.2.3')
      checker.next = denyOutcome()
      expect((await unixClient.check(buildCheckRequest())).status.code).toBe(16)
    } finally {
      unixClient.close()
    }
  })
})

describe('grpc.health.v1.Health', () => {
  type HealthClient = grpc.Client & {
    Check(req: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void
    Watch(req: object): grpc.ClientReadableStream<{ status: string }>
  }
  function healthClient(address: string): HealthClient {
    const def = protoLoader.loadSync('grpc/health/v1/health.proto', {
      includeDirs: [OUR_PROTO_DIR],
      keepCase: true,
      enums: String,
      defaults: true,
    })
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } }
    }
    return new pkg.grpc.health.v1.Health(
      address,
      grpc.credentials.createInsecure(),
    ) as unknown as HealthClient
  }
  const healthCheck = (c: HealthClient, service: string) =>
    new Promise<{ status: string }>((resolve, reject) => {
      c.Check({ service }, (e, r) => {
        if (e) reject(e)
        else resolve(r)
      })
    })

  it('Check: NOT_SERVING before checker.ready(), SERVING after; unknown service is NOT_FOUND', async () => {
    const c = healthClient(`127.0.0.1:${server.port}`)
    try {
      checker.isReady = false
      expect((await healthCheck(c, '')).status).toBe('NOT_SERVING')
      expect((await healthCheck(c, 'envoy.service.auth.v3.Authorization')).status).toBe(
        'NOT_SERVING',
      )
      checker.isReady = true
      expect((await healthCheck(c, '')).status).toBe('SERVING')
      expect((await healthCheck(c, 'envoy.service.auth.v3.Authorization')).status).toBe('SERVING')
      await expect(healthCheck(c, 'no.such.Service')).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      })
    } finally {
      c.close()
    }
  })

  it('Watch: streams NOT_SERVING then SERVING when the checker becomes ready', async () => {
    const c = healthClient(`127.0.0.1:${server.port}`)
    checker.isReady = false
    const stream = c.Watch({ service: '' })
    const seen: string[] = []
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (m: { status: string }) => {
          seen.push(m.status)
          if (m.status === 'NOT_SERVING') checker.isReady = true
          if (m.status === 'SERVING') resolve()
        })
        stream.on('error', reject)
      })
      expect(seen).toEqual(['NOT_SERVING', 'SERVING'])
    } finally {
      checker.isReady = true
      stream.cancel()
      c.close()
    }
  })
})
