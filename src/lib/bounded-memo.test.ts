import { describe, expect, it } from 'vitest'
import { BoundedMemo } from './bounded-memo.js'

describe('BoundedMemo', () => {
  it('never holds more than max entries: a new key on a full memo empties it first', () => {
    const m = new BoundedMemo<number, string>(3)
    for (let i = 0; i < 3; i++) m.set(i, `v${i}`)
    expect(m.size).toBe(3)
    m.set(3, 'v3')
    expect(m.size).toBe(1)
    expect(m.get(0)).toBeUndefined()
    expect(m.get(3)).toBe('v3')
    for (let i = 0; i < 100; i++) m.set(i, 'x')
    expect(m.size).toBeLessThanOrEqual(3)
  })

  it('overwriting a key already held does not empty a full memo', () => {
    const m = new BoundedMemo<string, number>(2)
    m.set('a', 1)
    m.set('b', 2)
    m.set('a', 3)
    expect([m.get('a'), m.get('b'), m.size]).toEqual([3, 2, 2])
  })

  it('getOrMake calls make once per key while the key is held', () => {
    const m = new BoundedMemo<string, string>(8)
    let calls = 0
    const make = (k: string): string => {
      calls++
      return k.toUpperCase()
    }
    expect(m.getOrMake('a', make)).toBe('A')
    expect(m.getOrMake('a', make)).toBe('A')
    expect(calls).toBe(1)
  })

  it('refuses a bound below 1', () => {
    expect(() => new BoundedMemo(0)).toThrow(RangeError)
  })
})
