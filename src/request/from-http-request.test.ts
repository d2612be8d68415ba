import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHttpRequest, type HttpAuthSubrequest } from './from-http-request.js'
import { compileTrustedProxies } from './trusted-proxies.js'

const sub = (over: Partial<HttpAuthSubrequest>): HttpAuthSubrequest => ({
  method: 'GET',
  url: '/',
  headers: { host: ['authz.local'] },
  httpVersion: '1.1',
  peerAddress: '10.0.0.1',
  body: undefined,
  ...over,
})

describe('fromHttpRequest flavour detection', () => {
  it('nginx wins over Traefik when both header sets are present', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'x-original-uri': ['/n'], 'x-forwarded-uri': ['/t'] } }),
    )
    expect(r.flavor).toBe('nginx')
    expect(r.ok && r.request.path).toBe('/n')
  })
  it('X-Original-Method absent → the subrequest method', () => {
    const r = fromHttpRequest(sub({ method: 'HEAD', headers: { 'x-original-uri': ['/n'] } }))
    expect(r.ok && r.request.method).toBe('HEAD')
  })
  it('with a pathPrefix, the prefix must be followed by "/" (no /envoyX match)', () => {
    const r = fromHttpRequest(sub({ url: '/envoyX/a' }), { pathPrefix: '/envoy' })
    expect(r).toMatchObject({ ok: false, code: 'ERR_REQUEST_MALFORMED' })
  })
  it('repeated headers are joined with "," like Envoy does (duplicate authorization becomes unusable, not first-wins)', () => {
    const r = fromHttpRequest(sub({ headers: { authorization: ['a', 'b'] } }))
    expect(r.ok && r.request.headers.get('authorization')).toBe('a,b')
  })
  it('an unknown X-Forwarded-Proto value is treated as http', () => {
    const r = fromHttpRequest(sub({ headers: { 'x-forwarded-proto': ['gopher'] } }))
    expect(r.ok && r.request.scheme).toBe('http')
  })
})

describe('fromHttpRequest: headers naming the request come once', () => {
  // With two copies, first-wins here and last-wins in another reader could authorize one request
  // and serve another: every repeat is refused as malformed.
  for (const name of [
    'host',
    'x-original-uri',
    'x-original-method',
    'x-forwarded-uri',
    'x-forwarded-method',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-real-ip',
    'x-original-content-length',
  ]) {
    it(`a repeated ${name} is refused`, () => {
      const headers: Record<string, string[]> = { 'x-original-uri': ['/n'], host: ['a.example'] }
      headers[name] = name === 'x-original-uri' ? ['/n', '/admin'] : ['1', '2']
      expect(fromHttpRequest(sub({ headers }))).toMatchObject({
        ok: false,
        code: 'ERR_REQUEST_MALFORMED',
      })
    })
  }
  it('one copy of each is accepted', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'x-original-uri': ['/n'], 'x-forwarded-host': ['a.example'] } }),
    )
    expect(r.ok && r.request.host).toBe('a.example')
  })
})

describe('fromHttpRequest: nginx body framing hints', () => {
  it("the subrequest's own Content-Length is dropped; X-Original-Content-Length says what the original had", () => {
    const r = fromHttpRequest(
      sub({
        headers: {
          'x-original-uri': ['/p'],
          'content-length': ['0'],
          'x-original-content-length': ['12'],
        },
      }),
    )
    expect(r.ok && r.request.headers.get('content-length')).toBe('12')
  })
  it('no hint → no content-length (a signed PUT then needs x-amz-content-sha256, never assumed empty)', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'x-original-uri': ['/p'], 'content-length': ['0'] } }),
    )
    expect(r.ok && r.request.headers.has('content-length')).toBe(false)
  })
  it('X-Original-Transfer-Encoding becomes transfer-encoding (chunked body present)', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'x-original-uri': ['/p'], 'x-original-transfer-encoding': ['chunked'] } }),
    )
    expect(r.ok && r.request.headers.get('transfer-encoding')).toBe('chunked')
  })
  it('a non-numeric X-Original-Content-Length is malformed (denied), not ignored', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'x-original-uri': ['/p'], 'x-original-content-length': ['1e3'] } }),
    )
    expect(r).toMatchObject({ ok: false, code: 'ERR_REQUEST_MALFORMED' })
  })
  it('Envoy flavour keeps its Content-Length (it describes the body Envoy sent)', () => {
    const r = fromHttpRequest(
      sub({ headers: { 'content-length': ['3'] }, body: Buffer.from('abc') }),
    )
    expect(r.ok && r.request.headers.get('content-length')).toBe('3')
  })
})

describe('compileTrustedProxies', () => {
  const trusted = compileTrustedProxies(['10.0.0.0/8', '192.0.2.7', 'fd00::/8'])
  const rows: [string, boolean][] = [
    ['10.255.0.1', true],
    ['11.0.0.1', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['fd12::1', true],
    ['fe80::1', false],
    ['garbage', false],
  ]
  for (const [ip, expected] of rows) {
    it(`${ip} → ${expected}`, () => {
      expect(trusted(ip)).toBe(expected)
    })
  }
  it('rejects bad entries with TypeError', () => {
    expect(() => compileTrustedProxies(['10.0.0.0/40'])).toThrow(TypeError)
    expect(() => compileTrustedProxies(['10.0.0.0/x'])).toThrow(TypeError)
    expect(() => compileTrustedProxies(['example.com'])).toThrow(TypeError)
  })
})

describe('fromHttpRequest never throws (property)', () => {
  it('arbitrary methods, targets, headers and peers give a context or an ERR_REQUEST_ code', () => {
    const values = fc.array(fc.string(), { maxLength: 3 })
    fc.assert(
      fc.property(
        fc.string(),
        fc.oneof(fc.string(), fc.constantFrom('/', '/envoy/a', '/a?b')),
        fc.dictionary(
          fc.constantFrom(
            'host',
            'x-original-uri',
            'x-forwarded-uri',
            'x-forwarded-for',
            'x-real-ip',
            'x-request-id',
            'a',
          ),
          values,
        ),
        fc.option(fc.oneof(fc.string(), fc.constantFrom('127.0.0.1', '::1', '10.0.0.1'))),
        (method, url, headers, peer) => {
          const r = fromHttpRequest(sub({ method, url, headers, peerAddress: peer ?? undefined }), {
            pathPrefix: '/envoy',
            trustedProxies: compileTrustedProxies(['127.0.0.0/8', '::1']),
          })
          if (!r.ok) expect(r.code).toMatch(/^ERR_REQUEST_/)
          else expect(r.request.path.startsWith('/')).toBe(true)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
