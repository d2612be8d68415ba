/**
 * Label selectors with Kubernetes' semantics (k8s.io/apimachinery labels.Selector): one row per rule,
 * named for what it proves, plus the validation Kubernetes applies to keys, values and operators.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compileLabelSelector,
  labelKeyProblem,
  labelValueProblem,
  toLabels,
} from './label-selector.js'

const labels = (o: Record<string, string>) => new Map(Object.entries(o))

function matcher(sel: unknown) {
  const r = compileLabelSelector(sel, 'sel')
  if (!r.ok) throw new Error(`selector rejected: ${JSON.stringify(r.errors)}`)
  return r.matcher
}

describe('compileLabelSelector: matching', () => {
  const rows: [string, unknown, Record<string, string>, boolean][] = [
    ['empty selector {} matches a pod with no labels', {}, {}, true],
    ['empty selector {} matches any labels', {}, { app: 'a', team: 'x' }, true],
    [
      'empty matchLabels and matchExpressions still match everything',
      { matchLabels: {}, matchExpressions: [] },
      { a: 'b' },
      true,
    ],
    ['matchLabels: equal value matches', { matchLabels: { app: 'web' } }, { app: 'web' }, true],
    ['matchLabels: other value does not', { matchLabels: { app: 'web' } }, { app: 'db' }, false],
    [
      'matchLabels: missing label does not',
      { matchLabels: { app: 'web' } },
      { tier: 'web' },
      false,
    ],
    [
      'matchLabels: values are case-sensitive',
      { matchLabels: { app: 'web' } },
      { app: 'Web' },
      false,
    ],
    [
      'matchLabels: every pair must hold (AND)',
      { matchLabels: { app: 'web', tier: 'fe' } },
      { app: 'web', tier: 'be' },
      false,
    ],
    [
      'matchLabels: extra labels on the object do not matter',
      { matchLabels: { app: 'web' } },
      { app: 'web', version: 'v2' },
      true,
    ],
    [
      'matchLabels: empty value matches a label set to the empty string',
      { matchLabels: { canary: '' } },
      { canary: '' },
      true,
    ],
    [
      'matchLabels: empty value does not match an absent label',
      { matchLabels: { canary: '' } },
      {},
      false,
    ],
    [
      'In: one of the values matches',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
      { env: 'staging' },
      true,
    ],
    [
      'In: a value outside the set does not',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
      { env: 'dev' },
      false,
    ],
    [
      'In: an absent label does not',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      {},
      false,
    ],
    [
      'NotIn: an absent label matches (Kubernetes semantics)',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      { app: 'x' },
      true,
    ],
    [
      'NotIn: a value outside the set matches',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      { env: 'dev' },
      true,
    ],
    [
      'NotIn: a value in the set does not',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] }] },
      { env: 'dev' },
      false,
    ],
    [
      'Exists: present with any value (even empty) matches',
      { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
      { team: '' },
      true,
    ],
    [
      'Exists: absent does not',
      { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
      { teams: 'x' },
      false,
    ],
    [
      'Exists with values: [] is accepted (empty list)',
      { matchExpressions: [{ key: 'team', operator: 'Exists', values: [] }] },
      { team: 'a' },
      true,
    ],
    [
      'DoesNotExist: absent matches',
      { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] },
      { app: 'x' },
      true,
    ],
    [
      'DoesNotExist: present (any value) does not',
      { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] },
      { legacy: 'false' },
      false,
    ],
    [
      'matchLabels AND matchExpressions must all hold',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }],
      },
      { app: 'web', env: 'dev' },
      false,
    ],
    [
      'matchLabels AND matchExpressions: all hold',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      { app: 'web', env: 'prod' },
      true,
    ],
    [
      'contradictory requirements on one key never match',
      {
        matchLabels: { env: 'prod' },
        matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }],
      },
      { env: 'prod' },
      false,
    ],
    [
      'prefixed keys (kubernetes.io/metadata.name) work like any key',
      {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['web', 'shop'] },
        ],
      },
      { 'kubernetes.io/metadata.name': 'shop' },
      true,
    ],
    [
      'a label named like an Object.prototype member is plain data (no prototype lookup)',
      { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      {},
      false,
    ],
  ]
  for (const [name, sel, l, want] of rows) {
    it(name, () => {
      expect(matcher(sel)(labels(l))).toBe(want)
    })
  }

  it('property: matchLabels {k: v} ≡ matchExpressions In [v], and NotIn is the complement of In', () => {
    const key = fc.constantFrom('app', 'env', 'team')
    const value = fc.constantFrom('a', 'b', 'c', '')
    fc.assert(
      fc.property(
        key,
        value,
        fc.dictionary(key, value),
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1 }),
        (k, v, l, vs) => {
          const ls = labels(l)
          expect(matcher({ matchLabels: { [k]: v } })(ls)).toBe(
            matcher({ matchExpressions: [{ key: k, operator: 'In', values: [v] }] })(ls),
          )
          expect(
            matcher({ matchExpressions: [{ key: k, operator: 'NotIn', values: vs }] })(ls),
          ).toBe(!matcher({ matchExpressions: [{ key: k, operator: 'In', values: vs }] })(ls))
          expect(matcher({ matchExpressions: [{ key: k, operator: 'DoesNotExist' }] })(ls)).toBe(
            !matcher({ matchExpressions: [{ key: k, operator: 'Exists' }] })(ls),
          )
        },
      ),
    )
  })
})

describe('compileLabelSelector: validation (what the API server would refuse is a compile error)', () => {
  const bad: [string, unknown, string][] = [
    ['not an object', 'app=web', 'sel'],
    ['an array', [], 'sel'],
    ['an unknown field', { matchLabel: { a: 'b' } }, 'sel.matchLabel'],
    ['matchLabels not a map', { matchLabels: ['a'] }, 'sel.matchLabels'],
    ['a non-string label value', { matchLabels: { a: 1 } }, 'sel.matchLabels.a'],
    ['a label key with a space', { matchLabels: { 'my app': 'x' } }, 'sel.matchLabels.my app'],
    [
      'a label value over 63 characters',
      { matchLabels: { a: 'x'.repeat(64) } },
      'sel.matchLabels.a',
    ],
    ['a label value ending in a dash', { matchLabels: { a: 'web-' } }, 'sel.matchLabels.a'],
    [
      'a key prefix in upper case',
      { matchLabels: { 'Example.com/a': 'x' } },
      'sel.matchLabels.Example.com/a',
    ],
    [
      'an empty key name after the prefix',
      { matchLabels: { 'example.com/': 'x' } },
      'sel.matchLabels.example.com/',
    ],
    [
      'an unknown operator',
      { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] },
      'sel.matchExpressions[0].operator',
    ],
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      'sel.matchExpressions[0].values',
    ],
    [
      'NotIn without values',
      { matchExpressions: [{ key: 'a', operator: 'NotIn' }] },
      'sel.matchExpressions[0].values',
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'sel.matchExpressions[0].values',
    ],
    [
      'DoesNotExist with values',
      { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] },
      'sel.matchExpressions[0].values',
    ],
    [
      'an invalid value in In',
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] },
      'sel.matchExpressions[0].values',
    ],
    [
      'an invalid key in an expression',
      { matchExpressions: [{ key: '-a', operator: 'Exists' }] },
      'sel.matchExpressions[0].key',
    ],
    ['a requirement that is not an object', { matchExpressions: ['a'] }, 'sel.matchExpressions[0]'],
    ['matchExpressions not a list', { matchExpressions: {} }, 'sel.matchExpressions'],
  ]
  for (const [name, sel, path] of bad) {
    it(`rejects ${name} (at ${path})`, () => {
      const r = compileLabelSelector(sel, 'sel')
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.errors.map((e) => e.path)).toContain(path)
    })
  }

  it('accepts the key and value shapes Kubernetes accepts', () => {
    for (const k of ['a', 'app.kubernetes.io/name', 'example.com/A_b-c.9', 'x'.repeat(63)]) {
      expect(labelKeyProblem(k), k).toBeUndefined()
    }
    for (const k of ['', '/a', `${'x'.repeat(254)}/a`, 'x'.repeat(64), 'a/b/c', '_a']) {
      expect(labelKeyProblem(k), k).toBeDefined()
    }
    for (const v of ['', 'a', 'A-b_c.9', 'x'.repeat(63)])
      expect(labelValueProblem(v), v).toBeUndefined()
    for (const v of ['-a', 'a b', 'x'.repeat(64), 'é'])
      expect(labelValueProblem(v), v).toBeDefined()
  })
})

describe('toLabels', () => {
  it('keeps string values only, and never reads the prototype', () => {
    const l = toLabels({ app: 'web', n: 1, nested: { a: 'b' } })
    expect([...l]).toEqual([['app', 'web']])
    expect(toLabels(undefined).size).toBe(0)
    expect(toLabels(['a']).size).toBe(0)
    expect(toLabels({}).get('constructor')).toBeUndefined()
  })
})
