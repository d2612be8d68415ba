import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromCheckRequest, type CheckRequestWire } from './from-check-request.js'
import { DEFAULT_REQUEST_LIMITS } from './request-parse-result.js'

const http = (h: Record<string, unknown>): CheckRequestWire => ({
  attributes: { request: { http: h } },
})

describe('fromCheckRequest', () => {
  it('prefers x-request-id over Envoy http.id (matches access logs)', () => {
    const r = fromCheckRequest(
      http({ id: '77', method: 'GET', path: '/', headers: { 'x-request-id': 'rid' } }),
    )
    expect(r.ok && r.request.requestId).toBe('rid')
  })

  it('keeps a client-sent host header rather than overwriting it with :authority', () => {
    const r = fromCheckRequest(
      http({ method: 'GET', path: '/', host: 'a.example', headers: { host: 'b.example' } }),
    )
    expect(r.ok && r.request.headers.get('host')).toBe('b.example')
    expect(r.ok && r.request.host).toBe('a.example')
  })

  it('ignores a source address that is not an IP literal', () => {
    const r = fromCheckRequest({
      attributes: {
        source: { address: { socket_address: { address: 'pipe-or-name' } }, principal: '' },
        request: { http: { method: 'GET', path: '/' } },
      },
    })
    expect(r.ok && r.request.sourceIp).toBeUndefined()
    expect(r.ok && r.request.sourcePrincipal).toBeUndefined()
  })

  it('applies the configured limits', () => {
    const limits = { ...DEFAULT_REQUEST_LIMITS, maxBodyBytes: 4, maxHeaderCount: 2 }
    expect(
      fromCheckRequest(http({ method: 'GET', path: '/', body: 'hello' }), limits),
    ).toMatchObject({
      ok: false,
      code: 'ERR_REQUEST_TOO_LARGE',
    })
    expect(
      fromCheckRequest(
        http({ method: 'GET', path: '/', headers: { a: '1', b: '2', c: '3' } }),
        limits,
      ),
    ).toMatchObject({ ok: false, code: 'ERR_REQUEST_TOO_LARGE' })
  })

  it('fixes timeMs to the given clock', () => {
    const r = fromCheckRequest(http({ method: 'GET', path: '/' }), DEFAULT_REQUEST_LIMITS, 1234)
    expect(r.ok && r.request.timeMs).toBe(1234)
  })

  it('never throws and never yields an unsafe context, whatever the decoded shape (property)', () => {
    const str = fc.oneof(
      fc.string(),
      fc.constantFrom('', '/', '/a?b', ':path', 'GET', 'x-request-id'),
    )
    const headerRecord = fc.dictionary(str, fc.string(), { maxKeys: 8 })
    const wire = fc.record(
      {
        attributes: fc.option(
          fc.record(
            {
              source: fc.option(
                fc.record({
                  address: fc.option(
                    fc.record({ socket_address: fc.option(fc.record({ address: str })) }),
                  ),
                  principal: str,
                }),
              ),
              request: fc.option(
                fc.record(
                  {
                    http: fc.option(
                      fc.record(
                        {
                          id: str,
                          method: str,
                          path: str,
                          host: str,
                          scheme: str,
                          headers: fc.option(headerRecord),
                          header_map: fc.option(
                            fc.record({
                              headers: fc.array(
                                fc.record(
                                  {
                                    key: str,
                                    value: fc.string(),
                                    raw_value: fc.uint8Array({ maxLength: 8 }),
                                  },
                                  { requiredKeys: [] },
                                ),
                                { maxLength: 6 },
                              ),
                            }),
                          ),
                          body: fc.string(),
                          raw_body: fc.uint8Array({ maxLength: 16 }),
                        },
                        { requiredKeys: [] },
                      ),
                    ),
                  },
                  { requiredKeys: [] },
                ),
              ),
              context_extensions: fc.option(headerRecord),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(wire, (input) => {
        const r = fromCheckRequest(input)
        if (!r.ok) {
          expect(r.code).toMatch(/^ERR_REQUEST_/)
          return
        }
        expect(r.request.method).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/)
        // Only ASCII names: lower-casing never folds another character into a header's name.
        for (const k of r.request.headers.keys()) expect(k).toMatch(/^[\x00-\x7f]*$/)
        expect(r.request.host).toMatch(/^[\x21-\x7e]*$/)
        expect(r.request.path.startsWith('/')).toBe(true)
        expect(r.request.path).not.toMatch(/[?#\s]/)
        for (const k of r.request.headers.keys()) {
          expect(k.startsWith(':')).toBe(false)
          expect(k).toBe(k.toLowerCase())
        }
      }),
      { numRuns: 2000 },
    )
  })
})
