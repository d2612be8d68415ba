/**
 * `authorizationType: CUSTOM` (TOKEN / REQUEST authorizers over HTTP), in AWS's two phases
 * (docs/aws-semantics.md): the resource policy is checked for an explicit Deny *before* the
 * authorizer is called; then the authorizer's policy (fresh or cached) is evaluated against this
 * request's methodArn and combined with the resource policy by Table A.
 *
 * @module
 */
import type { LambdaAuthorizerRuntime, LambdaOutcome } from '../../authn/lambda/index.js'
import type { CompiledAuthorizer } from '../../compile/snapshot.js'
import { combineSameAccount, precheckExplicitDeny } from '../../policy/index.js'
import type { CompiledPolicy, EvaluationResult, PolicyRequest } from '../../policy/index.js'
import type { CheckOutcome } from '../check-outcome.js'
import { allowOutcome } from '../allow-response.js'
import { denyAuthorizerPolicy, denyFixed, denyPrincipal } from '../deny-response.js'
import { explained } from '../explained.js'
import type { Flow, FlowContext } from '../flow.js'
import { CANDIDATE_UNDECIDED } from '../candidate.js'

export function createCustomFlow(runtime: LambdaAuthorizerRuntime<CompiledPolicy>): Flow {
  return (ctx) => {
    const authorizer = ctx.route.authorizer
    if (authorizer === undefined || authorizer.runtime.kind !== 'lambda') {
      return explained(
        ctx.explain,
        denyFixed('authorizer_error', 'ERR_AUTHORIZER_MISSING', ctx.deny),
        ['route has no usable authorizer'],
      )
    }
    const config = authorizer.runtime.config
    const anonymous = {
      action: 'execute-api:Invoke',
      resource: ctx.methodArn,
      principal: null,
      context: ctx.conditions,
    }
    // Phase 1: an explicit Deny in the resource policy stops the request before any call.
    const resource = precheckExplicitDeny(ctx.api.resourcePolicy, anonymous)
    if (resource.decision === 'Deny') {
      ctx.trace?.addStatements(resource.statements)
      return explained(
        ctx.explain,
        denyPrincipal(undefined, ctx.methodArn, true, 'ERR_POLICY_EXPLICIT_DENY', ctx.deny),
        ['resource policy explicit Deny (checked before calling the authorizer)'],
        resource.statements,
      )
    }
    const outcome = runtime.authorize(
      config,
      {
        req: ctx.req,
        methodArn: ctx.methodArn,
        accountId: ctx.api.accountId,
        apiId: ctx.api.apiId,
        region: ctx.api.region,
        stage: ctx.api.stage,
        stageVariables: ctx.api.stageVariables,
        resourcePath: ctx.match.resourcePath,
        pathParameters: ctx.match.pathParameters,
        routeKey: `${ctx.req.method} ${ctx.match.resourcePath}`,
        domainName: ctx.req.host,
      },
      ctx.candidate,
    )
    if (outcome === undefined) {
      // A candidate run never calls the authorizer: without a cached answer there is nothing to
      // compare.
      return denyFixed('authorizer_error', CANDIDATE_UNDECIDED, ctx.deny)
    }
    // Cache hits answer synchronously: no Promise on the hot path.
    return outcome instanceof Promise
      ? outcome.then((o) => decideWith(ctx, authorizer, anonymous, resource, o))
      : decideWith(ctx, authorizer, anonymous, resource, outcome)
  }
}

/** Phase 2: the authorizer's answer (fresh or cached) against this request, Table A. */
function decideWith(
  ctx: FlowContext,
  authorizer: CompiledAuthorizer,
  anonymous: PolicyRequest,
  resource: EvaluationResult,
  outcome: LambdaOutcome<CompiledPolicy>,
): CheckOutcome {
  const via = `authorizer ${authorizer.ref}`
  const trace = ctx.trace
  if (trace !== undefined && (outcome.kind === 'simple' || outcome.kind === 'policy')) {
    trace.cacheHit = outcome.cached
    if (outcome.kind === 'policy') trace.principalId = outcome.principalId
  }
  switch (outcome.kind) {
    case 'unauthorized':
      return explained(ctx.explain, denyFixed('unauthorized', 'ERR_UNAUTHORIZED', ctx.deny), [
        `${via}: Unauthorized (${outcome.reason})`,
      ])
    case 'error':
      // Fail closed: an unreachable, slow or malformed authorizer is AWS's 500 {"message":null}.
      return explained(ctx.explain, denyFixed('authorizer_error', outcome.code, ctx.deny), [
        `${via}: ${outcome.code}`,
      ])
    case 'simple': {
      const notes = (): string[] => [
        `${via}: simple response isAuthorized=${String(outcome.isAuthorized)}${outcome.cached ? ' (cached)' : ''}`,
      ]
      if (!outcome.isAuthorized)
        return explained(
          ctx.explain,
          denyFixed('forbidden', 'ERR_AUTHORIZER_FORBIDDEN', ctx.deny),
          notes,
        )
      return explained(
        ctx.explain,
        allowOutcome(
          ctx.req,
          { principal: undefined, context: outcome.context },
          'ALLOW_AUTHORIZER',
          ctx.api.ref,
        ),
        notes,
      )
    }
    case 'policy': {
      // Phase 2: the returned policy decides for this methodArn (cached policies too), Table A.
      const own = outcome.policy.evaluate(anonymous, `authorizer:${authorizer.name}`)
      const combined = combineSameAccount(own.decision, resource.decision)
      if (trace !== undefined) {
        trace.addStatements(own.statements)
        trace.addStatements(resource.statements)
      }
      const notes = (): string[] => [
        `${via}: principalId ${outcome.principalId}${outcome.cached ? ' (cached)' : ''}`,
        `authorizer policy: ${own.decision}; resource policy: ${ctx.api.resourcePolicy ? resource.decision : 'none'} → ${combined}`,
      ]
      // Built only when explaining (`portcullis check`): not on the hot path.
      const statements = ctx.explain ? [...own.statements, ...resource.statements] : []
      if (combined === 'Allow') {
        return explained(
          ctx.explain,
          allowOutcome(
            ctx.req,
            { principal: outcome.principalId, context: outcome.context },
            'ALLOW_AUTHORIZER',
            ctx.api.ref,
          ),
          notes,
          statements,
        )
      }
      const explicit = combined === 'ExplicitDeny'
      return explained(
        ctx.explain,
        denyAuthorizerPolicy(
          explicit,
          explicit ? 'ERR_AUTHORIZER_EXPLICIT_DENY' : 'ERR_AUTHORIZER_IMPLICIT_DENY',
          ctx.deny,
        ),
        notes,
        statements,
      )
    }
  }
}
