/**
 * `Authorizer`: each one compiled by the authn module of its type (the injected AuthorizerCompiler);
 * without one, routes that use it fail closed.
 *
 * @module
 */
import type { AuthorizerSpec } from '../../api/v1alpha1/index.js'
import type { Manifest } from '../compile-input.js'
import type { CompiledAuthorizer, CompiledAuthorizerCandidate } from '../snapshot.js'
import { key, type CompileContext } from './compile-context.js'

/** `namespace/name` → compiled authorizer, for the valid ones. */
export function compileAuthorizers(
  manifests: readonly Manifest<AuthorizerSpec>[],
  ctx: CompileContext,
): Map<string, CompiledAuthorizer> {
  const authorizers = new Map<string, CompiledAuthorizer>()
  for (const m of manifests) {
    const ref = key(m.ref.namespace, m.ref.name)
    if (ctx.opts.authorizerCompiler === undefined) {
      ctx.warnings.push(
        `${m.file}: Authorizer/${ref}: no authorizer runtime available; routes using it fail closed`,
      )
      continue
    }
    const res = ctx.opts.authorizerCompiler(m, ctx.opts.defaults)
    if (!res.ok) {
      for (const e of res.errors) ctx.err(m.file, m.ref, e.path, e.message)
      continue
    }
    authorizers.set(
      ref,
      Object.freeze({
        ref,
        name: m.ref.name,
        type: m.spec.type,
        runtime: res.runtime,
        candidate: candidateOf(m.spec),
      }),
    )
    ctx.counts.Authorizer++
  }
  return authorizers
}

/** The audience rule under trial: `candidate.audience` (JWT) or `candidate.clientIds` (Cognito). */
function candidateOf(spec: AuthorizerSpec): CompiledAuthorizerCandidate | undefined {
  const audiences =
    spec.type === 'JWT'
      ? spec.candidate?.audience
      : spec.type === 'COGNITO_USER_POOLS'
        ? spec.candidate?.clientIds
        : undefined
  return audiences === undefined
    ? undefined
    : Object.freeze({ audiences: Object.freeze([...audiences]) })
}
