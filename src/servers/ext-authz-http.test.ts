import { describe, expect, it } from 'vitest'
import { denialBodyHeader } from './ext-authz-http.js'

describe('denialBodyHeader (nginx gets the AWS body in x-portcullis-denial-body)', () => {
  it('an ASCII body is passed byte for byte', () => {
    const body = '{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke"}'
    expect(denialBodyHeader(body)).toBe(body)
  })
  it('non-ASCII and control characters are \\u-escaped: a valid header value, the same JSON value', () => {
    const body = JSON.stringify({ Message: 'arn:…/pets/é😀\nx' })
    const h = denialBodyHeader(body)
    expect(h).toMatch(/^[\x20-\x7e]+$/)
    expect(JSON.parse(h ?? '')).toEqual(JSON.parse(body))
  })
  it('null message bodies survive ({"message":null})', () => {
    expect(denialBodyHeader('{"message":null}')).toBe('{"message":null}')
  })
  it('too long or not JSON → no header (nginx falls back to a body per status)', () => {
    expect(denialBodyHeader(JSON.stringify({ message: 'x'.repeat(9000) }))).toBeUndefined()
    expect(denialBodyHeader('not json')).toBeUndefined()
  })
})
