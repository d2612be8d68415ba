import { describe, expect, it } from 'vitest'
import { hostFromAuthority, normalizeIp, pickRequestId, splitTarget } from './normalize-fields.js'

describe('splitTarget', () => {
  const rows: [string, ReturnType<typeof splitTarget>][] = [
    ['/', { path: '/', rawQuery: '' }],
    ['/a/b?x=1&y=2', { path: '/a/b', rawQuery: 'x=1&y=2' }],
    ['/a?', { path: '/a', rawQuery: '' }],
    ['/a?b?c', { path: '/a', rawQuery: 'b?c' }],
    ['/a#frag', { path: '/a', rawQuery: '' }],
    ['/a?q=1#frag', { path: '/a', rawQuery: 'q=1' }],
    ['/%2F%zz/..', { path: '/%2F%zz/..', rawQuery: '' }],
    ['', null],
    ['*', null],
    ['a/b', null],
    ['http://h/a', null],
    ['/a b', null],
    ['/a\tb', null],
    ['/a\u0000', null],
    ['/\u00e9', null],
    ['/\u007f', null],
  ]
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(splitTarget(input)).toEqual(expected)
    })
  }
})

describe('hostFromAuthority', () => {
  // undefined = refused (the translators answer 400), '' = no authority (matches no host).
  const rows: [string, string | undefined][] = [
    ['Example.COM', 'example.com'],
    ['example.com:8443', 'example.com'],
    ['example.com:', 'example.com'],
    ['10.0.0.1:80', '10.0.0.1'],
    ['[2001:DB8::1]:443', '[2001:db8::1]'],
    ['[::1]', '[::1]'],
    ['', ''],
    // Userinfo is never stripped into a match (RFC 9110 §4.2.4: an error).
    ['user:pw@example.com:80', undefined],
    ['evil@kiosk.example.com', undefined],
    ['@kiosk.example.com', undefined],
    // Non-ASCII is never lower-cased into ASCII: KELVIN SIGN, dotted capital I, long s.
    ['\u212Aiosk.example.com', undefined],
    ['\u0130nternal.example.com', undefined],
    ['\u017Fhop.example.com', undefined],
    ['k\u00F6ln.example.com', undefined],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['[evil.example.com]', undefined],
    ['example.com:80x', undefined],
    ['example.com:123456', undefined],
    [':80', undefined],
    [' example.com', undefined],
    ['example.com/x', undefined],
  ]
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(hostFromAuthority(input)).toBe(expected)
    })
  }
})

describe('normalizeIp', () => {
  const rows: [string | undefined, string | undefined][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    // IPv4-compatible (RFC 4291 §2.5.5.1) is not IPv4-mapped: it stays IPv6.
    ['::10.1.2.3', '::a01:203'],
    ['::ffff:0:10.1.2.3', '::ffff:0:a01:203'],
    ['2001:0DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[::1]', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['127.1', undefined],
    ['0x7f.0.0.1', undefined],
    ['10.1.2.3:80', undefined],
    ['not-an-ip', undefined],
    ['', undefined],
    [undefined, undefined],
  ]
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(normalizeIp(input)).toBe(expected)
    })
  }
})

describe('pickRequestId', () => {
  it('takes the first usable candidate', () => {
    expect(pickRequestId(undefined, '', 'abc', 'def')).toBe('abc')
  })
  it('truncates to 128 characters', () => {
    expect(pickRequestId('x'.repeat(500))).toHaveLength(128)
  })
  it('skips ids with spaces or control characters (log safety) and falls back to a UUID', () => {
    expect(pickRequestId('a b', 'a\nb')).toMatch(/^[0-9a-f-]{36}$/)
  })
})
