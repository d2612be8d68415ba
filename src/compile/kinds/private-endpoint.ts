/**
 * `PrivateEndpoint`: the sources a caller is attributed by (CIDRs parsed, label selectors compiled)
 * and the endpoint policy (AWS's allow-all default when absent).
 *
 * @module
 */
import type { PrivateEndpointSpec } from '../../api/v1alpha1/index.js'
import type { Manifest } from '../compile-input.js'
import { compileLabelSelector, type LabelMatcher } from '../label-selector.js'
import { parseCidr, type CompiledSource } from '../private-endpoint-sources.js'
import type { CompiledEndpoint } from '../snapshot.js'
import { key, type CompileContext } from './compile-context.js'

/** The AWS default endpoint policy: full access (docs/aws-semantics.md#private-apis). */
const ALLOW_ALL_ENDPOINT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
}

/** `namespace/name` → compiled endpoint, for the valid ones. */
export function compilePrivateEndpoints(
  manifests: readonly Manifest<PrivateEndpointSpec>[],
  ctx: CompileContext,
): Map<string, CompiledEndpoint> {
  const endpoints = new Map<string, CompiledEndpoint>()
  for (const m of manifests) {
    const { ref, file, spec } = m
    const before = ctx.errors.length
    const sources: CompiledSource[] = []
    spec.sources.forEach((s, i) => {
      const blocks = (s.ipBlocks ?? []).map((b, j) => {
        const cidr = parseCidr(b.cidr)
        if (!cidr)
          ctx.err(file, ref, `spec.sources[${i}].ipBlocks[${j}].cidr`, `not a CIDR: ${b.cidr}`)
        const except = (b.except ?? []).map((e, k) => {
          const c = parseCidr(e)
          if (!c)
            ctx.err(file, ref, `spec.sources[${i}].ipBlocks[${j}].except[${k}]`, `not a CIDR: ${e}`)
          return c
        })
        return { cidr, except }
      })
      const usesSelectors = s.namespaceSelector !== undefined || s.podSelector !== undefined
      if (usesSelectors && ctx.opts.workloads === undefined) {
        ctx.warnings.push(
          `${file}: PrivateEndpoint/${key(ref.namespace, ref.name)}: spec.sources[${i}] uses label selectors, which only Kubernetes mode can resolve; in folder mode it admits nothing`,
        )
      }
      const selector = (
        sel: unknown,
        field: 'namespaceSelector' | 'podSelector',
      ): LabelMatcher | undefined => {
        if (sel === undefined) return undefined
        const res = compileLabelSelector(sel, `spec.sources[${i}].${field}`)
        if (res.ok) return res.matcher
        for (const e of res.errors) ctx.err(file, ref, e.path, e.message)
        return undefined
      }
      sources.push({
        namespaceSelector: selector(s.namespaceSelector, 'namespaceSelector'),
        podSelector: selector(s.podSelector, 'podSelector'),
        endpointNamespace: ref.namespace,
        namespaces: s.namespaces ? new Set(s.namespaces) : undefined,
        serviceAccounts: s.serviceAccounts
          ? new Set(s.serviceAccounts.map((a) => key(a.namespace, a.name)))
          : undefined,
        ipBlocks: s.ipBlocks
          ? blocks.flatMap((b) =>
              b.cidr ? [{ cidr: b.cidr, except: b.except.flatMap((e) => (e ? [e] : [])) }] : [],
            )
          : undefined,
        usesSelectors,
      })
    })
    const policy = ctx.policy(
      file,
      ref,
      'spec.policy',
      spec.policy ?? ALLOW_ALL_ENDPOINT,
      'endpoint',
    )
    if (ctx.errors.length !== before || !policy) continue
    endpoints.set(
      key(ref.namespace, ref.name),
      Object.freeze({
        ref: key(ref.namespace, ref.name),
        name: ref.name,
        namespace: ref.namespace,
        sources,
        policy,
      }),
    )
    ctx.counts.PrivateEndpoint++
  }
  return endpoints
}
