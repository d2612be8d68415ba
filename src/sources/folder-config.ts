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
import type { CompileInput, SecretInput, ServiceBinding } from '../compile/compile-input.js'
import type {
  LoadedAuthorizer,
  LoadedObject,
  LoadedPolicy,
  LoadedPrincipal,
  LoadedPrivateEndpoint,
  LoadedRestApi,
} from './manifest.js'

export async function loadFolderConfig(
  paths: readonly string[],
): Promise<LoadedConfig & { warnings: readonly string[] }> {
  const r = await loadManifests(paths)
  const errors = r.errors.map(toLoadError)
  return { input: groupObjects(r.objects, errors), errors, warnings: r.warnings }
}

/** Groups loaded objects by kind; problems found while grouping are appended to `errors`. */
export function groupObjects(objects: readonly LoadedObject[], errors: LoadError[]): CompileInput {
  const input = {
    restApis: [] as LoadedRestApi[],
    authorizers: [] as LoadedAuthorizer[],
    principals: [] as LoadedPrincipal[],
    policies: [] as LoadedPolicy[],
    privateEndpoints: [] as LoadedPrivateEndpoint[],
    secrets: [] as SecretInput[],
    services: [] as ServiceBinding[],
  }
  for (const o of objects) {
    switch (o.kind) {
      case 'RestApi':
        input.restApis.push(o)
        break
      case 'Authorizer':
        input.authorizers.push(o)
        break
      case 'Principal':
        input.principals.push(o)
        break
      case 'Policy':
        input.policies.push(o)
        break
      case 'PrivateEndpoint':
        input.privateEndpoints.push(o)
        break
      case 'Secret':
        input.secrets.push({ ref: o.ref, file: o.file, data: o.data })
        break
      case 'Service': {
        const problem = serviceBindingProblem(o.ref.namespace, o.restApi)
        if (problem === undefined) {
          input.services.push({ ref: o.ref, file: o.file, restApi: o.restApi.name })
        } else {
          errors.push({
            file: o.file,
            ref: o.ref,
            path: `metadata.annotations[${REST_API_ANNOTATION}]`,
            message: problem,
          })
        }
        break
      }
    }
  }
  return input
}

function toLoadError(e: ConfigProblem): LoadError {
  return { file: e.file, ref: e.ref, path: e.path, message: e.message }
}
