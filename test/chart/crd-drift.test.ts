// Generated chart files are committed; these tests regenerate them in memory and fail on any drift
// (run `npm run gen:crds` / `npm run gen:chart-schema` and commit the result). They also check that
// values.yaml satisfies the generated schema and documents every key with a `# --` comment.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { isMap, isPair, isScalar, parseDocument, type Pair } from 'yaml'
import { describe, expect, it } from 'vitest'
import {
  CRD_TEMPLATE_DIR,
  KINDS_TEMPLATE_FILE,
  renderCrdTemplates,
  renderKindsTemplate,
} from '../../scripts/gen-crds.js'
import { CHART_SCHEMA_FILE, renderChartSchema } from '../../scripts/gen-chart-schema.js'

const CHART = join(import.meta.dirname, '..', '..', 'charts', 'portcullis')

describe('generated CRDs are in sync with src/api/v1alpha1', () => {
  const expected = renderCrdTemplates()

  it('the committed templates/crds folder holds exactly the generated files', () => {
    const committed = readdirSync(CRD_TEMPLATE_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
    expect(committed).toEqual([...expected.keys()].sort())
  })

  for (const [name, text] of expected) {
    it(`${name} matches the generator output byte for byte`, () => {
      expect(readFileSync(join(CRD_TEMPLATE_DIR, name), 'utf8')).toBe(text)
    })
  }

  it('templates/_kinds.tpl (the kinds the RBAC rules grant) matches the generator output', () => {
    expect(readFileSync(KINDS_TEMPLATE_FILE, 'utf8')).toBe(renderKindsTemplate())
  })
})

describe('values.schema.json', () => {
  it('matches scripts/gen-chart-schema.ts output byte for byte', async () => {
    expect(readFileSync(CHART_SCHEMA_FILE, 'utf8')).toBe(await renderChartSchema())
  })

  it('accepts values.yaml and every ci/*.yaml, and closes every object the chart owns', () => {
    const schema = JSON.parse(readFileSync(CHART_SCHEMA_FILE, 'utf8')) as Record<string, unknown>
    const ajv = new Ajv({ strict: false, allErrors: true })
    const validate = ajv.compile(schema)
    const values = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8')).toJS() as unknown
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true)
    expect(schema['additionalProperties']).toBe(false)
    expect(validate({ ...(values as object), replicaCount: 'x' })).toBe(false)
    expect(validate({ ...(values as object), unknownKey: 1 })).toBe(false)
  })
})

describe('values.yaml documentation', () => {
  it('documents every leaf key with a `# --` comment (on the key or an enclosing key)', () => {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'))
    const undocumented: string[] = []
    // The comment above a map's first key is attached to the map (or the document), not the key.
    const lastLine = (c: string | null | undefined): string => (c ?? '').split('\n').at(-1) ?? ''
    const documented = (pair: Pair, firstCommentHolder: string | null | undefined): boolean => {
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? ''
      return comment.includes('-- ') || lastLine(firstCommentHolder).includes('-- ')
    }
    const walk = (node: unknown, path: string, inherited: boolean, top: boolean): void => {
      if (!isMap(node)) return
      node.items.forEach((pair, i) => {
        if (!isPair(pair)) return
        const key = `${path}${String(isScalar(pair.key) ? pair.key.value : '?')}`
        const holder = i !== 0 ? undefined : top ? doc.commentBefore : node.commentBefore
        const ok = inherited || documented(pair, holder)
        const value = pair.value
        if (isMap(value) && value.items.length > 0 && !ok) walk(value, `${key}.`, false, false)
        else if (!ok) undocumented.push(key)
      })
    }
    walk(doc.contents, '', false, true)
    expect(undocumented).toEqual([])
  })
})
