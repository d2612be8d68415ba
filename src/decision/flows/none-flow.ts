/**
 * `authorizationType: NONE`: only the resource policy is evaluated, anonymously, and it must
 * explicitly allow (docs/aws-semantics.md). Without a resource policy the route is public, as in
 * AWS.
 *
 * @module
 */
import { combineResourceOnly } from '../../policy/index.js'
import { allowOutcome, NO_CONTEXT } from '../allow-response.js'
import { denyPrincipal } from '../deny-response.js'
import { explained } from '../explained.js'
import type { Flow } from '../flow.js'

export const noneFlow: Flow = (ctx) => {
  const policy = ctx.api.resourcePolicy
  if (policy === undefined) {
    return explained(
      ctx.explain,
      allowOutcome(
        ctx.req,
        { principal: undefined, context: NO_CONTEXT },
        'ALLOW_PUBLIC',
        ctx.api.ref,
      ),
      ['no resource policy: NONE route is public'],
    )
  }
  const result = policy.evaluate(
    {
      action: 'execute-api:Invoke',
      resource: ctx.methodArn,
      principal: null,
      context: ctx.conditions,
    },
    'resource-policy',
  )
  ctx.trace?.addStatements(result.statements)
  const combined = combineResourceOnly(result.decision)
  const notes = (): string[] => [`resource policy (anonymous): ${result.decision} → ${combined}`]
  if (combined === 'Allow') {
    return explained(
      ctx.explain,
      allowOutcome(
        ctx.req,
        { principal: undefined, context: NO_CONTEXT },
        'ALLOW_RESOURCE_POLICY',
        ctx.api.ref,
      ),
      notes,
      result.statements,
    )
  }
  const explicit = combined === 'ExplicitDeny'
  return explained(
    ctx.explain,
    denyPrincipal(
      undefined,
      ctx.methodArn,
      explicit,
      explicit ? 'ERR_POLICY_EXPLICIT_DENY' : 'ERR_POLICY_IMPLICIT_DENY',
      ctx.deny,
    ),
    notes,
    result.statements,
  )
}
