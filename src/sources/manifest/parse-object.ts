/**
 * One decoded object → a loaded object, an invalid one (its errors) or an ignored one (a warning):
 * classified by apiVersion and kind, then handed to the parser of its kind.
 *
 * @module
 */
import { REST_API_ANNOTATION } from '../../api/core-v1.js'
import { formatObjectRef, type ObjectRef } from '../../api/object-ref.js'
import { API_VERSION, isPortcullisKind, KINDS } from '../../api/v1alpha1/index.js'
import {
  configError,
  DEFAULT_NAMESPACE,
  isRecord,
  type ParseObjectResult,
  type ParseOptions,
} from './loaded-object.js'
import { parseSecret, parseService } from './parse-core-v1.js'
import { parsePortcullis } from './parse-portcullis.js'

export type { ParseObjectResult } from './loaded-object.js'

function refOf(raw: Record<string, unknown>, kind: string): ObjectRef {
  const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {}
  const name =
    typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : '<unnamed>'
  const ns =
    typeof metadata['namespace'] === 'string' && metadata['namespace'] !== ''
      ? metadata['namespace']
      : DEFAULT_NAMESPACE
  return { kind, namespace: ns, name }
}

/**
 * Classifies, validates and defaults one decoded object. The input is not modified. Used for files
 * (via {@link parseManifestText}) and for objects read from the Kubernetes API.
 */
export function parseManifestObject(
  raw: unknown,
  file: string,
  options: ParseOptions = {},
): ParseObjectResult {
  if (!isRecord(raw)) {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          undefined,
          '',
          'must be a Kubernetes object (a mapping with apiVersion and kind)',
        ),
      ],
    }
  }
  const apiVersion = raw['apiVersion']
  const kind = raw['kind']
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          undefined,
          typeof apiVersion !== 'string' ? 'apiVersion' : 'kind',
          'is required',
        ),
      ],
    }
  }
  const ref = refOf(raw, kind)
  if (apiVersion === API_VERSION && isPortcullisKind(kind))
    return parsePortcullis(raw, kind, ref, file, options)
  if (apiVersion.startsWith(`${API_VERSION.split('/')[0] ?? ''}/`)) {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          ref,
          '',
          `unknown kind or version ${apiVersion} ${kind} (this build serves ${API_VERSION} ${KINDS.join(', ')})`,
        ),
      ],
    }
  }
  if (apiVersion === 'v1' && kind === 'Secret') return parseSecret(raw, ref, file)
  if (apiVersion === 'v1' && kind === 'Service') {
    const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {}
    const annotations = isRecord(metadata['annotations']) ? metadata['annotations'] : {}
    if (annotations[REST_API_ANNOTATION] === undefined) {
      return {
        status: 'ignored',
        warning: `${file}: ${formatObjectRef(ref)}: ignored (Service without the ${REST_API_ANNOTATION} annotation)`,
      }
    }
    return parseService(raw, ref, file)
  }
  return {
    status: 'ignored',
    warning: `${file}: ${apiVersion} ${formatObjectRef(ref)}: ignored (not a Portcullis kind, Secret or annotated Service)`,
  }
}
