/** Canonical headers: trim, fold whitespace, host from the authority, signed order. @module */
import { describe, expect, it } from 'vitest'

import { canonicalHeaders, canonicalHeaderValue } from './canonical-headers.js'

describe('canonicalHeaders', () => {
  const req = {
    authority: 'api.example.com:8443',
    headers: new Map([
      ['x-amz-date', '20150830T123600Z'],
      ['my-header2', '  "a   b   c"  '],
      ['my-header1', 'value2,value2,value1'],
      ['folded', 'value1\n  value2\n     value3'],
    ]),
  }

  it('maps host to the authority (Envoy :authority), trims and folds values, keeps joined duplicates', () => {
    expect(canonicalHeaders(req, ['host', 'my-header1', 'my-header2', 'x-amz-date'])).toBe(
      'host:api.example.com:8443\nmy-header1:value2,value2,value1\nmy-header2:"a b c"\nx-amz-date:20150830T123600Z\n',
    )
  })

  it('folds obs-fold continuation lines into single spaces', () => {
    expect(canonicalHeaderValue(req.headers.get('folded') ?? '')).toBe('value1 value2 value3')
  })

  it('a signed header absent from the request contributes an empty value', () => {
    expect(canonicalHeaders(req, ['host', 'x-missing'])).toBe(
      'host:api.example.com:8443\nx-missing:\n',
    )
  })
})
