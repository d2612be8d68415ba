/**
 * extractBearerToken against the rule it replaces (`value.trim().replace(/^bearer +/i, '')` with
 * the size and emptiness checks): fixed cases, then a property test over random header values
 * built from the characters that matter (letters of "bearer" in both cases, spaces, Unicode
 * whitespace, look-alike letters).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_TOKEN_BYTES } from './decode-compact-jws.js'
import { extractBearerToken } from './extract-bearer-token.js'

/** The straightforward definition (the verifier's code before the fast path). */
function reference(value: string | undefined): string {
  if (value === undefined) return 'ERR_JWT_MISSING'
  if (value.length > MAX_TOKEN_BYTES + 64) return 'ERR_JWT_TOO_LARGE'
  const token = value.trim().replace(/^bearer +/i, '')
  if (token.length === 0) return 'ERR_JWT_MISSING'
  if (token.length > MAX_TOKEN_BYTES) return 'ERR_JWT_TOO_LARGE'
  return `token:${token}`
}

function actual(value: string | undefined): string {
  const r = extractBearerToken(value)
  return typeof r === 'string' ? `token:${r}` : r.code
}

describe('extractBearerToken', () => {
  it.each([
    [undefined, 'ERR_JWT_MISSING'],
    ['', 'ERR_JWT_MISSING'],
    ['   ', 'ERR_JWT_MISSING'],
    ['Bearer ', 'token:Bearer'], // trimmed to "Bearer": no scheme separator left, so a (bad) token
    ['Bearer abc', 'token:abc'],
    ['bEaReR    abc', 'token:abc'],
    ['  Bearer abc\t', 'token:abc'],
    ['\u00a0Bearer abc\u2028', 'token:abc'], // Unicode whitespace trimmed like String#trim
    ['Bearerabc', 'token:Bearerabc'],
    ['Bearer\tabc', 'token:Bearer\tabc'], // only spaces separate the scheme, as before
    ['Basic abc', 'token:Basic abc'],
    ['abc', 'token:abc'],
    ['x'.repeat(MAX_TOKEN_BYTES + 65), 'ERR_JWT_TOO_LARGE'],
    [`Bearer ${'x'.repeat(MAX_TOKEN_BYTES + 1)}`, 'ERR_JWT_TOO_LARGE'],
    [`Bearer ${'x'.repeat(MAX_TOKEN_BYTES)}`, `token:${'x'.repeat(MAX_TOKEN_BYTES)}`],
  ])('%j → %s', (value, expected) => {
    expect(actual(value)).toBe(expected)
    expect(reference(value)).toBe(expected)
  })

  it('agrees with the regex definition on 20 000 random header values', () => {
    const pieces = fc.constantFrom(
      'b',
      'B',
      'e',
      'E',
      'a',
      'A',
      'r',
      'R',
      'bearer',
      'Bearer',
      'BEARER',
      ' ',
      '  ',
      '\t',
      '\n',
      '\u00a0',
      '\ufeff',
      '\u2028',
      '\u017f',
      '\u212a',
      'x',
      '.',
      '-',
      '\u0000',
      'é',
    )
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const value = parts.join('')
        expect(actual(value)).toBe(reference(value))
      }),
      { numRuns: 20_000 },
    )
  })
})
