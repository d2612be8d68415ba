import { describe, expect, it } from 'vitest'
import { formatConfigProblem } from './config-problem.js'

const ref = { kind: 'RestApi', namespace: 'shop', name: 'pets' }

describe('formatConfigProblem', () => {
  it('prints all four parts of a field problem: file: kind/namespace/name: field: problem', () => {
    expect(
      formatConfigProblem({ file: 'a.yaml', ref, path: 'spec.routes[0].path', message: 'bad' }),
    ).toBe('a.yaml: RestApi/shop/pets: spec.routes[0].path: bad')
  })

  it('leaves out the field of an object-level problem (no `: :`)', () => {
    expect(
      formatConfigProblem({ file: 'a.yaml', ref, path: '', message: 'duplicate object' }),
    ).toBe('a.yaml: RestApi/shop/pets: duplicate object')
  })

  it('leaves out the object and field of a file-level problem (unreadable, not YAML)', () => {
    expect(
      formatConfigProblem({ file: '/nonexistent', path: '', message: 'cannot read: ENOENT' }),
    ).toBe('/nonexistent: cannot read: ENOENT')
    expect(
      formatConfigProblem({
        file: 'a.yaml',
        ref: undefined,
        path: '',
        message: 'invalid YAML: x',
      }),
    ).toBe('a.yaml: invalid YAML: x')
  })
})
