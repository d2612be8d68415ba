import { describe, expect, it } from 'vitest'
import { BOUNDARY_DENIALS } from './boundary-deny.js'
import { outcomeProblem } from './validate-outcome.js'

const allow = {
  allowed: true,
  upstreamHeaders: [{ name: 'x-portcullis-principal', value: 'arn:aws:iam::1:user/a b\tc' }],
  headersToRemove: ['x-portcullis-principal'],
  code: 'ALLOW',
  api: undefined,
  metadata: {},
}
const deny = {
  allowed: false,
  httpStatus: 403,
  grpcCode: 7,
  body: '{}',
  headers: [{ name: 'content-type', value: 'application/json' }],
  code: 'ERR_X',
  api: 'ns/a',
  metadata: { decision_id: 'd' },
}

describe('outcomeProblem', () => {
  it('accepts well-formed allows, denies and every boundary denial', () => {
    expect(outcomeProblem(allow)).toBeUndefined()
    expect(outcomeProblem(deny)).toBeUndefined()
    for (const d of Object.values(BOUNDARY_DENIALS)) expect(outcomeProblem(d)).toBeUndefined()
  })
  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', 'allow'],
    ['allowed missing', { ...allow, allowed: undefined }],
    ['allowed truthy non-boolean', { ...allow, allowed: 1 }],
    ['deny with grpcCode 0', { ...deny, grpcCode: 0 }],
    ['deny with grpcCode 17', { ...deny, grpcCode: 17 }],
    ['deny with 2xx', { ...deny, httpStatus: 204 }],
    ['deny with 3xx', { ...deny, httpStatus: 302 }],
    ['deny with fractional status', { ...deny, httpStatus: 403.5 }],
    ['deny body not a string', { ...deny, body: { message: 'x' } }],
    ['upper-case header name', { ...allow, upstreamHeaders: [{ name: 'X-A', value: 'v' }] }],
    ['header value with LF', { ...allow, upstreamHeaders: [{ name: 'x-a', value: 'a\nb' }] }],
    ['header value with NUL', { ...deny, headers: [{ name: 'x-a', value: 'a\u0000' }] }],
    [
      'header value with Latin-1 (gRPC would send UTF-8, the HTTP server one byte)',
      { ...allow, upstreamHeaders: [{ name: 'x-a', value: 'Jos\u00e9' }] },
    ],
    [
      'header value beyond Latin-1',
      { ...allow, upstreamHeaders: [{ name: 'x-a', value: '\u2028' }] },
    ],
    ['headersToRemove not an array', { ...allow, headersToRemove: 'x' }],
    ['metadata value number', { ...allow, metadata: { a: 1 } }],
    ['code missing', { ...allow, code: undefined }],
  ]
  for (const [name, outcome] of bad) {
    it(`rejects: ${name}`, () => {
      expect(outcomeProblem(outcome)).toEqual(expect.any(String))
    })
  }

  it('remembers only deeply frozen header lists: a mutable list changed after passing is checked again', () => {
    const mutable = [{ name: 'x-a', value: 'ok' }]
    expect(outcomeProblem({ ...allow, upstreamHeaders: mutable })).toBeUndefined()
    mutable[0] = { name: 'x-a', value: 'a\r\nb' }
    expect(outcomeProblem({ ...allow, upstreamHeaders: mutable })).toEqual(expect.any(String))
    const frozen = Object.freeze([Object.freeze({ name: 'x-a', value: 'ok' })])
    expect(outcomeProblem({ ...allow, upstreamHeaders: frozen })).toBeUndefined()
    expect(outcomeProblem({ ...allow, upstreamHeaders: frozen })).toBeUndefined()
  })
})
