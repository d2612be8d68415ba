/**
 * The hot-path shortcuts of the SigV4 verifier give exactly what the straightforward definitions
 * give: each is compared, on generated inputs biased towards the edge cases, with the plain
 * implementation it replaced (kept here as the reference). @module
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { canonicalHeaderValue } from './canonical-headers.js'
import { canonicalQueryFromParams, parseQuery } from './canonical-query.js'
import { canonicalUri, normalizeUriPath } from './canonical-uri.js'
import { paramsFromAuthorization } from './sigv4-params.js'
import { parseAmzDate } from './sigv4-timestamp.js'
import { percentDecode, uriEncode } from './uri-encode.js'

const RUNS = { numRuns: 3000 }

/** Strings over an alphabet rich in the characters every shortcut must treat specially. */
function textOf(chars: readonly string[], maxLength = 24): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...chars), fc.string({ maxLength: 2 })), { maxLength })
    .map((parts) => parts.join(''))
}

const PATH_CHARS = [
  '/',
  '/',
  '.',
  '..',
  'a',
  'Z',
  '9',
  '-',
  '_',
  '~',
  '%',
  '%20',
  ' ',
  'é',
  '+',
  '*',
]
const QUERY_CHARS = [
  '&',
  '=',
  'a',
  'B',
  '~',
  '.',
  '%',
  '%2F',
  '%zz',
  '+',
  ' ',
  'é',
  'X-Amz-Signature',
]
const HEADER_CHARS = [' ', '  ', '\t', '\n', '\r\n ', '\u00a0', '\u3000', 'a', 'B', ',', ';', 'é']

function referenceUriEncode(input: string | Uint8Array, keepSlash: boolean): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  let out = ''
  for (const b of bytes) {
    const c = String.fromCharCode(b)
    if (/^[A-Za-z0-9\-_.~]$/.test(c) || (keepSlash && b === 0x2f)) out += c
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

function referenceCanonicalUri(wirePath: string): string {
  const path = normalizeUriPath(wirePath)
  return path === '' ? '/' : referenceUriEncode(path, true)
}

function referenceParseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (m === null) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 || d < 1) return undefined
  const back = new Date(ms)
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && back.getUTCFullYear() === y
    ? ms
    : undefined
}

function referenceCanonicalQuery(rawQuery: string, dropSignature: boolean): string | undefined {
  const pairs: [string, string][] = []
  if (rawQuery === '') return ''
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue
    const eq = piece.indexOf('=')
    const name = percentDecode(eq < 0 ? piece : piece.slice(0, eq), true)
    const value = percentDecode(eq < 0 ? '' : piece.slice(eq + 1), true)
    if (name === undefined || value === undefined) return undefined
    if (dropSignature && name.toString('utf8') === 'X-Amz-Signature') continue
    pairs.push([referenceUriEncode(name, false), referenceUriEncode(value, false)])
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  return pairs
    .sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]))
    .map(([n, v]) => `${n}=${v}`)
    .join('&')
}

describe('SigV4 fast paths agree with the plain definitions', () => {
  it('uriEncode (run-copying) equals per-byte encoding, strings and bytes, with and without /', () => {
    fc.assert(
      fc.property(fc.oneof(textOf(PATH_CHARS), fc.string()), fc.boolean(), (text, keepSlash) => {
        expect(uriEncode(text, keepSlash)).toBe(referenceUriEncode(text, keepSlash))
      }),
      RUNS,
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (bytes, keepSlash) => {
        expect(uriEncode(bytes, keepSlash)).toBe(referenceUriEncode(bytes, keepSlash))
      }),
      RUNS,
    )
  })

  it('canonicalUri (already-canonical shortcut) equals normalise-then-encode', () => {
    for (const p of [
      '/',
      '',
      '/a',
      '/a/',
      '//',
      '/a//b',
      '/.',
      '/..',
      '/...',
      '/a/./b',
      '/a/..',
      '/.a',
      '/a.',
      '/a/b/',
    ]) {
      expect(canonicalUri(p), p).toBe(referenceCanonicalUri(p))
    }
    fc.assert(
      fc.property(textOf(PATH_CHARS), (path) => {
        expect(canonicalUri(path)).toBe(referenceCanonicalUri(path))
      }),
      RUNS,
    )
  })

  it('parseQuery + canonicalQueryFromParams (unreserved shortcut, insertion sort) equal the plain pipeline', () => {
    const many = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 13}=v${i % 5}`).join('&')
    for (const raw of ['', 'a', 'a=', 'b=1&a=2&a=1', many, `${many}&X-Amz-Signature=x`]) {
      for (const drop of [false, true]) {
        const parsed = parseQuery(raw)
        expect(parsed && canonicalQueryFromParams(parsed, { dropSignature: drop }), raw).toBe(
          referenceCanonicalQuery(raw, drop),
        )
      }
    }
    fc.assert(
      fc.property(textOf(QUERY_CHARS, 40), fc.boolean(), (raw, drop) => {
        const parsed = parseQuery(raw)
        expect(parsed && canonicalQueryFromParams(parsed, { dropSignature: drop })).toBe(
          referenceCanonicalQuery(raw, drop),
        )
      }),
      RUNS,
    )
  })

  it('canonicalHeaderValue (already-canonical shortcut) equals trim + fold of \\s runs', () => {
    fc.assert(
      fc.property(fc.oneof(textOf(HEADER_CHARS), fc.string()), (value) => {
        expect(canonicalHeaderValue(value)).toBe(value.trim().replace(/\s+/g, ' '))
      }),
      RUNS,
    )
  })

  it('parseAmzDate (char codes) equals the capturing-regex parser', () => {
    const digits = fc.stringMatching(/^[0-9]{8}T[0-9]{6}Z$/)
    const near = fc
      .tuple(digits, fc.nat(15), fc.constantFrom('٣', 'x', ' ', 'Z', 'T', '0', ''))
      .map(([d, i, c]) => d.slice(0, i) + c + d.slice(i + 1))
    for (const v of [
      '20150830T123600Z',
      '00990101T000000Z',
      '01000101T000000Z',
      '20240229T235959Z',
      '20230229T000000Z',
      '20151330T000000Z',
      '20150830T123600Z\n',
      // Leap years by the Gregorian rule (the arithmetic check must agree with Date).
      '19000229T000000Z',
      '20000229T000000Z',
      '21000229T000000Z',
      '01000229T000000Z',
      '04000229T000000Z',
      '20250431T000000Z',
      '20251231T235959Z',
      '20250132T000000Z',
      '00000101T000000Z',
    ]) {
      expect(parseAmzDate(v), v).toBe(referenceParseAmzDate(v))
    }
    fc.assert(
      fc.property(fc.oneof(digits, near, fc.string()), (value) => {
        expect(parseAmzDate(value)).toBe(referenceParseAmzDate(value))
      }),
      RUNS,
    )
  })

  it('paramsFromAuthorization (no Map, no regex) splits like search(/\\s/) + split(","), refusing repeats', () => {
    const KNOWN = new Set(['Credential', 'Signature', 'SignedHeaders'])
    const headers = new Map([['x-amz-date', '20150830T123600Z']])
    const piece = fc.oneof(
      fc.constantFrom(
        'Credential=A/b',
        'Signature=ab',
        'SignedHeaders=host',
        'Credential=',
        ' Signature = cd ',
        'x',
        'Other=1',
        'AWS4-HMAC-SHA256 Credential=B/c',
        'Basic dXNlcg==',
        '',
      ),
      fc.string({ maxLength: 6 }),
    )
    const ws = fc.constantFrom(' ', '\t', '\u00a0', '\u2003', '\ufeff', '\u001f', '\u0085')
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        ws,
        fc.array(piece, { maxLength: 6 }),
        (alg, sep, pieces) => {
          const authorization = `${alg}${sep}${pieces.join(',')}`
          const got = paramsFromAuthorization(authorization, headers)
          const trimmed = authorization.trim()
          const space = trimmed.search(/\s/)
          const rest = space < 0 ? '' : trimmed.slice(space + 1)
          const fields = new Map<string, string>()
          let refused: string | undefined
          for (const raw of rest.split(',')) {
            const p = raw.trim()
            if (p === '') continue
            const eq = p.indexOf('=')
            if (eq < 0) {
              refused = `'${p}' not a valid key=value pair`
              break
            }
            const key = p.slice(0, eq).trim()
            if (/\s/.test(key)) {
              refused = 'must appear only once and hold a single credential'
              break
            }
            if (KNOWN.has(key) && fields.has(key)) {
              refused = `parameter '${key}' must appear only once`
              break
            }
            if (!fields.has(key)) fields.set(key, p.slice(eq + 1).trim())
          }
          if (refused !== undefined) {
            expect(got.ok).toBe(false)
            if (!got.ok) expect(got.failure.message).toContain(refused)
            return
          }
          const cred = fields.get('Credential')
          const sig = fields.get('Signature')
          const sh = fields.get('SignedHeaders')
          if (got.ok) {
            expect(got.params.algorithm).toBe(space < 0 ? trimmed : trimmed.slice(0, space))
            expect(got.params.credential).toBe(cred)
            expect(got.params.signature).toBe(sig)
            expect(got.params.signedHeaders.join(';')).toBe(sh)
          } else {
            expect(
              cred === undefined ||
                cred === '' ||
                sig === undefined ||
                sig === '' ||
                sh === undefined,
            ).toBe(true)
          }
        },
      ),
      RUNS,
    )
  })
})
