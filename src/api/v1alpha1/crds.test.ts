import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { buildCustomResourceDefinitions, toStructuralSchema } from './crds.js'
import { KINDS, KIND_INFO } from './kinds.js'

// The keys apiextensions.k8s.io/v1 JSONSchemaProps accepts (minus the ones structural schemas forbid:
// $ref, patternProperties, dependencies, definitions, additionalItems, id, $schema, const).
const ALLOWED_KEYS = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
])

type Node = Record<string, unknown>

/** Structural-schema rules from the Kubernetes docs ("Specifying a structural schema"). */
function structuralProblems(node: Node, path: string, problems: string[]): void {
  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYS.has(key)) problems.push(`${path}: key ${key} is not allowed`)
  }
  if (
    node['type'] === undefined &&
    node['x-kubernetes-preserve-unknown-fields'] !== true &&
    node['x-kubernetes-int-or-string'] !== true
  ) {
    problems.push(`${path}: no type`)
  }
  if (node['properties'] !== undefined && node['additionalProperties'] !== undefined) {
    problems.push(`${path}: properties and additionalProperties together`)
  }
  if (node['uniqueItems'] === true) problems.push(`${path}: uniqueItems`)
  for (const junctor of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (
      node[junctor] !== undefined &&
      JSON.stringify(node[junctor]).match(
        /"(type|description|default|additionalProperties|nullable)"/,
      )
    ) {
      problems.push(`${path}: ${junctor} sets type/description/default`)
    }
  }
  if (node['x-kubernetes-list-type'] === 'map') {
    const keys = node['x-kubernetes-list-map-keys'] as string[]
    const required = ((node['items'] as Node)['required'] as string[] | undefined) ?? []
    for (const k of keys)
      if (!required.includes(k)) problems.push(`${path}: list-map key ${k} not required`)
  }
  const props = node['properties'] as Record<string, Node> | undefined
  for (const [k, v] of Object.entries(props ?? {})) structuralProblems(v, `${path}.${k}`, problems)
  const items = node['items'] as Node | undefined
  if (items !== undefined) structuralProblems(items, `${path}[]`, problems)
  const ap = node['additionalProperties']
  if (ap !== undefined && typeof ap === 'object')
    structuralProblems(ap as Node, `${path}{}`, problems)
}

/** Collects every `default` with the schema it sits on. */
function defaults(node: Node, path: string, out: [string, Node][]): void {
  if (node['default'] !== undefined) out.push([path, node])
  for (const [k, v] of Object.entries(
    (node['properties'] as Record<string, Node> | undefined) ?? {},
  ))
    defaults(v, `${path}.${k}`, out)
  if (node['items'] !== undefined) defaults(node['items'] as Node, `${path}[]`, out)
}

function describedFields(node: Node, path: string, out: string[]): void {
  for (const [k, v] of Object.entries(
    (node['properties'] as Record<string, Node> | undefined) ?? {},
  )) {
    if (typeof v['description'] !== 'string' || v['description'] === '') out.push(`${path}.${k}`)
    describedFields(v, `${path}.${k}`, out)
    if (v['items'] !== undefined) describedFields(v['items'] as Node, `${path}.${k}[]`, out)
  }
}

const crds = buildCustomResourceDefinitions()

describe('buildCustomResourceDefinitions', () => {
  it('emits one namespaced CRD per kind, group portcullis.dev, v1alpha1 served+storage, status subresource', () => {
    expect(crds.map((c) => c.metadata.name)).toEqual(
      KINDS.map((k) => `${KIND_INFO[k].plural}.portcullis.dev`),
    )
    for (const crd of crds) {
      const spec = crd['spec'] as Node
      expect(spec['group']).toBe('portcullis.dev')
      expect(spec['scope']).toBe('Namespaced')
      const [version] = spec['versions'] as Node[]
      expect(version).toMatchObject({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      })
      const columns = (version!['additionalPrinterColumns'] as Node[]).map((c) => c['name'])
      expect(columns).toContain('Ready')
      expect(columns).toContain('Age')
    }
  })

  for (const kind of KINDS) {
    it(`${kind}: openAPIV3Schema is structural (typed nodes, no $ref/const/patternProperties, list-map keys required)`, () => {
      const crd = crds.find((c) => c.metadata.name.startsWith(`${KIND_INFO[kind].plural}.`))!
      const schema = ((crd['spec'] as Node)['versions'] as Node[])[0]!['schema'] as Node
      const problems: string[] = []
      structuralProblems(schema['openAPIV3Schema'] as Node, kind, problems)
      expect(problems).toEqual([])
    })

    it(`${kind}: every spec field has a description`, () => {
      const missing: string[] = []
      describedFields(toStructuralSchema(KIND_INFO[kind].spec), 'spec', missing)
      expect(missing).toEqual([])
    })

    it(`${kind}: every default is valid against its own schema (the API server rejects the CRD otherwise)`, () => {
      const found: [string, Node][] = []
      defaults(toStructuralSchema(KIND_INFO[kind].spec), 'spec', found)
      const ajv = new Ajv({ strict: false })
      for (const [path, node] of found) {
        const { default: value, ...rest } = node
        expect(ajv.validate(rest, value), `${path}: ${JSON.stringify(value)}`).toBe(true)
      }
    })
  }

  it('carries the cross-field rules as CEL (x-kubernetes-validations) with messages', () => {
    const authorizer = toStructuralSchema(KIND_INFO.Authorizer.spec)
    const rules = authorizer['x-kubernetes-validations'] as { rule: string; message: string }[]
    expect(rules.map((r) => r.message)).toContain(
      'authorizerUri is required for TOKEN and REQUEST authorizers, and forbidden otherwise',
    )
    for (const r of rules) {
      expect(r.rule).toMatch(/self\./)
      // Balanced parentheses and quotes: a cheap guard against a CEL typo the API server would refuse.
      expect(r.rule.split('(').length).toBe(r.rule.split(')').length)
      expect((r.rule.match(/'/g) ?? []).length % 2).toBe(0)
    }
  })

  it('drops additionalProperties:false (forbidden next to properties) but keeps string maps', () => {
    const restApi = toStructuralSchema(KIND_INFO.RestApi.spec)
    expect(restApi['additionalProperties']).toBeUndefined()
    const props = restApi['properties'] as Record<string, Node>
    expect(props['stageVariables']).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    })
    expect(props['policy']).toMatchObject({ 'x-kubernetes-preserve-unknown-fields': true })
  })
})
