// Adding a kind is one entry in KINDS and KIND_INFO (src/api/v1alpha1/kinds.ts); everything below is
// derived from that entry or generated from it. These tests walk every kind of the registry and fail
// when a kind lacks one of the things a served kind needs: a compile-input bucket, an object count, a
// loader validator, a watched Kubernetes resource, a CRD and an RBAC grant (built and committed in
// the chart), and a section of the generated kinds reference. The steps are in
// docs/development/adding-a-kind.md.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  API_VERSION,
  GROUP,
  KIND_INFO,
  KINDS,
  buildCustomResourceDefinitions,
} from '../api/v1alpha1/index.js'
import { KIND_BUCKETS, emptyCompileInput } from '../compile/compile-input.js'
import { compileSnapshot } from '../compile/compile-snapshot.js'
import { CUSTOM_RESOURCES } from './kubernetes-resources.js'
import { parseManifestObject } from './manifest.js'
import { getValidators } from './manifest/validators.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

describe('the kind registry', () => {
  it('has one entry per kind, keyed by its kind, with names no other kind uses', () => {
    expect(Object.keys(KIND_INFO)).toEqual([...KINDS])
    for (const kind of KINDS) {
      const info = KIND_INFO[kind]
      expect(info.kind).toBe(kind)
      expect(info.listKind).toBe(`${kind}List`)
      expect(info.singular).toBe(kind.toLowerCase())
    }
    for (const field of ['bucket', 'plural', 'singular', 'listKind'] as const) {
      const values = KINDS.map((k) => KIND_INFO[k][field])
      expect(new Set(values).size, `${field} is unique per kind`).toBe(KINDS.length)
    }
    const shortNames = KINDS.flatMap((k) => KIND_INFO[k].shortNames)
    expect(new Set(shortNames).size, 'short names are unique').toBe(shortNames.length)
  })

  it('gives every kind its own compile-input bucket, beside (not over) secrets and services', () => {
    const input = emptyCompileInput()
    expect(Object.keys(input).sort()).toEqual([...KIND_BUCKETS, 'secrets', 'services'].sort())
    for (const kind of KINDS) expect(input[KIND_INFO[kind].bucket]).toEqual([])
  })

  it('counts every kind in the snapshot (the portcullis_config_objects gauge), zero when absent', () => {
    const { snapshot, errors } = compileSnapshot(emptyCompileInput(), {
      defaults: { accountId: '111122223333', region: 'us-east-1' },
      generation: 1,
    })
    expect(errors).toEqual([])
    expect(snapshot.objectCounts).toEqual(
      Object.fromEntries([...KINDS, 'Secret', 'Service'].map((k) => [k, 0])),
    )
  })

  it('loads every kind: the loader has its validator and refuses a bad spec by field, not as an unknown kind', () => {
    for (const kind of KINDS) {
      expect(typeof getValidators().kinds[kind]).toBe('function')
      const r = parseManifestObject(
        { apiVersion: API_VERSION, kind, metadata: { name: 'x' }, spec: { unknownField: 1 } },
        'x.yaml',
      )
      expect(r.status, kind).toBe('invalid')
      if (r.status !== 'invalid') continue
      expect(r.errors.map((e) => e.message).join('\n'), kind).not.toMatch(/unknown kind/)
      expect(r.errors[0]?.ref?.kind).toBe(kind)
    }
  })

  it('watches every kind in Kubernetes mode under the plural its CRD declares', () => {
    expect(CUSTOM_RESOURCES).toEqual(
      KINDS.map((kind) => ({ kind, plural: KIND_INFO[kind].plural })),
    )
  })

  it('ships a CRD per kind in the chart, as generated (npm run gen:crds)', () => {
    const built = buildCustomResourceDefinitions().map((c) => c.metadata.name)
    for (const kind of KINDS) {
      const name = `${KIND_INFO[kind].plural}.${GROUP}`
      expect(built).toContain(name)
      expect(read(`charts/portcullis/templates/crds/${name}.yaml`)).toContain(`kind: ${kind}\n`)
    }
  })

  it('grants the chart read and status access to every kind, as generated (npm run gen:crds)', () => {
    const rbac = read('charts/portcullis/templates/_kinds.tpl')
    for (const kind of KINDS) {
      const plural = KIND_INFO[kind].plural
      expect(rbac).toMatch(new RegExp(`(^|, )${plural}(, |\n)`, 'm'))
      expect(rbac).toMatch(new RegExp(`(^|, )${plural}/status(, |\n)`, 'm'))
    }
  })

  it('documents every kind in the generated reference (npm run gen:docs)', () => {
    const page = read('docs/reference/kinds.md')
    for (const kind of KINDS) expect(page).toContain(`\n## ${kind}\n`)
  })
})
