/**
 * Loads our wire-compatible protos (`proto/`) once per process with the decoding options the
 * CheckRequest decoder and the servers assume. Kept with the request decoding (the bottom layer)
 * so the decoder's tests and the servers share it without importing upwards.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as protoLoader from '@grpc/proto-loader'

/**
 * `keepCase` (field names as in the .proto, like Envoy's docs), `longs: String` (int64 `size`),
 * `enums: String`, `defaults: false` (absent fields stay undefined: cheaper, and the translator
 * treats absent and empty alike), `oneofs: true`. Bytes decode to Buffer.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
})

/** `proto/` at the repository (or package) root, from `src/request/` or `dist/src/request/`. */
export function protoRoot(): string {
  for (const rel of ['../../proto/', '../../../proto/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(`${dir}envoy/service/auth/v3/external_auth.proto`)) return dir
  }
  throw new Error('proto/ directory not found next to the package')
}

let cached: protoLoader.PackageDefinition | undefined

/** The package definition holding `envoy.service.auth.v3.Authorization` and `grpc.health.v1.Health`. */
export function loadProtos(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(
    ['envoy/service/auth/v3/external_auth.proto', 'grpc/health/v1/health.proto'],
    { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] },
  )
  return cached
}
