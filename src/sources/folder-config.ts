/**
 * Local mode's loader: manifests from files and folders, grouped for the snapshot compiler.
 * Policy grammar is checked by the compiler (which knows each API's ARN prefix for the
 * `execute-api:/...` short form), so schema and compile errors come out in one list.
 *
 * @module
 */
import type { ConfigProblem } from '../api/config-problem.js'
import { REST_API_ANNOTATION, serviceBindingProblem } from '../api/core-v1.js'
import { loadManifests } from './load-manifests.js'
import type { LoadedConfig, LoadError } from '../compile/last-good.js'
import { CompileInputBuilder, type CompileInput } from '../compile/compile-input.js'
import { KIND_INFO } from '../api/v1alpha1/index.js'
import type { LoadedObject } from './manifest.js'

export async function loadFolderConfig(
  paths: readonly string[],
): Promise<LoadedConfig & { warnings: readonly string[] }> {
  const r = await loadManifests(paths)
  const errors = r.errors.map(toLoadError)
  return { input: groupObjects(r.objects, errors), errors, warnings: r.warnings }
}

/** Groups loaded objects by kind; problems found while grouping are appended to `errors`. */
export function groupObjects(objects: readonly LoadedObject[], errors: LoadError[]): CompileInput {
  const input = new CompileInputBuilder()
  for (const o of objects) {
    if (o.kind === 'Secret') {
      input.addSecret({ ref: o.ref, file: o.file, data: o.data })
    } else if (o.kind === 'Service') {
      const problem = serviceBindingProblem(o.ref.namespace, o.restApi)
      if (problem === undefined) {
        input.addService({ ref: o.ref, file: o.file, restApi: o.restApi.name })
      } else {
        errors.push({
          file: o.file,
          ref: o.ref,
          path: `metadata.annotations[${REST_API_ANNOTATION}]`,
          message: problem,
        })
      }
    } else {
      // Every Portcullis kind goes to the bucket its registry entry names.
      input.add(KIND_INFO[o.kind].bucket, o)
    }
  }
  return input.build()
}

function toLoadError(e: ConfigProblem): LoadError {
  return { file: e.file, ref: e.ref, path: e.path, message: e.message }
}
