/**
 * Checks that need every object of a configuration: duplicates, and access key IDs claimed by two
 * Principals.
 *
 * @module
 */
import { formatObjectRef } from '../../api/object-ref.js'
import {
  configError,
  type ConfigError,
  type LoadedObject,
  type LoadedPrincipal,
} from './loaded-object.js'

/**
 * Checks that need every object: duplicates (same kind/namespace/name: the later one is rejected) and
 * access key IDs used by two Principals. Returns the surviving objects and the errors.
 */
export function checkObjectSet(objects: readonly LoadedObject[]): {
  objects: LoadedObject[]
  errors: ConfigError[]
} {
  const errors: ConfigError[] = []
  const byRef = new Map<string, LoadedObject>()
  const kept: LoadedObject[] = []
  for (const o of objects) {
    const key = formatObjectRef(o.ref)
    const first = byRef.get(key)
    if (first !== undefined) {
      errors.push(
        configError(o.file, o.ref, '', `duplicate object (first defined in ${first.file})`),
      )
      continue
    }
    byRef.set(key, o)
    kept.push(o)
  }
  const keyOwner = new Map<string, LoadedPrincipal>()
  const survivors: LoadedObject[] = []
  for (const o of kept) {
    if (o.kind === 'Principal') {
      const clash = (o.spec.accessKeys ?? []).findIndex((k) => keyOwner.has(k.accessKeyId))
      if (clash >= 0) {
        const owner = keyOwner.get(o.spec.accessKeys?.[clash]?.accessKeyId ?? '')
        errors.push(
          configError(
            o.file,
            o.ref,
            `spec.accessKeys[${clash}].accessKeyId`,
            `access key ID already belongs to ${owner === undefined ? '?' : formatObjectRef(owner.ref)}`,
          ),
        )
        continue
      }
      for (const k of o.spec.accessKeys ?? []) keyOwner.set(k.accessKeyId, o)
    }
    survivors.push(o)
  }
  return { objects: survivors, errors }
}
