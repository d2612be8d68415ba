/**
 * `authorizationType: AWS_IAM`: verify the SigV4 signature against the access keys of Principal
 * objects, then combine the principal's identity policies with the API's resource policy —
 * Table A when the caller's account owns the API, Table B across accounts (reference §1.2–1.3).
 *
 * @module
 */
import { verifySigV4, type SigningKeyCache, type SigV4Result } from '../../authn/sigv4/index.js'
import { combineCrossAccount, combineSameAccount, evaluatePolicies } from '../../policy/index.js'
import type { EvaluationResult } from '../../policy/types.js'
import type { CompiledApi, CompiledPrincipal, Snapshot } from '../../compile/snapshot.js'
import type { RequestContext } from '../../request/request-context.js'
import { allowOutcome } from '../allow-response.js'
import { withPrincipalKeys } from '../condition-context.js'
import { denyPrincipal, denySignature, type DenyContext } from '../deny-response.js'
import { explained } from '../explained.js'
import type { DenyOutcome } from '../check-outcome.js'
import type { Flow, VerifiedPrincipal } from '../flow.js'

const NEITHER: EvaluationResult = { decision: 'Neither', statements: [] }

/** Verifies the request's signature for `api`; a failure is AWS's SigV4 answer. */
export function verifyCaller(
  req: RequestContext,
  api: CompiledApi,
  snapshot: Snapshot,
  signingKeys: SigningKeyCache,
  deny: DenyContext,
): { ok: true; verified: VerifiedPrincipal } | { ok: false; outcome: DenyOutcome } {
  const result: SigV4Result<CompiledPrincipal> = verifySigV4(req, {
    region: api.region,
    service: 'execute-api',
    lookupKey: (id) => snapshot.accessKeys.get(id),
    signingKeys,
  })
  if (!result.ok) {
    return {
      ok: false,
      outcome: denySignature(
        result.httpStatus,
        result.errorType,
        result.message,
        result.code,
        deny,
      ),
    }
  }
  const p = result.principal
  return {
    ok: true,
    verified: { policyPrincipal: { arn: p.arn, accountId: p.accountId }, principal: p },
  }
}

export function createIamFlow(signingKeys: SigningKeyCache): Flow {
  return (ctx) => {
    let verified = ctx.verifiedPrincipal
    if (verified === undefined) {
      const v = verifyCaller(ctx.req, ctx.api, ctx.snapshot, signingKeys, ctx.deny)
      if (!v.ok) return explained(ctx.explain, v.outcome, [`SigV4: ${v.outcome.code}`])
      verified = v.verified
    }
    const { principal, policyPrincipal } = verified
    const request = {
      action: 'execute-api:Invoke',
      resource: ctx.methodArn,
      principal: policyPrincipal,
      context: withPrincipalKeys(ctx.conditions, principal.conditionKeys),
    }
    const identity = evaluatePolicies(principal.policies, request)
    const resource = ctx.api.resourcePolicy?.evaluate(request, 'resource-policy') ?? NEITHER
    const sameAccount = principal.accountId === ctx.api.accountId
    const combined = sameAccount
      ? combineSameAccount(identity.decision, resource.decision)
      : combineCrossAccount(identity.decision, resource.decision)
    const notes = (): string[] => [
      `SigV4 verified: ${principal.arn}`,
      `identity policies: ${identity.decision}; resource policy: ${ctx.api.resourcePolicy ? resource.decision : 'none'}`,
      `${sameAccount ? 'same account (Table A)' : 'cross account (Table B)'} → ${combined}`,
    ]
    const statements = [...identity.statements, ...resource.statements]
    if (combined === 'Allow') {
      return explained(
        ctx.explain,
        allowOutcome(ctx.req, { principal: principal.arn, context: {} }, 'ALLOW_IAM', ctx.api.ref),
        notes,
        statements,
      )
    }
    const explicit = combined === 'ExplicitDeny'
    return explained(
      ctx.explain,
      denyPrincipal(
        principal.arn,
        ctx.methodArn,
        explicit,
        explicit ? 'ERR_IAM_EXPLICIT_DENY' : 'ERR_IAM_IMPLICIT_DENY',
        ctx.deny,
      ),
      notes,
      statements,
    )
  }
}
