/**
 * Builds the CustomResourceDefinitions of `portcullis.dev/v1alpha1` from the TypeBox schemas, so the
 * CRDs, the TypeScript types and the local validator can never disagree.
 *
 * @module
 */
import type { TSchema } from '@sinclair/typebox'
import { GROUP, ObjectStatus, VERSION } from './common.js'
import { KINDS, KIND_INFO, type KindInfo } from './kinds.js'

/** A CRD as a plain JSON-compatible object (apiextensions.k8s.io/v1). */
export type CustomResourceDefinition = Record<string, unknown> & {
  readonly metadata: { readonly name: string }
}

/**
 * Converts a TypeBox schema to a Kubernetes structural schema: JSON round trip (drops TypeBox's
 * symbols), and removes `additionalProperties: false`, which structural schemas forbid next to
 * `properties` (the API server prunes unknown fields instead, and kubectl warns about them).
 */
export function toStructuralSchema(schema: TSchema): Record<string, unknown> {
  return strip(JSON.parse(JSON.stringify(schema)) as unknown) as Record<string, unknown>
}

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue
    if (key === '$id' || key === '$schema') continue
    // Values of `default`, `enum` and `x-kubernetes-*` are data, not schemas: copy them verbatim.
    out[key] =
      key === 'default' || key === 'enum' || key.startsWith('x-kubernetes-') ? value : strip(value)
  }
  return out
}

export function buildCustomResourceDefinition(info: KindInfo): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: info.listKind,
        plural: info.plural,
        singular: info.singular,
        shortNames: [...info.shortNames],
        categories: ['portcullis'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.printerColumns.map((c) => ({ ...c })),
          schema: {
            openAPIV3Schema: {
              description: info.description,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: {
                  description:
                    'APIVersion defines the versioned schema of this representation of an object.',
                  type: 'string',
                },
                kind: {
                  description:
                    'Kind is a string value representing the REST resource this object represents.',
                  type: 'string',
                },
                metadata: { type: 'object' },
                spec: toStructuralSchema(info.spec),
                status: toStructuralSchema(ObjectStatus),
              },
            },
          },
        },
      ],
    },
  }
}

/** All CRDs, in the stable order of {@link KINDS}. */
export function buildCustomResourceDefinitions(): CustomResourceDefinition[] {
  return KINDS.map((k) => buildCustomResourceDefinition(KIND_INFO[k]))
}
