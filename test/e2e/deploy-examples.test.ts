/**
 * The proxy examples under deploy/ are correct as written: deploy/envoy/envoy.yaml is checked field
 * by field (names, enums, oneofs, durations, every typed_config `@type`) against Envoy's OFFICIAL
 * v3 protos, so a misspelt or misplaced field fails here instead of at Envoy start; the nginx
 * example passes `nginx -t` with Debian's nginx (missing = FAIL); the Kubernetes examples parse
 * and name the kinds and Portcullis ports they claim.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type * as Protobuf from 'protobufjs'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { OFFICIAL_PROTO_DIRS } from '../helpers/envoy-client.js'
import { NGINX_BIN } from '../helpers/nginx.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DEPLOY = join(ROOT, 'deploy')

// protobufjs as @grpc/proto-loader (which loads the official protos for the check path) uses it.
const require = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'))
const protobuf = require('protobufjs') as typeof Protobuf

function loadEnvoyRoot(): Protobuf.Root {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => {
    for (const dir of OFFICIAL_PROTO_DIRS) {
      const candidate = join(dir, target)
      if (existsSync(candidate)) return candidate
    }
    return target
  }
  root.loadSync(
    [
      'envoy/config/bootstrap/v3/bootstrap.proto',
      'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
      'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
      'envoy/extensions/filters/http/router/v3/router.proto',
      'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
    ],
    { keepCase: true },
  )
  root.resolveAll()
  return root
}

const SCALAR_WRAPPERS = new Set([
  'google.protobuf.BoolValue',
  'google.protobuf.UInt32Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.DoubleValue',
  'google.protobuf.StringValue',
])

/** Problems found validating `value` (proto JSON/YAML form) as message `type`; empty = valid. */
function validate(
  root: Protobuf.Root,
  type: Protobuf.Type,
  value: unknown,
  path: string,
): string[] {
  const full = type.fullName.replace(/^\./, '')
  if (full === 'google.protobuf.Duration') {
    return typeof value === 'string' && /^\d+(\.\d+)?s$/.test(value)
      ? []
      : [`${path}: bad Duration`]
  }
  if (SCALAR_WRAPPERS.has(full))
    return typeof value === 'object' ? [`${path}: wrapper takes a scalar`] : []
  if (full === 'google.protobuf.Struct') return []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`${path}: ${full} must be an object`]
  }
  const obj = value as Record<string, unknown>
  if (full === 'google.protobuf.Any') {
    const url = obj['@type']
    if (typeof url !== 'string' || !url.startsWith('type.googleapis.com/'))
      return [`${path}: Any without @type`]
    const inner = root.lookupType(url.slice('type.googleapis.com/'.length))
    const rest = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== '@type'))
    return validate(root, inner, rest, `${path}<${inner.name}>`)
  }
  const problems: string[] = []
  const byName = new Map<string, Protobuf.Field>()
  for (const f of type.fieldsArray) {
    byName.set(f.name, f)
    byName.set(
      f.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()),
      f,
    )
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => f.name in obj)
    if (set.length > 1)
      problems.push(`${path}: oneof ${oneof.name} has ${set.map((f) => f.name).join(' + ')}`)
  }
  for (const [key, v] of Object.entries(obj)) {
    const field = byName.get(key)
    const at = `${path}.${key}`
    if (field === undefined) {
      problems.push(`${at}: no such field in ${full}`)
      continue
    }
    field.resolve()
    const check = (item: unknown, p: string): string[] => {
      const rt = field.resolvedType
      if (rt instanceof protobuf.Type) return validate(root, rt, item, p)
      if (rt instanceof protobuf.Enum) {
        return typeof item === 'number' || (typeof item === 'string' && item in rt.values)
          ? []
          : [`${p}: ${String(item)} is not a ${rt.name} value`]
      }
      if (field.type === 'bool') return typeof item === 'boolean' ? [] : [`${p}: not a bool`]
      if (field.type === 'string') return typeof item === 'string' ? [] : [`${p}: not a string`]
      return typeof item === 'number' || typeof item === 'string' ? [] : [`${p}: not a number`]
    }
    if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || v === null) problems.push(`${at}: map must be an object`)
      else for (const [k, item] of Object.entries(v)) problems.push(...check(item, `${at}[${k}]`))
    } else if (field.repeated) {
      if (!Array.isArray(v)) problems.push(`${at}: must be a list`)
      else v.forEach((item, i) => problems.push(...check(item, `${at}[${i}]`)))
    } else {
      problems.push(...check(v, at))
    }
  }
  return problems
}

function run(file: string, args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(file, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr })
    })
  })
}

describe('deploy/envoy/envoy.yaml against Envoy official v3 protos', () => {
  const root = loadEnvoyRoot()
  const bootstrap = root.lookupType('envoy.config.bootstrap.v3.Bootstrap')

  it('the validator itself rejects a misspelt field, a bad enum and a double oneof (it can fail)', () => {
    const bad = {
      static_resources: {
        clusters: [{ name: 'x', type: 'STATICC', conect_timeout: '1s', connect_timeout: 'soon' }],
      },
    }
    const problems = validate(root, bootstrap, bad, 'bootstrap')
    expect(problems.join('\n')).toMatch(/conect_timeout: no such field/)
    expect(problems.join('\n')).toMatch(/STATICC is not a DiscoveryType value/)
    expect(problems.join('\n')).toMatch(/connect_timeout: bad Duration/)
    const filter = root.lookupType('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz')
    expect(validate(root, filter, { grpc_service: {}, http_service: {} }, 'f').join('\n')).toMatch(
      /oneof services/,
    )
  })

  it('every field of the example is a real Envoy field with a valid value', async () => {
    const doc = parseAllDocuments(await readFile(join(DEPLOY, 'envoy/envoy.yaml'), 'utf8'))
    expect(doc).toHaveLength(1)
    const config: unknown = doc[0]!.toJS()
    expect(validate(root, bootstrap, config, 'bootstrap')).toEqual([])
  })

  it('the ext_authz filter is the fail-closed gRPC setup the README promises', async () => {
    const text = await readFile(join(DEPLOY, 'envoy/envoy.yaml'), 'utf8')
    const cfg = parseAllDocuments(text)[0]!.toJS() as {
      static_resources: {
        listeners: {
          filter_chains: {
            filters: {
              typed_config: { http_filters: { typed_config: Record<string, unknown> }[] }
            }[]
          }[]
        }[]
      }
    }
    const hcm = cfg.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config
    const msg = hcm.http_filters[0]!.typed_config as {
      failure_mode_allow: boolean
      with_request_body: { pack_as_bytes: boolean; allow_partial_message: boolean }
      grpc_service: { envoy_grpc: { cluster_name: string } }
    }
    expect(msg.failure_mode_allow).toBe(false)
    expect(msg.with_request_body).toMatchObject({
      pack_as_bytes: true,
      allow_partial_message: false,
    })
    expect(msg.grpc_service.envoy_grpc.cluster_name).toBe('portcullis')
    expect(text).toContain('portcullis.dev/api: shop/petstore')
  })

  it("hardens paths and header names as Envoy's edge-proxy guide recommends (the path checked is the path served)", async () => {
    const text = await readFile(join(DEPLOY, 'envoy/envoy.yaml'), 'utf8')
    const cfg = parseAllDocuments(text)[0]!.toJS() as {
      static_resources: {
        listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[]
      }
    }
    for (const listener of cfg.static_resources.listeners) {
      for (const chain of listener.filter_chains) {
        for (const filter of chain.filters) {
          const hcm = filter.typed_config
          if (!String(hcm['@type']).endsWith('.HttpConnectionManager')) continue
          expect(hcm['normalize_path']).toBe(true)
          expect(hcm['merge_slashes']).toBe(true)
          expect(['REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT']).toContain(
            hcm['path_with_escaped_slashes_action'],
          )
          expect(hcm['common_http_protocol_options']).toMatchObject({
            headers_with_underscores_action: 'REJECT_REQUEST',
          })
        }
      }
    }
  })
})

describe('deploy/nginx/nginx.conf', () => {
  it('passes `nginx -t` as written (Debian nginx; missing = FAIL)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-nginx-t-'))
    try {
      const r = await run(NGINX_BIN, [
        '-t',
        '-p',
        dir,
        '-c',
        join(DEPLOY, 'nginx/nginx.conf'),
        '-g',
        `pid ${join(dir, 'nginx.pid')};`,
        '-e',
        join(dir, 'error.log'),
      ])
      expect(r.out).toContain('syntax is ok')
      expect(r.code).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('Kubernetes examples (Istio, Envoy Gateway)', () => {
  it('Istio: extensionProvider on the gRPC port, AuthorizationPolicy CUSTOM naming it', async () => {
    const docs = parseAllDocuments(
      await readFile(join(DEPLOY, 'istio/portcullis-istio.yaml'), 'utf8'),
    ).map((d) => d.toJS() as Record<string, unknown>)
    const kinds = docs.map((d) => d['kind'])
    expect(kinds).toEqual(['ConfigMap', 'AuthorizationPolicy'])
    const mesh = parseAllDocuments(
      String((docs[0]!['data'] as Record<string, unknown>)['mesh']),
    )[0]!.toJS() as {
      extensionProviders: { name: string; envoyExtAuthzGrpc: { port: number; failOpen: boolean } }[]
      pathNormalization?: { normalization?: string }
    }
    // Path hardening: dot segments resolved and slashes merged before the check (escaped
    // slashes, left as sent by MERGE_SLASHES, are refused by Portcullis itself).
    expect(['MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES']).toContain(
      mesh.pathNormalization?.normalization,
    )
    expect(mesh.extensionProviders[0]).toMatchObject({
      name: 'portcullis',
      envoyExtAuthzGrpc: { port: 9001, failOpen: false },
    })
    expect(docs[1]).toMatchObject({
      apiVersion: 'security.istio.io/v1',
      spec: { action: 'CUSTOM', provider: { name: 'portcullis' } },
    })
  })

  it('Envoy Gateway: SecurityPolicy extAuth gRPC to the Portcullis Service, fail closed, with the ReferenceGrant it needs', async () => {
    const docs = parseAllDocuments(
      await readFile(join(DEPLOY, 'envoy-gateway/portcullis-securitypolicy.yaml'), 'utf8'),
    ).map((d) => d.toJS() as Record<string, unknown>)
    expect(docs.map((d) => d['kind'])).toEqual([
      'SecurityPolicy',
      'ReferenceGrant',
      'ClientTrafficPolicy',
    ])
    expect(docs[0]).toMatchObject({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      spec: {
        extAuth: {
          grpc: {
            backendRefs: [{ name: 'portcullis', namespace: 'portcullis-system', port: 9001 }],
          },
          failOpen: false,
        },
      },
    })
  })

  it('Envoy Gateway: a ClientTrafficPolicy on the Gateway refuses escaped slashes and underscore header names, and keeps merging slashes', async () => {
    const docs = parseAllDocuments(
      await readFile(join(DEPLOY, 'envoy-gateway/portcullis-securitypolicy.yaml'), 'utf8'),
    ).map((d) => d.toJS() as Record<string, unknown>)
    const policy = docs.find((d) => d['kind'] === 'ClientTrafficPolicy') as {
      apiVersion: string
      spec: {
        targetRefs: { kind: string }[]
        path: { escapedSlashesAction: string; disableMergeSlashes?: boolean }
        headers: { withUnderscoresAction: string }
      }
    }
    expect(policy.apiVersion).toBe('gateway.envoyproxy.io/v1alpha1')
    expect(policy.spec.targetRefs.map((r) => r.kind)).toEqual(['Gateway'])
    expect(['RejectRequest', 'UnescapeAndRedirect']).toContain(
      policy.spec.path.escapedSlashesAction,
    )
    expect(policy.spec.path.disableMergeSlashes).not.toBe(true)
    expect(policy.spec.headers.withUnderscoresAction).toBe('RejectRequest')
  })
})
