/**
 * Calls Portcullis the way Envoy does: a grpc-js client built from Envoy's OFFICIAL protos (shipped
 * in @grpc/grpc-js-xds/deps), never from our proto/ subset, plus a builder that fills a CheckRequest
 * the way Envoy's ext_authz filter does (attribute_context.proto semantics).
 *
 * @module
 */
import { randomInt, randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const require = createRequire(import.meta.url)
const XDS_DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps')

/** The four include dirs Envoy's protos need (envoy-api, xds/udpa, googleapis, validate). */
export const OFFICIAL_PROTO_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map(
  (d) => join(XDS_DEPS, d),
)

/** Decoding options for the official side: defaults on, so every field is visible to asserts. */
export const OFFICIAL_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: OFFICIAL_PROTO_DIRS,
}

let officialDefinition: protoLoader.PackageDefinition | undefined
export function officialAuthDefinition(): protoLoader.PackageDefinition {
  officialDefinition ??= protoLoader.loadSync(
    'envoy/service/auth/v3/external_auth.proto',
    OFFICIAL_LOADER_OPTIONS,
  )
  return officialDefinition
}

/** CheckResponse as the official protos decode it (defaults on, enums as names). */
export interface OfficialHeaderValueOption {
  header: { key: string; value: string; raw_value: Buffer }
  append: { value: boolean } | null
  append_action: string
  keep_empty_value: boolean
}
export interface OfficialCheckResponse {
  status: { code: number; message: string; details: unknown[] }
  http_response?: 'ok_response' | 'denied_response'
  ok_response?: {
    headers: OfficialHeaderValueOption[]
    headers_to_remove: string[]
    dynamic_metadata: unknown
    response_headers_to_add: OfficialHeaderValueOption[]
    query_parameters_to_set: { key: string; value: string }[]
    query_parameters_to_remove: string[]
  }
  denied_response?: {
    status: { code: string | number } | null
    headers: OfficialHeaderValueOption[]
    body: string
  }
  dynamic_metadata: { fields: Record<string, { stringValue?: string; kind?: string }> } | null
}

export interface OfficialCheckClient {
  /** One Authorization/Check call; rejects only on an RPC error (which Portcullis must never produce). */
  check(request: object, deadlineMs?: number): Promise<OfficialCheckResponse>
  /** The underlying grpc-js client (for raw calls in tests). */
  readonly client: grpc.Client
  close(): void
}

/**
 * A Check client on `address` (`127.0.0.1:port` or `unix:/path`), built from Envoy's official
 * external_auth.proto.
 */
export function createOfficialCheckClient(address: string): OfficialCheckClient {
  const pkg = grpc.loadPackageDefinition(officialAuthDefinition()) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } }
  }
  const Ctor = pkg.envoy.service.auth.v3.Authorization
  const client = new Ctor(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  })
  const checkFn = (client as unknown as Record<string, unknown>).Check as (
    req: object,
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res: OfficialCheckResponse) => void,
  ) => void
  return {
    client,
    check(request, deadlineMs = 10_000) {
      return new Promise((resolve, reject) => {
        checkFn.call(client, request, { deadline: Date.now() + deadlineMs }, (err, res) => {
          if (err) reject(err)
          else resolve(res)
        })
      })
    },
    close() {
      client.close()
    },
  }
}

export interface BuildCheckRequestInput {
  method?: string
  /** Path with query, as Envoy sends it in `http.path`. Default `/`. */
  path?: string
  host?: string
  /** Request headers; arrays are repeated headers (Envoy joins them with `,` in `headers`). */
  headers?: Record<string, string | string[]>
  sourceIp?: string
  sourcePort?: number
  sourcePrincipal?: string
  destinationIp?: string
  destinationPort?: number
  destinationPrincipal?: string
  contextExtensions?: Record<string, string>
  /** Body as Envoy sends it with `with_request_body` (`body`), or as bytes (`raw_body`, pack_as_bytes). */
  body?: string | Buffer
  scheme?: string
  protocol?: string
  /** Envoy's per-stream id (`http.id`). Default: a random decimal. */
  id?: string
  /** Send headers as `header_map` with `raw_value` bytes, like `encode_raw_headers: true`. */
  encodeRawHeaders?: boolean
  /** Filter metadata namespaces (`metadata_context.filter_metadata`), values are flat string maps. */
  metadataContext?: Record<string, Record<string, string>>
}

function struct(values: Record<string, string>) {
  return {
    fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { stringValue: v }])),
  }
}

/**
 * Builds a CheckRequest the way Envoy's ext_authz filter fills AttributeContext: pseudo-headers in
 * the header map, lower-case names, repeated headers joined with `,` (or kept apart in header_map
 * with raw bytes), path including the query, peers as socket addresses, request time.
 */
export function buildCheckRequest(input: BuildCheckRequestInput = {}): object {
  const method = input.method ?? 'GET'
  const path = input.path ?? '/'
  const host = input.host ?? 'api.example.com'
  const scheme = input.scheme ?? 'http'
  const entries: [string, string][] = [
    [':authority', host],
    [':path', path],
    [':method', method],
    [':scheme', scheme],
  ]
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) entries.push([name.toLowerCase(), v])
  }
  const headersMap: Record<string, string> = {}
  for (const [k, v] of entries) headersMap[k] = k in headersMap ? `${headersMap[k]},${v}` : v
  const http: Record<string, unknown> = {
    id: input.id ?? String(randomInt(1, 2 ** 47)),
    method,
    path,
    host,
    scheme,
    protocol: input.protocol ?? 'HTTP/1.1',
    size: String(input.body === undefined ? 0 : Buffer.byteLength(input.body)),
  }
  if (input.encodeRawHeaders === true) {
    http.header_map = {
      headers: entries.map(([key, v]) => ({ key, raw_value: Buffer.from(v, 'utf8') })),
    }
  } else {
    http.headers = headersMap
  }
  if (typeof input.body === 'string') http.body = input.body
  else if (input.body !== undefined) http.raw_body = input.body
  const peer = (ip: string | undefined, port: number, principal: string | undefined) => ({
    address: { socket_address: { address: ip ?? '127.0.0.1', port_value: port } },
    principal: principal ?? '',
  })
  const nowMs = Date.now()
  return {
    attributes: {
      source: peer(
        input.sourceIp,
        input.sourcePort ?? 40000 + randomInt(0, 20000),
        input.sourcePrincipal,
      ),
      destination: peer(
        input.destinationIp ?? '10.0.0.2',
        input.destinationPort ?? 8080,
        input.destinationPrincipal,
      ),
      request: {
        time: { seconds: String(Math.floor(nowMs / 1000)), nanos: (nowMs % 1000) * 1e6 },
        http,
      },
      context_extensions: input.contextExtensions ?? {},
      metadata_context: {
        filter_metadata: Object.fromEntries(
          Object.entries(input.metadataContext ?? {}).map(([ns, values]) => [ns, struct(values)]),
        ),
      },
    },
  }
}

/** A fresh x-request-id like Envoy generates. */
export function newRequestId(): string {
  return randomUUID()
}

/** Path to our own proto/ dir (for the health client, whose proto grpc-js-xds does not ship). */
export const OUR_PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url))
