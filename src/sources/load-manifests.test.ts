import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { listManifestFiles, loadManifests, validateManifests } from './load-manifests.js'
import { formatConfigProblem } from '../api/config-problem.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'manifests')
const dirs: string[] = []

function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-manifests-'))
  dirs.push(root)
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, text)
  }
  return root
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const policy = (name: string, ns = 'shop'): string =>
  `apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {policyDocument: {Version: "2012-10-17", Statement: []}}\n`

describe('loadManifests', () => {
  it('loads the committed example folder (every kind) with zero errors', async () => {
    const r = await loadManifests([FIXTURES])
    expect(r.errors.map(formatConfigProblem)).toEqual([])
    expect(r.objects.length).toBeGreaterThanOrEqual(7)
  })

  it('reads .yaml, .yml and .json recursively in sorted order, skips other extensions and hidden entries', async () => {
    const root = tempTree({
      'b.yaml': policy('b'),
      'a/nested.yml': policy('a-nested'),
      'a/deeper/c.json': JSON.stringify({
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'Policy',
        metadata: { name: 'c', namespace: 'shop' },
        spec: { policyDocument: '{"Version":"2012-10-17","Statement":[]}' },
      }),
      'notes.txt': 'not a manifest',
      '.hidden.yaml': policy('hidden'),
      '..2024_01_01/b.yaml': policy('b'), // ConfigMap volume layout: would be a duplicate
    })
    const r = await loadManifests([root])
    expect(r.errors.map(formatConfigProblem)).toEqual([])
    expect(r.objects.map((o) => o.ref.name)).toEqual(['c', 'a-nested', 'b'])
  })

  it('follows symlinked files (ConfigMap volumes link every key)', async () => {
    const root = tempTree({ '..data/p.yaml': policy('linked') })
    symlinkSync(join(root, '..data', 'p.yaml'), join(root, 'p.yaml'))
    const r = await loadManifests([root])
    expect(r.objects.map((o) => o.ref.name)).toEqual(['linked'])
  })

  it('a broken file is one error; the other files still load', async () => {
    const root = tempTree({ 'bad.yaml': 'kind: [oops\n', 'good.yaml': policy('good') })
    const r = await loadManifests([root])
    expect(r.objects.map((o) => o.ref.name)).toEqual(['good'])
    expect(r.errors).toHaveLength(1)
    expect(formatConfigProblem(r.errors[0]!)).toMatch(
      new RegExp(`^${join(root, 'bad.yaml')}: invalid YAML: `),
    )
  })

  it('reports duplicates across files with both file names', async () => {
    const root = tempTree({ 'one.yaml': policy('p'), 'two.yaml': policy('p') })
    const r = await loadManifests([root])
    expect(r.errors.map(formatConfigProblem)).toEqual([
      `${join(root, 'two.yaml')}: Policy/shop/p: duplicate object (first defined in ${join(root, 'one.yaml')})`,
    ])
    expect(r.objects).toHaveLength(1)
  })

  it('reads explicit file paths whatever their extension, and does not read a file twice', async () => {
    const root = tempTree({ 'policy.txt': policy('txt'), 'p.yaml': policy('p') })
    const r = await loadManifests([join(root, 'policy.txt'), root, join(root, 'p.yaml')])
    expect(r.errors).toEqual([])
    expect(r.objects.map((o) => o.ref.name).sort()).toEqual(['p', 'txt'])
  })

  it('reports a missing path instead of throwing', async () => {
    const missing = join(tmpdir(), 'portcullis-does-not-exist-4711')
    const r = await loadManifests([missing])
    expect(r.errors.map(formatConfigProblem)).toEqual([`${missing}: cannot read: ENOENT`])
  })

  it('refuses files above maxFileBytes', async () => {
    const root = tempTree({ 'big.yaml': policy('big') })
    const r = await loadManifests([root], { maxFileBytes: 10 })
    expect(r.objects).toEqual([])
    expect(r.errors.map(formatConfigProblem)[0]).toMatch(
      /big\.yaml: file is \d+ bytes, more than the 10-byte limit$/,
    )
  })
})

describe('validateManifests', () => {
  it('counts files and passes the policy hook through with full field paths', async () => {
    const root = tempTree({ 'p.yaml': policy('p'), 'q.yaml': policy('q') })
    const r = await validateManifests([root], {
      validatePolicy: () => [{ path: 'Version', message: 'unsupported' }],
    })
    expect(r.files).toBe(2)
    expect(r.errors.map(formatConfigProblem)).toEqual([
      `${join(root, 'p.yaml')}: Policy/shop/p: spec.policyDocument.Version: unsupported`,
      `${join(root, 'q.yaml')}: Policy/shop/q: spec.policyDocument.Version: unsupported`,
    ])
  })

  it('listManifestFiles lists what loadManifests reads', async () => {
    const root = tempTree({ 'x/y.yaml': policy('y'), 'z.json': '{}' })
    const listed = await listManifestFiles([root])
    expect(listed.files).toEqual([join(root, 'x', 'y.yaml'), join(root, 'z.json')])
  })
})
