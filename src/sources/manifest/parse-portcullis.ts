/**
 * One object of a Portcullis kind (any kind of the registry in `api/v1alpha1/kinds.ts`): schema with
 * defaults, the kinds' semantic rules, and policy documents (JSON strings parsed, grammar checked by
 * the optional hook).
 *
 * @module
 */
import type { ObjectRef } from '../../api/object-ref.js'
import {
  parsePolicyDocument,
  policyFieldsOf,
  validateSemantics,
  type PolicyFieldKind,
  type PortcullisKind,
  type RestApi,
} from '../../api/v1alpha1/index.js'
import { schemaErrors } from './field-paths.js'
import {
  configError,
  withNamespace,
  type LoadedObject,
  type ParseObjectResult,
  type ParseOptions,
  type ValidatePolicyHook,
} from './loaded-object.js'
import { getValidators } from './validators.js'

export function parsePortcullis(
  raw: Record<string, unknown>,
  kind: PortcullisKind,
  ref: ObjectRef,
  file: string,
  options: ParseOptions,
): ParseObjectResult {
  const copy = structuredClone(raw)
  const validate = getValidators().kinds[kind]
  if (!validate(copy)) {
    return {
      status: 'invalid',
      errors: schemaErrors(validate, false).map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const spec = copy['spec'] as Record<string, unknown>
  const fieldErrors = validateSemantics(kind, spec)
  // Policy documents: JSON strings become objects, then the policy engine (if any) checks the grammar.
  if (fieldErrors.length === 0) {
    for (const field of policyFieldsOf(kind, spec)) {
      const parsed = parsePolicyDocument(field.value)
      if (!parsed.ok) continue // already reported by validateSemantics
      setAtPath(spec, field.path, parsed.document)
      for (const pe of safeValidatePolicy(options.validatePolicy, parsed.document, field.kind)) {
        fieldErrors.push({
          path: pe.path === '' ? field.path : `${field.path}.${pe.path}`,
          message: pe.message,
        })
      }
    }
  }
  if (fieldErrors.length > 0) {
    return {
      status: 'invalid',
      errors: fieldErrors.map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const metadata = withNamespace(copy['metadata'] as Record<string, unknown>)
  const object = { ...copy, metadata } as unknown as RestApi
  return {
    status: 'loaded',
    object: { kind, ref, file, metadata, object, spec: object.spec } as unknown as LoadedObject,
  }
}

function safeValidatePolicy(
  hook: ValidatePolicyHook | undefined,
  doc: unknown,
  kind: PolicyFieldKind,
): readonly { readonly path: string; readonly message: string }[] {
  if (hook === undefined) return []
  try {
    return hook(doc, kind)
  } catch (err) {
    // A crashing validator must not let an unchecked policy through.
    return [{ path: '', message: `policy validation failed: ${(err as Error).message}` }]
  }
}

/** Sets `spec.policies[0].policyDocument`-style paths (relative to spec, first segment `spec`). */
function setAtPath(spec: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path
    .replace(/^spec\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== '')
  let node: unknown = spec
  for (const [i, key] of keys.entries()) {
    if (node === null || typeof node !== 'object') return
    const container = node as Record<string, unknown>
    if (i === keys.length - 1) container[key] = value
    else node = container[key]
  }
}
