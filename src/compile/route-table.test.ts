import { describe, expect, it } from 'vitest'
import { buildRouteTable, parseResourcePath } from './route-table.js'

const routes = [
  { path: '/', methods: ['GET'], route: 'root' },
  { path: '/pets', methods: ['GET'], route: 'list-pets' },
  { path: '/pets', methods: ['ANY'], route: 'any-pets' },
  { path: '/pets/{petId}', methods: ['GET', 'DELETE'], route: 'pet' },
  { path: '/pets/special', methods: ['GET'], route: 'special' },
  { path: '/pets/{petId}/toys/{toyId}', methods: ['PUT'], route: 'toy' },
  { path: '/files/{proxy+}', methods: ['ANY'], route: 'files' },
  { path: '/{proxy+}', methods: ['POST'], route: 'catch-all-post' },
]
const { table, errors } = buildRouteTable(routes)

describe('route table: API Gateway precedence', () => {
  it('builds without errors', () => {
    expect(errors).toEqual([])
  })
  const cases: [string, string[], string | undefined, Record<string, string>?][] = [
    ['GET', [], 'root'],
    ['GET', ['pets'], 'list-pets'],
    ['POST', ['pets'], 'any-pets'],
    ['GET', ['pets', 'special'], 'special'],
    ['GET', ['pets', '42'], 'pet', { petId: '42' }],
    ['DELETE', ['pets', 'special'], 'pet', { petId: 'special' }],
    ['PUT', ['pets', '1', 'toys', 'ball'], 'toy', { petId: '1', toyId: 'ball' }],
    ['GET', ['files', 'a', 'b', 'c.txt'], 'files', { proxy: 'a/b/c.txt' }],
    ['POST', ['anything', 'deep'], 'catch-all-post', { proxy: 'anything/deep' }],
    ['GET', ['anything'], undefined],
    ['GET', ['pets', ''], undefined],
    ['PATCH', ['pets', '1'], undefined],
    // Methods are case-sensitive; ANY stands for API Gateway's verbs, not for any token.
    ['get', ['pets'], undefined],
    ['post', ['pets'], undefined],
    ['ANY', ['pets'], undefined],
    ['ANY', ['files', 'x'], undefined],
    ['PROPFIND', ['files', 'x'], undefined],
    ['OPTIONS', ['files', 'x'], 'files', { proxy: 'x' }],
  ]
  for (const [method, segs, expected, params] of cases) {
    it(`${method} /${segs.join('/')} → ${expected ?? 'no route'}`, () => {
      const m = table.match(method, segs)
      expect(m?.route).toBe(expected)
      if (params) expect(m?.pathParameters).toEqual(params)
    })
  }
  it('literal beats {param} beats {proxy+}, and a more specific path without the verb falls back', () => {
    expect(table.match('POST', ['pets', '1'])?.route).toBe('catch-all-post')
  })
})

describe('route table: invalid templates and conflicts', () => {
  it.each([
    ['pets', 'must start with /'],
    ['/a//b', 'empty path segment'],
    ['/{proxy+}/x', 'greedy {proxy+} must be the last segment'],
    ['/a{b}', 'invalid segment a{b}'],
    ['/{a}/{a}', 'duplicate parameter {a}'],
  ])('%s is rejected: %s', (path, message) => {
    const r = parseResourcePath(path)
    expect(r).toEqual({ ok: false, message })
  })
  it('rejects two parameter names at one position and duplicate verbs', () => {
    const r = buildRouteTable([
      { path: '/p/{a}', methods: ['GET'], route: 1 },
      { path: '/p/{b}', methods: ['GET'], route: 2 },
      { path: '/p/{a}', methods: ['GET'], route: 3 },
    ])
    expect(r.errors.map((e) => e.index)).toEqual([1, 2])
  })
})
