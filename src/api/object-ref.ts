/**
 * How every configuration object is named in errors, logs and statuses: `kind/namespace/name`.
 * Shared by the loaders, the compiler and the controller, so it lives with the API types.
 *
 * @module
 */

/** Identifies one object: `kind/namespace/name`. */
export interface ObjectRef {
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

export function formatObjectRef(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`
}
