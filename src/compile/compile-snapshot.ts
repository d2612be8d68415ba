/**
 * Manifests → one frozen Snapshot. Pure: no I/O. Every cross-object reference (authorizerName,
 * managedPolicyRefs, secret refs, vpcEndpointIds, Service bindings) is resolved here, and every
 * problem becomes a CompileError for that object. An invalid object invalidates only itself and
 * the objects that depend on it; everything else compiles and serves.
 *
 * This function only orders the per-kind compilers (kinds/): a kind is compiled after the kinds it
 * references, and hosts are claimed last, across every API.
 *
 * @module
 */
import type { CompileInput } from './compile-input.js'
import type { CompileOptions, CompileResult } from './compile-options.js'
import { CompileContext, key } from './kinds/compile-context.js'
import { compileAuthorizers } from './kinds/authorizer.js'
import { compileHosts } from './kinds/hosts.js'
import { compileIdentityProviders } from './kinds/identity-provider.js'
import { compilePolicies } from './kinds/policy.js'
import { compilePrincipals } from './kinds/principal.js'
import { compilePrivateEndpoints } from './kinds/private-endpoint.js'
import { compileRestApis } from './kinds/rest-api.js'
import { compileUsagePlans } from './kinds/usage-plan.js'
import type { Snapshot } from './snapshot.js'
import type { StsRole } from './sts-directory.js'

export type { AuthorizerCompiler, CompileOptions, CompileResult } from './compile-options.js'

export function compileSnapshot(input: CompileInput, opts: CompileOptions): CompileResult {
  const ctx = new CompileContext(opts)
  ctx.counts.Secret = input.secrets.length
  const secrets = new Map(input.secrets.map((s) => [key(s.ref.namespace, s.ref.name), s.data]))
  const managed = compilePolicies(input.policies, ctx)
  const roles = new Map<string, StsRole>()
  const accessKeys = compilePrincipals(input.principals, secrets, managed, ctx, roles)
  const providers = compileIdentityProviders(input.identityProviders, ctx)
  const authorizers = compileAuthorizers(input.authorizers, ctx)
  const endpoints = compilePrivateEndpoints(input.privateEndpoints, ctx)
  // Any Principal (or role, for its sessions) with identity policies under trial: AWS_IAM
  // requests may meet a candidate.
  let principalCandidates = false
  for (const e of accessKeys.values()) if (e.principal.candidatePolicies) principalCandidates = true
  for (const r of roles.values()) if (r.principal.candidatePolicies) principalCandidates = true
  const { apisByRef, apiFiles } = compileRestApis(
    input.restApis,
    input.authorizers,
    authorizers,
    endpoints,
    ctx,
    principalCandidates,
  )
  const { apisByHost, wildcardHosts } = compileHosts(apiFiles, input.services, apisByRef, ctx)
  ctx.counts.RestApi = apisByRef.size
  // After hosts: an API that lost its host is not served, and plans see only served APIs.
  const usage = compileUsagePlans(input, secrets, apisByRef, ctx)

  const snapshot: Snapshot = Object.freeze({
    generation: opts.generation,
    apisByRef,
    apisByHost,
    wildcardHosts: Object.freeze(wildcardHosts),
    accessKeys,
    authorizers,
    usage,
    objectCounts: Object.freeze(ctx.counts),
    defaults: opts.defaults,
    sts: Object.freeze({ roles, providers }),
    ...(opts.workloads ? { workloads: opts.workloads } : {}),
  })
  return {
    snapshot,
    errors: ctx.errors,
    warnings: ctx.warnings,
    objectWarnings: ctx.objectWarnings,
  }
}
