/**
 * PrincipalConditions reads exactly like the merged map it replaces (request keys, then the
 * principal's keys over them), for every ReadonlyMap method. @module
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import type { ConditionValue } from '../../policy/types.js'
import { PrincipalConditions, principalConditions } from './principal-conditions.js'

function merged(
  base: ReadonlyMap<string, ConditionValue>,
  keys: ReadonlyMap<string, string>,
): Map<string, ConditionValue> {
  const m = new Map<string, ConditionValue>(base)
  for (const [k, v] of keys) m.set(k, v)
  return m
}

describe('principalConditions', () => {
  it('a principal key wins over a request key of the same name; others pass through', () => {
    const base = new Map<string, ConditionValue>([
      ['aws:sourceip', '203.0.113.10'],
      ['aws:username', 'forged'],
      ['aws:multi', ['a', 'b']],
    ])
    const keys = new Map([
      ['aws:username', 'alice'],
      ['aws:principaltag/team', 'pets'],
    ])
    const ctx = principalConditions(base, keys)
    expect(ctx.get('aws:username')).toBe('alice')
    expect(ctx.get('aws:sourceip')).toBe('203.0.113.10')
    expect(ctx.get('aws:multi')).toEqual(['a', 'b'])
    expect(ctx.get('aws:principaltag/team')).toBe('pets')
    expect(ctx.get('aws:absent')).toBeUndefined()
    expect(ctx.has('aws:absent')).toBe(false)
  })

  it('is the request map itself when the principal has no keys', () => {
    const base = new Map<string, ConditionValue>([['aws:sourceip', '203.0.113.10']])
    expect(principalConditions(base, new Map())).toBe(base)
  })

  it('every method equals the merged Map on generated maps', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')
    const value = fc.oneof(fc.string({ maxLength: 3 }), fc.array(fc.string({ maxLength: 2 })))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, value), { maxLength: 6 }),
        fc.array(fc.tuple(key, fc.string({ maxLength: 3 })), { maxLength: 6 }),
        (b, k) => {
          const base = new Map<string, ConditionValue>(b)
          const keys = new Map(k)
          const expected = merged(base, keys)
          const ctx = new PrincipalConditions(base, keys)
          for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'z']) {
            expect(ctx.get(name)).toEqual(expected.get(name))
            expect(ctx.has(name)).toBe(expected.has(name))
          }
          expect(ctx.size).toBe(expected.size)
          expect([...ctx]).toEqual([...expected])
          expect([...ctx.keys()]).toEqual([...expected.keys()])
          expect([...ctx.values()]).toEqual([...expected.values()])
          expect([...ctx.entries()]).toEqual([...expected.entries()])
          const seen: [string, ConditionValue][] = []
          ctx.forEach((v, name, map) => {
            expect(map).toBe(ctx)
            seen.push([name, v])
          })
          expect(seen).toEqual([...expected])
        },
      ),
      { numRuns: 1000 },
    )
  })
})
