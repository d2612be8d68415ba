/**
 * Shared building blocks of the `portcullis.dev/v1alpha1` schemas: ObjectMeta subset, string enums,
 * string maps, policy documents, label selectors, status, and cross-field rules that are enforced
 * both by the API server (CEL `x-kubernetes-validations`) and locally (same rule in TypeScript).
 *
 * Every schema here is *structural* in Kubernetes' sense (no `$ref`, no `patternProperties`, no
 * `type` inside `anyOf`), because the same objects become the CRDs' `openAPIV3Schema`.
 *
 * @module
 */
import {
  Type,
  type SchemaOptions,
  type Static,
  type TSchema,
  type TString,
  type TUnsafe,
} from '@sinclair/typebox'

export const GROUP = 'portcullis.dev'
export const VERSION = 'v1alpha1'
export const API_VERSION = `${GROUP}/${VERSION}`

/**
 * A cross-field rule attached to an object schema. The API server evaluates `rule` (CEL, with `self`
 * bound to the object); local mode evaluates `check` on the same object. Both must agree: keep them
 * side by side so a reader can compare them in one glance.
 */
export interface CrossFieldRule<T> {
  /** CEL expression, `self` = the object the schema describes. */
  readonly rule: string
  /** Error text shown by kubectl and by `portcullis validate`. */
  readonly message: string
  /** Field the error is about, relative to the object (`.authorizerUri`); empty = the object itself. */
  readonly fieldPath?: string
  /** TypeScript twin of `rule`; true = valid. */
  readonly check: (self: T) => boolean
}

/** Symbol under which the local twins of the CEL rules are kept (invisible to JSON/CRD output). */
export const CROSS_FIELD_RULES: unique symbol = Symbol.for('portcullis.crossFieldRules')

/** Attaches cross-field rules to an object schema (CEL for the CRD, a TS twin for local mode). */
export function withRules<S extends TSchema>(
  schema: S,
  rules: readonly CrossFieldRule<Static<S>>[],
): S {
  const target = schema as unknown as Record<string | symbol, unknown>
  target['x-kubernetes-validations'] = rules.map((r) =>
    r.fieldPath === undefined || r.fieldPath === ''
      ? { rule: r.rule, message: r.message }
      : { rule: r.rule, message: r.message, fieldPath: r.fieldPath },
  )
  target[CROSS_FIELD_RULES] = rules
  return schema
}

/** Reads the rules attached by {@link withRules} (empty when none). */
export function crossFieldRulesOf(schema: TSchema): readonly CrossFieldRule<unknown>[] {
  const rules = (schema as unknown as Record<symbol, unknown>)[CROSS_FIELD_RULES]
  return Array.isArray(rules) ? (rules as CrossFieldRule<unknown>[]) : []
}

/**
 * A string restricted to a fixed set: `{type: string, enum: [...]}`. TypeBox's `Union(Literal...)`
 * would emit `anyOf` + `const`, which structural CRD schemas do not allow.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] })
}

/** `map[string]string` as Kubernetes spells it (`additionalProperties`, not `patternProperties`). */
export function StringMap(options: SchemaOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({
    ...options,
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 1024 },
  })
}

/** An IAM policy document as written by the user: a YAML/JSON object, or a JSON string. */
export type PolicyDocumentInput = string | { readonly [key: string]: unknown }

/**
 * A policy document field. Kubernetes stores it verbatim (`x-kubernetes-preserve-unknown-fields`,
 * so both an object and a string survive); the grammar is checked by the policy engine, and the
 * "object or JSON string" shape by {@link parsePolicyDocument}.
 */
export function PolicyDocument(description: string): TUnsafe<PolicyDocumentInput> {
  return Type.Unsafe<PolicyDocumentInput>({
    description,
    'x-kubernetes-preserve-unknown-fields': true,
  })
}

export type ParsedPolicyDocument =
  | { readonly ok: true; readonly document: { readonly [key: string]: unknown } }
  | { readonly ok: false; readonly message: string }

/** Turns a policy field into an object: objects pass, strings are parsed as JSON, anything else fails. */
export function parsePolicyDocument(input: unknown): ParsedPolicyDocument {
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown
    } catch (err) {
      return { ok: false, message: `policy document is not valid JSON: ${(err as Error).message}` }
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      message: 'must be an IAM policy document (an object, or a JSON string of one)',
    }
  }
  return { ok: true, document: value as { readonly [key: string]: unknown } }
}

/** DNS-1123 label (namespace names, service names). */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
/** DNS-1123 subdomain (most object names). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'

/** Name of another object in the same namespace. */
export function ObjectName(description: string): TString {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN })
}

/** The subset of Kubernetes ObjectMeta that Portcullis reads. */
export const ObjectMeta = Type.Object(
  {
    name: Type.String({
      description: 'Object name (DNS-1123 subdomain), unique per kind and namespace.',
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
    }),
    namespace: Type.Optional(
      Type.String({
        description: 'Namespace; `default` when absent (as kubectl apply does without -n).',
        minLength: 1,
        maxLength: 63,
        pattern: DNS_LABEL,
      }),
    ),
    labels: Type.Optional(StringMap({ description: 'Labels.' })),
    annotations: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        description: 'Annotations.',
        type: 'object',
        additionalProperties: { type: 'string' },
      }),
    ),
    generation: Type.Optional(Type.Integer({ description: 'Set by the API server.' })),
    uid: Type.Optional(Type.String({ description: 'Set by the API server.' })),
    resourceVersion: Type.Optional(Type.String({ description: 'Set by the API server.' })),
  },
  // Everything else the API server adds (managedFields, creationTimestamp...) is ignored.
  { additionalProperties: true },
)
export type ObjectMeta = Static<typeof ObjectMeta>

const LabelSelectorRequirement = withRules(
  Type.Object(
    {
      key: Type.String({ description: 'Label key.', minLength: 1, maxLength: 317 }),
      operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const, {
        description: 'In | NotIn | Exists | DoesNotExist.',
      }),
      values: Type.Optional(
        Type.Array(Type.String({ maxLength: 63 }), {
          description:
            'Values for In/NotIn (non-empty); must be absent or empty for Exists/DoesNotExist.',
          maxItems: 64,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  [
    {
      rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
      message: 'values must be non-empty for In/NotIn and empty for Exists/DoesNotExist',
      fieldPath: '.values',
      check: (s) =>
        s.operator === 'In' || s.operator === 'NotIn'
          ? (s.values?.length ?? 0) > 0
          : (s.values?.length ?? 0) === 0,
    },
  ],
)

/** Kubernetes LabelSelector (matchLabels AND matchExpressions; empty selects everything). */
export function LabelSelector(description: string) {
  return Type.Object(
    {
      matchLabels: Type.Optional(StringMap({ description: 'Labels that must all be present.' })),
      matchExpressions: Type.Optional(
        Type.Array(LabelSelectorRequirement, {
          description: 'Requirements that must all hold.',
          maxItems: 32,
        }),
      ),
    },
    { description, additionalProperties: false },
  )
}
export type LabelSelector = Static<ReturnType<typeof LabelSelector>>

/** A status condition, as metav1.Condition. */
export const Condition = Type.Object({
  type: Type.String({ description: 'Condition type, e.g. `Ready`.', maxLength: 316 }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, {
    description: 'True | False | Unknown.',
  }),
  observedGeneration: Type.Optional(
    Type.Integer({
      description: 'metadata.generation the condition was computed from.',
      minimum: 0,
    }),
  ),
  lastTransitionTime: Type.Optional(
    Type.String({ description: 'When status last changed (RFC 3339).', format: 'date-time' }),
  ),
  reason: Type.Optional(
    Type.String({ description: 'CamelCase machine-readable reason.', maxLength: 1024 }),
  ),
  message: Type.Optional(Type.String({ description: 'Human-readable detail.', maxLength: 32768 })),
})
export type Condition = Static<typeof Condition>

/** Status shared by every kind: `Ready` condition and the generation it reflects. */
export const ObjectStatus = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({
        description: 'Last metadata.generation processed by Portcullis.',
        minimum: 0,
      }),
    ),
    conditions: Type.Optional(
      Type.Unsafe<Condition[]>({
        ...Type.Array(Condition, { maxItems: 16 }),
        description: 'Conditions; `Ready` says whether the object is served.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
  },
  { description: 'Observed state, written by the Portcullis leader.' },
)
export type ObjectStatus = Static<typeof ObjectStatus>
