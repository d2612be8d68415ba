/**
 * The regex-free glob matcher agrees with a reference regular-expression translation of `*` / `?`
 * on random patterns and inputs (property test), and handles the edge cases explicitly.
 */
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { compileGlobText, matchGlob } from './wildcard.js'

function reference(pattern: string, s: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]')
  return new RegExp(`^${source}$`).test(s)
}

describe('wildcard matching', () => {
  const alphabet = fc.constantFrom('a', 'b', '/', ':', '*', '?')
  const text = fc.constantFrom('a', 'b', '/', ':')
  it('agrees with a regex reference on random patterns and inputs', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: text, maxLength: 10 }),
        (p, s) => {
          expect(matchGlob(compileGlobText(p), s)).toBe(reference(p, s))
        },
      ),
      { numRuns: 20_000 },
    )
  })
  const cases: [string, string, boolean][] = [
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['**', 'abc', true],
    ['?', '', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*/GET/pets', 'prod/GET/pets/1', false],
    ['prod/*', 'prod/GET/pets/1', true],
  ]
  for (const [p, s, expected] of cases) {
    it(`"${p}" ${expected ? 'matches' : 'does not match'} "${s}"`, () => {
      expect(matchGlob(compileGlobText(p), s)).toBe(expected)
    })
  }
  it('ignoreCase lower-cases the pattern (inputs are lower-cased by the caller)', () => {
    expect(matchGlob(compileGlobText('Execute-API:In*', true), 'execute-api:invoke')).toBe(true)
  })
  it('never backtracks on a pathological pattern: each chunk is searched once (counted, not timed)', () => {
    // A backtracking matcher retries earlier stars when `b` is missing: exponential searches. The
    // leftmost-placement matcher searches each of the 31 chunks once and gives up.
    const p = compileGlobText(`${'*a'.repeat(30)}*b*`)
    const indexOf = vi.spyOn(String.prototype, 'indexOf')
    const lastIndexOf = vi.spyOn(String.prototype, 'lastIndexOf')
    const charCodeAt = vi.spyOn(String.prototype, 'charCodeAt')
    const s = 'a'.repeat(1600)
    let matched: boolean
    let searches: number
    let charReads: number
    try {
      matched = matchGlob(p, s)
      searches = indexOf.mock.calls.length + lastIndexOf.mock.calls.length
      charReads = charCodeAt.mock.calls.length
    } finally {
      indexOf.mockRestore()
      lastIndexOf.mockRestore()
      charCodeAt.mockRestore()
    }
    expect(matched).toBe(false)
    expect(p.chunks).toHaveLength(31)
    expect(searches).toBe(31)
    expect(charReads).toBe(0)
  })
})
