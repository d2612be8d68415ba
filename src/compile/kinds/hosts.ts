/**
 * Host names → APIs, from each RestApi's `hosts` and from Services annotated `portcullis.dev/rest-api`
 * (their in-cluster names). When two APIs claim one host, the previous owner keeps it (else the first
 * by name) and the other API is rejected as a whole.
 *
 * @module
 */
import type { Manifest, ObjectRef, ServiceBinding } from '../compile-input.js'
import type { RestApiSpec } from '../../api/v1alpha1/index.js'
import type { CompiledApi } from '../snapshot.js'
import { key, type CompileContext } from './compile-context.js'

export interface HostIndex {
  readonly apisByHost: Map<string, CompiledApi>
  readonly wildcardHosts: { suffix: string; api: CompiledApi }[]
}

/** Claims every host; removes from `apisByRef` the APIs that lost a claim. */
export function compileHosts(
  apiFiles: ReadonlyMap<string, Manifest<RestApiSpec>>,
  services: readonly ServiceBinding[],
  apisByRef: Map<string, CompiledApi>,
  ctx: CompileContext,
): HostIndex {
  const hostClaims = new Map<
    string,
    { api: string; file: string; ref: ObjectRef; path: string }[]
  >()
  const claim = (host: string, api: string, file: string, ref: ObjectRef, path: string) => {
    const h = host.toLowerCase()
    const list = hostClaims.get(h) ?? []
    list.push({ api, file, ref, path })
    hostClaims.set(h, list)
  }
  for (const [apiRef, m] of apiFiles) {
    ;(m.spec.hosts ?? []).forEach((h, i) => {
      claim(h, apiRef, m.file, m.ref, `spec.hosts[${i}]`)
    })
  }
  for (const s of services) {
    const apiRef = key(s.ref.namespace, s.restApi)
    if (!apisByRef.has(apiRef)) {
      ctx.err(
        s.file,
        s.ref,
        'metadata.annotations[portcullis.dev/rest-api]',
        `RestApi ${apiRef} not found or invalid`,
      )
      continue
    }
    ctx.counts.Service++
    for (const h of [
      `${s.ref.name}.${s.ref.namespace}.svc.cluster.local`,
      `${s.ref.name}.${s.ref.namespace}.svc`,
      `${s.ref.name}.${s.ref.namespace}`,
    ]) {
      claim(h, apiRef, s.file, s.ref, 'metadata.annotations[portcullis.dev/rest-api]')
    }
  }
  const apisByHost = new Map<string, CompiledApi>()
  const wildcardHosts: { suffix: string; api: CompiledApi }[] = []
  const rejectedApis = new Set<string>()
  for (const [host, claims] of hostClaims) {
    const owners = [...new Set(claims.map((c) => c.api))]
    let winner = owners[0] ?? ''
    if (owners.length > 1) {
      const prev =
        ctx.opts.previous?.apisByHost.get(host)?.ref ??
        ctx.opts.previous?.wildcardHosts.find((w) => `*${w.suffix}` === host)?.api.ref
      winner = prev !== undefined && owners.includes(prev) ? prev : ([...owners].sort()[0] ?? '')
      for (const c of claims) {
        if (c.api !== winner) {
          ctx.err(c.file, c.ref, c.path, `host ${host} is already served by RestApi ${winner}`)
          rejectedApis.add(c.api)
        }
      }
    }
  }
  for (const r of rejectedApis) apisByRef.delete(r)
  for (const [host, claims] of hostClaims) {
    const api = apisByRef.get(claims[0]?.api ?? '')
    const owner = claims.find((c) => apisByRef.has(c.api))
    const target = owner ? apisByRef.get(owner.api) : api
    if (!target) continue
    if (host.startsWith('*.')) wildcardHosts.push({ suffix: host.slice(1), api: target })
    else apisByHost.set(host, target)
  }
  wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length)
  return { apisByHost, wildcardHosts }
}
