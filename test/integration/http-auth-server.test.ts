/**
 * The HTTP decision endpoint with node's http client playing each proxy: Envoy's HTTP ext_authz
 * service (original method/path behind path_prefix), nginx auth_request (X-Original-*), Traefik
 * forwardAuth (X-Forwarded-*); forwarded client address trusted only from configured proxies;
 * bounded body; failures deny with 500, never 200.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHttpAuthServer, type RunningHttpServer } from '../../src/servers/ext-authz-http.js'
import { httpRequest, type HttpAnswer } from '../helpers/loopback-http.js'
import { allowOutcome, denyOutcome, RecordingChecker } from '../helpers/recording-checker.js'

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: Buffer | string,
): Promise<HttpAnswer> {
  return httpRequest({ port, method, path, headers, ...(body === undefined ? {} : { body }) })
}

const checker = new RecordingChecker()
let envoyServer: RunningHttpServer // pathPrefix /envoy, trusts nobody
let plainServer: RunningHttpServer // no prefix, trusts 127.0.0.0/8
let smallServer: RunningHttpServer // 1 KiB body limit

beforeAll(async () => {
  envoyServer = await startHttpAuthServer({
    checker,
    port: 0,
    host: '127.0.0.1',
    pathPrefix: '/envoy/',
  })
  plainServer = await startHttpAuthServer({
    checker,
    port: 0,
    host: '127.0.0.1',
    trustForwardedFrom: ['127.0.0.0/8', '::1'],
  })
  smallServer = await startHttpAuthServer({
    checker,
    port: 0,
    host: '127.0.0.1',
    limits: { maxBodyBytes: 1024 },
  })
})
afterAll(async () => {
  await Promise.all([envoyServer.close(), plainServer.close(), smallServer.close()])
})
beforeEach(() => {
  checker.seen.length = 0
  checker.next = allowOutcome()
})

describe('Envoy HTTP ext_authz service contract', () => {
  it('original method and path arrive as the subrequest own, behind path_prefix; allow = 200 + upstream headers + x-envoy-auth-headers-to-remove', async () => {
    const r = await call(envoyServer.port, 'DELETE', '/envoy/prod/pets/42?force=true', {
      host: 'Petstore.Example.com',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/execute-api/aws4_request',
      'x-request-id': 'envoy-rid-1',
    })
    expect(r.status).toBe(200)
    expect(r.body).toBe('')
    expect(r.headers['x-portcullis-principal']).toBe('arn:aws:iam::111122223333:user/alice')
    expect(r.headers['x-portcullis-context-team']).toBe('pets')
    expect(r.headers['x-envoy-auth-headers-to-remove']).toBe(
      'x-portcullis-principal, x-portcullis-evil',
    )
    const req = checker.last()
    expect(req.method).toBe('DELETE')
    expect(req.path).toBe('/prod/pets/42')
    expect(req.rawQuery).toBe('force=true')
    expect(req.host).toBe('petstore.example.com')
    expect(req.authority).toBe('Petstore.Example.com')
    expect(req.headers.get('authorization')).toContain('AWS4-HMAC-SHA256')
    expect(req.headers.has('connection')).toBe(false)
    expect(req.requestId).toBe('envoy-rid-1')
    expect(req.protocol).toBe('HTTP/1.1')
    expect(req.scheme).toBe('http')
    expect(req.sourceIp).toBe('127.0.0.1')
  })

  it('deny: status, headers and body returned as they are', async () => {
    checker.next = denyOutcome()
    const r = await call(envoyServer.port, 'GET', '/envoy/pets')
    expect(r.status).toBe(401)
    expect(r.body).toBe('{"message":"Unauthorized"}')
    expect(r.headers['content-type']).toBe('application/json')
    expect(r.headers['x-amzn-errortype']).toBe('UnauthorizedException')
    expect(r.headers['x-portcullis-principal']).toBeUndefined()
  })

  it('with_request_body: the body reaches the checker; x-envoy-auth-partial-body is honoured', async () => {
    const r = await call(
      envoyServer.port,
      'POST',
      '/envoy/orders',
      { 'content-type': 'application/json', 'x-envoy-auth-partial-body': 'true' },
      '{"qty":1}',
    )
    expect(r.status).toBe(200)
    expect(checker.last().body?.toString()).toBe('{"qty":1}')
    expect(checker.last().bodyPartial).toBe(true)
  })

  it('under path_prefix, client-forwarded X-Original-URI / X-Forwarded-Uri cannot redirect the check', async () => {
    await call(envoyServer.port, 'GET', '/envoy/admin', {
      'x-original-uri': '/public',
      'x-forwarded-uri': '/public',
    })
    expect(checker.last().path).toBe('/admin')
  })

  it('outside path_prefix without proxy headers → 403 Forbidden, checker not called', async () => {
    const r = await call(envoyServer.port, 'GET', '/elsewhere')
    expect(r.status).toBe(403)
    expect(r.body).toBe('{"message":"Forbidden"}')
    expect(r.headers['x-amzn-errortype']).toBe('ForbiddenException')
    expect(checker.seen).toHaveLength(0)
  })

  it('without path_prefix the subrequest path is the original path', async () => {
    await call(plainServer.port, 'PATCH', '/v1/things/7?a=%20b', { host: 'h.example:8080' })
    expect(checker.last()).toMatchObject({
      method: 'PATCH',
      path: '/v1/things/7',
      rawQuery: 'a=%20b',
      host: 'h.example',
    })
  })
})

describe('nginx auth_request', () => {
  it('X-Original-Method / X-Original-URI give the original request; allow puts upstream headers on the 200 for auth_request_set', async () => {
    const r = await call(envoyServer.port, 'GET', '/auth', {
      host: 'portcullis.internal',
      'x-original-method': 'PUT',
      'x-original-uri': '/prod/pets/9?v=2',
      'x-forwarded-host': 'petstore.example.com',
      'x-forwarded-proto': 'https',
      'content-length': '0',
    })
    expect(r.status).toBe(200)
    expect(r.headers['x-portcullis-principal']).toBe('arn:aws:iam::111122223333:user/alice')
    const req = checker.last()
    expect(req.method).toBe('PUT')
    expect(req.path).toBe('/prod/pets/9')
    expect(req.rawQuery).toBe('v=2')
    expect(req.host).toBe('petstore.example.com')
    // SigV4 signs the original Host, not the subrequest's.
    expect(req.headers.get('host')).toBe('petstore.example.com')
    // This server trusts no peer: its X-Forwarded-Proto is not believed.
    expect(req.scheme).toBe('http')
  })

  it('deny 403 is passed as 403 (nginx denies on 401/403)', async () => {
    checker.next = denyOutcome({
      httpStatus: 403,
      grpcCode: 7,
      body: '{"message":"Missing Authentication Token"}',
    })
    const r = await call(envoyServer.port, 'GET', '/auth', { 'x-original-uri': '/nope' })
    expect(r.status).toBe(403)
    expect(r.body).toBe('{"message":"Missing Authentication Token"}')
  })

  it('two X-Original-URI (or X-Original-Method) lines → 403, checker not called: no first-wins reading of which request is asked about', async () => {
    for (const headers of [
      { 'x-original-uri': ['/pets', '/admin'] },
      { 'x-original-uri': '/pets', 'x-original-method': ['GET', 'DELETE'] },
    ]) {
      const r = await call(envoyServer.port, 'GET', '/auth', headers)
      expect(r.status).toBe(403)
      expect(r.body).toBe('{"message":"Forbidden"}')
    }
    expect(checker.seen).toHaveLength(0)
  })

  it('X-Original-URI that is not origin-form → 400 Invalid request path', async () => {
    const r = await call(envoyServer.port, 'GET', '/auth', { 'x-original-uri': 'http://evil/x' })
    expect(r.status).toBe(400)
    expect(r.body).toBe('{"message":"Invalid request path"}')
    expect(checker.seen).toHaveLength(0)
  })
})

describe('Traefik forwardAuth', () => {
  it('X-Forwarded-Method/Proto/Host/Uri give the original request', async () => {
    const r = await call(plainServer.port, 'GET', '/', {
      host: 'portcullis:9002',
      'x-forwarded-method': 'POST',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.pets.example.com',
      'x-forwarded-uri': '/prod/orders?id=1',
      'x-forwarded-for': '203.0.113.50',
    })
    expect(r.status).toBe(200)
    expect(r.headers['x-portcullis-principal']).toBe('arn:aws:iam::111122223333:user/alice')
    expect(checker.last()).toMatchObject({
      method: 'POST',
      path: '/prod/orders',
      rawQuery: 'id=1',
      host: 'api.pets.example.com',
      scheme: 'https',
      sourceIp: '203.0.113.50',
    })
  })

  it('deny: Traefik returns our status, headers and body to the client', async () => {
    checker.next = denyOutcome({
      httpStatus: 413,
      grpcCode: 7,
      body: '{"message":"Request Too Long"}',
    })
    const r = await call(plainServer.port, 'GET', '/', {
      'x-forwarded-uri': '/x',
      'x-forwarded-method': 'GET',
    })
    expect(r.status).toBe(413)
    expect(r.body).toBe('{"message":"Request Too Long"}')
  })
})

describe('client address: forwarded headers only from trusted proxies', () => {
  it('untrusted peer: X-Forwarded-For and X-Real-IP are ignored, the TCP peer is the client', async () => {
    await call(envoyServer.port, 'GET', '/envoy/x', {
      'x-forwarded-for': '203.0.113.9',
      'x-real-ip': '203.0.113.10',
    })
    expect(checker.last().sourceIp).toBe('127.0.0.1')
  })
  it('untrusted peer: X-Forwarded-Proto is ignored (it drives aws:SecureTransport), in every flavor', async () => {
    const forwarded = { 'x-forwarded-proto': 'https' }
    await call(envoyServer.port, 'GET', '/envoy/pets', forwarded)
    expect(checker.last().scheme).toBe('http')
    await call(envoyServer.port, 'GET', '/auth', { ...forwarded, 'x-original-uri': '/pets' })
    expect(checker.last().scheme).toBe('http')
    await call(envoyServer.port, 'GET', '/', { ...forwarded, 'x-forwarded-uri': '/pets' })
    expect(checker.last().scheme).toBe('http')
  })

  it('trusted peer: X-Forwarded-Proto gives the scheme (first hop of a list; anything else is http)', async () => {
    await call(plainServer.port, 'GET', '/pets', { 'x-forwarded-proto': 'HTTPS, http' })
    expect(checker.last().scheme).toBe('https')
    await call(plainServer.port, 'GET', '/pets', { 'x-forwarded-proto': 'wss' })
    expect(checker.last().scheme).toBe('http')
  })

  it('trusted peer: right-most untrusted X-Forwarded-For hop is the client', async () => {
    await call(plainServer.port, 'GET', '/x', {
      'x-forwarded-for': '198.51.100.1, 203.0.113.9, 127.0.0.9',
    })
    expect(checker.last().sourceIp).toBe('203.0.113.9')
  })
  it('trusted peer: X-Real-IP when there is no X-Forwarded-For', async () => {
    await call(plainServer.port, 'GET', '/x', { 'x-real-ip': '::ffff:192.0.2.44' })
    expect(checker.last().sourceIp).toBe('192.0.2.44')
  })
  it('trusted peer: all hops trusted → the left-most', async () => {
    await call(plainServer.port, 'GET', '/x', { 'x-forwarded-for': '127.0.0.3, 127.0.0.2' })
    expect(checker.last().sourceIp).toBe('127.0.0.3')
  })
  it('trusted peer: a non-IP hop where the client should be → 403, no guessing', async () => {
    const r = await call(plainServer.port, 'GET', '/x', { 'x-forwarded-for': 'unknown' })
    expect(r.status).toBe(403)
    expect(checker.seen).toHaveLength(0)
  })
  it('invalid trustForwardedFrom entries are rejected at startup', async () => {
    await expect(
      startHttpAuthServer({
        checker,
        port: 0,
        host: '127.0.0.1',
        trustForwardedFrom: ['10.0.0.0/33'],
      }),
    ).rejects.toThrow(TypeError)
    await expect(
      startHttpAuthServer({
        checker,
        port: 0,
        host: '127.0.0.1',
        trustForwardedFrom: ['not-a-cidr'],
      }),
    ).rejects.toThrow(TypeError)
  })
})

describe('bounds and failures', () => {
  it('body over maxBodyBytes → 413, checker not called (declared Content-Length)', async () => {
    const r = await call(smallServer.port, 'POST', '/x', {}, Buffer.alloc(2048, 0x61))
    expect(r.status).toBe(413)
    expect(r.body).toBe('{"message":"Request Too Long"}')
    expect(checker.seen).toHaveLength(0)
  })
  it('body over maxBodyBytes → 413 (chunked, no Content-Length)', async () => {
    const r = await httpRequest({
      port: smallServer.port,
      method: 'POST',
      path: '/x',
      body: Array.from({ length: 4 }, () => Buffer.alloc(512, 0x62)),
    })
    expect(r.status).toBe(413)
    expect(checker.seen).toHaveLength(0)
  })
  it('headers over the server limit are refused by the HTTP parser (431), never allowed', async () => {
    const r = await call(smallServer.port, 'GET', '/x', { 'x-big': 'a'.repeat(200 * 1024) }).catch(
      (e: unknown) => e as Error,
    )
    if (r instanceof Error) expect(r.message).toMatch(/ECONNRESET|socket hang up|EPIPE/)
    else expect(r.status).toBe(431)
    expect(checker.seen).toHaveLength(0)
  })
  it('checker throws → 500 Internal server error; the server keeps serving', async () => {
    checker.next = () => {
      throw new Error('boom')
    }
    const r = await call(plainServer.port, 'GET', '/x')
    expect(r.status).toBe(500)
    expect(r.body).toBe('{"message":"Internal server error"}')
    expect(r.headers['x-amzn-errortype']).toBe('InternalServerErrorException')
    checker.next = allowOutcome()
    expect((await call(plainServer.port, 'GET', '/x')).status).toBe(200)
  })
  it('checker "denies" with HTTP 200 (an allow for nginx/Traefik) → 500', async () => {
    checker.next = denyOutcome({ httpStatus: 200 })
    expect((await call(plainServer.port, 'GET', '/x')).status).toBe(500)
  })
  it('checker allows with a CR/LF in an upstream header → 500, no header injection', async () => {
    checker.next = allowOutcome({
      upstreamHeaders: [{ name: 'x-portcullis-principal', value: 'a\r\nx-admin: 1' }],
    })
    const r = await call(plainServer.port, 'GET', '/x')
    expect(r.status).toBe(500)
    expect(r.headers['x-admin']).toBeUndefined()
  })
})
