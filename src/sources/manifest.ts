/**
 * Manifest text → validated, defaulted, typed objects (the Portcullis kinds, v1 Secrets, annotated
 * v1 Services) or ConfigErrors with file, object ref and field path. Never throws.
 *
 * Decisions: an object without `metadata.namespace` lands in `default` (what `kubectl apply` does
 * without `-n`); schema defaults are applied as the API server would (stage `prod`, TTL 300, ...);
 * policy documents given as JSON strings are parsed into objects; other kinds are ignored with a warning.
 *
 * The pieces live in manifest/: the loaded types and errors, the Ajv validators, field paths, one
 * parser per kind family, the text (YAML/JSON) layer and the set-wide checks.
 *
 * @module
 */
export type { ObjectRef } from '../api/object-ref.js'
export { formatObjectRef } from '../api/object-ref.js'
export {
  DEFAULT_NAMESPACE,
  type ConfigError,
  type LoadedKind,
  type LoadedObject,
  type LoadedPortcullisObject,
  type LoadedPrincipal,
  type LoadedPrivateEndpoint,
  type LoadedRestApi,
  type LoadedSecret,
  type LoadedService,
  type ManifestLoadResult,
  type ParseOptions,
  type ValidatePolicyHook,
} from './manifest/loaded-object.js'
export { jsonPointerToPath } from './manifest/field-paths.js'
export { parseManifestObject, type ParseObjectResult } from './manifest/parse-object.js'
export { parseManifestText } from './manifest/parse-text.js'
export { checkObjectSet } from './manifest/object-set.js'
