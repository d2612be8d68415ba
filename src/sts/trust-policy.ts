/**
 * Evaluates a role's trust policy for a web identity, as IAM does for
 * `sts:AssumeRoleWithWebIdentity`: the caller is `{"Federated": "<provider>"}`, and the condition
 * keys are the token's `<provider>:sub`, `<provider>:aud` (and `<provider>:amr` when the token
 * carries one, as Cognito's do), so EKS IRSA and Cognito trust policies work unchanged.
 *
 * @module
 */
import type { CompiledPolicy } from '../policy/index.js'
import type { ConditionValue, EvaluationResult, PolicyRequest } from '../policy/types.js'

export const ASSUME_ROLE_WITH_WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity'

export interface WebIdentity {
  /** Provider name (issuer without `https://`). */
  readonly provider: string
  readonly subject: string
  /** The audience that matched the provider's client id list. */
  readonly audience: string
  /** `amr` claim values, when the token has them. */
  readonly amr: readonly string[] | undefined
}

/** The condition context a trust policy sees (lower-cased key names, as the engine reads them). */
export function trustContext(
  identity: WebIdentity,
  sessionName: string,
  providerArn: string,
): ReadonlyMap<string, ConditionValue> {
  const p = identity.provider.toLowerCase()
  const m = new Map<string, ConditionValue>([
    [`${p}:sub`, identity.subject],
    [`${p}:aud`, identity.audience],
    // The IAM OIDC provider's ARN, as in the session's requests (AWS's format for OIDC providers).
    ['aws:federatedprovider', providerArn],
    ['sts:rolesessionname', sessionName],
  ])
  if (identity.amr !== undefined) m.set(`${p}:amr`, identity.amr)
  return m
}

/** The trust policy's decision; only `Allow` lets the role be assumed. */
export function evaluateTrust(
  trust: CompiledPolicy,
  role: { readonly arn: string; readonly accountId: string },
  identity: WebIdentity,
  sessionName: string,
): EvaluationResult {
  const providerArn = `arn:aws:iam::${role.accountId}:oidc-provider/${identity.provider}`
  const request: PolicyRequest = {
    action: ASSUME_ROLE_WITH_WEB_IDENTITY,
    resource: role.arn,
    principal: {
      arn: providerArn,
      accountId: role.accountId,
      federatedProvider: identity.provider,
    },
    context: trustContext(identity, sessionName, providerArn),
  }
  return trust.evaluate(request, 'trust-policy')
}
