/**
 * `Policy`: customer managed identity policies, compiled once and shared by the Principals that
 * reference them (`managedPolicyRefs`).
 *
 * @module
 */
import type { CompiledPolicy } from '../../policy/index.js'
import type { PolicySpec } from '../../api/v1alpha1/index.js'
import type { Manifest } from '../compile-input.js'
import { key, type CompileContext } from './compile-context.js'

/** `namespace/name` → compiled policy, for the valid ones. */
export function compilePolicies(
  policies: readonly Manifest<PolicySpec>[],
  ctx: CompileContext,
): Map<string, CompiledPolicy> {
  const managed = new Map<string, CompiledPolicy>()
  for (const m of policies) {
    const p = ctx.policy(m.file, m.ref, 'spec.policyDocument', m.spec.policyDocument, 'identity')
    if (p) {
      managed.set(key(m.ref.namespace, m.ref.name), p)
      ctx.counts.Policy++
    }
  }
  return managed
}
