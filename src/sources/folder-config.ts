/**
 * Local mode's loader: manifests from files and folders, grouped for the snapshot compiler.
 * Policy grammar is checked by the compiler (which knows each API's ARN prefix for the
 * `execute-api:/...` short form), so schema and compile errors come out in one list.
 *
 * @module
 */
import { loadManifests } from './load-manifests.js'
import type { LoadedConfig, LoadError } from './last-good.js'
import type { CompileInput, Manifest } from '../compile/compile-input.js'
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
  const input = {
    restApis: [] as Manifest<never>[],
    authorizers: [] as Manifest<never>[],
    principals: [] as Manifest<never>[],
    policies: [] as Manifest<never>[],
    privateEndpoints: [] as Manifest<never>[],
    identityProviders: [] as Manifest<never>[],
    secrets: [] as {
      ref: LoadedObject['ref']
      file: string
      data: Readonly<Record<string, string>>
    }[],
    services: [] as { ref: LoadedObject['ref']; file: string; restApi: string }[],
  }
  for (const o of objects) {
    switch (o.kind) {
      case 'RestApi':
        input.restApis.push(o as never)
        break
      case 'Authorizer':
        input.authorizers.push(o as never)
        break
      case 'Principal':
        input.principals.push(o as never)
        break
      case 'Policy':
        input.policies.push(o as never)
        break
      case 'PrivateEndpoint':
        input.privateEndpoints.push(o as never)
        break
      case 'IdentityProvider':
        input.identityProviders.push(o as never)
        break
      case 'Secret':
        input.secrets.push({ ref: o.ref, file: o.file, data: o.data })
        break
      case 'Service':
        // A Service can only bind a RestApi of its own namespace: binding another team's API
        // would let one namespace route traffic under another's policies.
        if (o.restApi.namespace === o.ref.namespace) {
          input.services.push({ ref: o.ref, file: o.file, restApi: o.restApi.name })
        } else {
          errors.push({
            file: o.file,
            ref: o.ref,
            path: 'metadata.annotations[portcullis.dev/rest-api]',
            message: `must name a RestApi in namespace ${o.ref.namespace}, not ${o.restApi.namespace}/${o.restApi.name}`,
          })
        }
        break
    }
  }
  return input
}

function toLoadError(e: {
  file: string
  ref?: LoadedObject['ref']
  path: string
  message: string
}): LoadError {
  return { file: e.file, ref: e.ref, path: e.path, message: e.message }
}
