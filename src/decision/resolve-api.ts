/**
 * Which API a request is for (docs/decision-flow.md): the Envoy route's context extension
 * `portcullis.dev/api: namespace/name` first, else the host against `hosts[]` and bound Services.
 *
 * @module
 */
import type { CompiledApi, Snapshot } from '../compile/snapshot.js'
import type { RequestContext } from '../request/request-context.js'

export const API_CONTEXT_EXTENSION = 'portcullis.dev/api'

export function resolveApi(snapshot: Snapshot, req: RequestContext): CompiledApi | undefined {
  const ext = req.contextExtensions.get(API_CONTEXT_EXTENSION)
  // An explicit but unknown API never falls back to the host: the Envoy route said which API.
  if (ext !== undefined) return snapshot.apisByRef.get(ext)
  const host = req.host
  if (host === '') return undefined
  const exact = snapshot.apisByHost.get(host)
  if (exact) return exact
  for (const w of snapshot.wildcardHosts) {
    // `*.pets.example.com` matches one or more labels before the suffix, never the bare suffix.
    if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.api
  }
  return undefined
}
