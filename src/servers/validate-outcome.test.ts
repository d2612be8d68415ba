import { describe, expect, it } from 'vitest'
import { BOUNDARY_DENIALS } from './boundary-deny.js'
import { outcomeProblem } from './validate-outcome.js'
import { isValidatedHeaders, sealHeaders } from '../decision/validated-headers.js'

const allow = {
  allowed: true,
  upstreamHeaders: [{ name: 'x-portcullis-principal', value: 'arn:aws:iam::1:user/a b\tc' }],
  headersToRemove: ['x-portcullis-principal'],
  code: 'ALLOW_IAM',
  api: undefined,
  metadata: {},
}
const deny = {
  allowed: false,
  httpStatus: 403,
  grpcCode: 7,
  body: '{}',
  headers: [{ name: 'content-type', value: 'application/json' }],
  code: 'ERR_POLICY_EXPLICIT_DENY',
  api: 'ns/a',
  metadata: { decision_id: 'd' },
}

describe('outcomeProblem', () => {
  it('accepts well-formed allows, denies and every boundary denial', () => {
    expect(outcomeProblem(allow)).toBeUndefined()
    expect(outcomeProblem(deny)).toBeUndefined()
    for (const d of Object.values(BOUNDARY_DENIALS)) expect(outcomeProblem(d)).toBeUndefined()
    // A dry-run allow stands in for a would-be deny and carries its code.
    const dryRun = { decision: 'deny', status: 403, code: 'ERR_POLICY_EXPLICIT_DENY' }
    expect(outcomeProblem({ ...allow, code: 'ERR_POLICY_EXPLICIT_DENY', dryRun })).toBeUndefined()
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
    // The code list is the contract of logs, metrics and alerts: nothing else goes out.
    ['allow with an unlisted code', { ...allow, code: 'ALLOW_X' }],
    ['deny with an unlisted code', { ...deny, code: 'ERR_X' }],
    ['deny with a prototype key as code', { ...deny, code: 'constructor' }],
    ['allow with a deny code', { ...allow, code: 'ERR_POLICY_EXPLICIT_DENY' }],
    ['deny with an allow code', { ...deny, code: 'ALLOW_IAM' }],
    ['deny with a status its code does not list', { ...deny, code: 'ERR_NOT_READY' }],
    [
      'JWT scope mismatch with neither 401 nor 403',
      { ...deny, code: 'ERR_JWT_SCOPE_MISMATCH', httpStatus: 500 },
    ],
  ]
  for (const [name, outcome] of bad) {
    it(`rejects: ${name}`, () => {
      expect(outcomeProblem(outcome)).toEqual(expect.any(String))
    })
  }

  it('trusts only sealed header lists: any other list, frozen or not, is checked on every outcome', () => {
    const mutable = [{ name: 'x-a', value: 'ok' }]
    expect(outcomeProblem({ ...allow, upstreamHeaders: mutable })).toBeUndefined()
    mutable[0] = { name: 'x-a', value: 'a\r\nb' }
    expect(outcomeProblem({ ...allow, upstreamHeaders: mutable })).toEqual(expect.any(String))
    // A frozen list with a frozen but invalid entry: freezing alone earns no trust.
    const frozen = Object.freeze([Object.freeze({ name: 'x-a', value: 'a\nb' })])
    expect(outcomeProblem({ ...allow, upstreamHeaders: frozen })).toEqual(expect.any(String))
    const sealed = sealHeaders([{ name: 'x-a', value: 'ok' }])
    expect(isValidatedHeaders(sealed)).toBe(true)
    expect(Object.isFrozen(sealed) && Object.isFrozen(sealed[0])).toBe(true)
    expect(outcomeProblem({ ...allow, upstreamHeaders: sealed })).toBeUndefined()
  })

  it('refuses to seal a list that breaks the header rules (a builder bug, not a request)', () => {
    expect(() => sealHeaders([{ name: 'X-Upper', value: 'v' }])).toThrow(/invalid name/)
    expect(() => sealHeaders([{ name: 'x-a', value: 'a\r\nb' }])).toThrow(/invalid value/)
  })
})
