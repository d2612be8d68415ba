/**
 * The regex-free glob matcher agrees with a reference regular-expression translation of `*` / `?`
 * on random patterns and inputs (property test), and handles the edge cases explicitly.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
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
  it('stays linear on a pathological pattern (no backtracking blow-up)', () => {
    const p = compileGlobText(`${'*a'.repeat(30)}*b`)
    const start = process.hrtime.bigint()
    expect(matchGlob(p, 'a'.repeat(1600))).toBe(false)
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(50)
  })
})
