/**
 * `authorizationType: AWS_IAM`: verify the SigV4 signature against the access keys of Principal
 * objects, then combine the principal's identity policies with the API's resource policy —
 * Table A when the caller's account owns the API, Table B across accounts
 * (docs/aws-semantics.md#authorization-flow).
 * Synchronous: nothing here waits for I/O.
 *
 * @module
 */
import {
  verifySigV4,
  type AccessKeyRecord,
  type SigningKeyCache,
  type SigV4VerifyOptions,
} from '../../authn/sigv4/index.js'
import { combineCrossAccount, combineSameAccount, evaluatePolicies } from '../../policy/index.js'
import type { EvaluationResult, PolicyRequest } from '../../policy/types.js'
import type { CompiledApi, CompiledPrincipal, Snapshot } from '../../compile/snapshot.js'
import type { RequestContext } from '../../request/request-context.js'
import { allowOutcome, NO_CONTEXT } from '../allow-response.js'
import { denyPrincipal, denySignature, type DenyContext } from '../deny-response.js'
import { explained } from '../explained.js'
import type { CheckOutcome, DenyOutcome } from '../check-outcome.js'
import type { Flow, FlowContext, VerifiedPrincipal } from '../flow.js'
import { principalConditions } from './principal-conditions.js'
import type { SessionCredentials } from '../../sts/session-credentials.js'

const NEITHER: EvaluationResult = { decision: 'Neither', statements: [] }
const ACTION = 'execute-api:Invoke'

export type VerifyCallerResult =
  | { readonly ok: true; readonly verified: VerifiedPrincipal }
  | { readonly ok: false; readonly outcome: DenyOutcome }

/**
 * Verifies callers' SigV4 signatures against a snapshot's access keys. The verifier options (and
 * the key-lookup function in them) are built once per snapshot and region, not per request.
 */
export class CallerVerifier {
  readonly #signingKeys: SigningKeyCache
  readonly #sessions: SessionCredentials | undefined
  #snapshot: Snapshot | undefined
  #options: SigV4VerifyOptions<CompiledPrincipal> | undefined

  /** `sessions`: temporary credentials; without it every session token is refused. */
  constructor(signingKeys: SigningKeyCache, sessions?: SessionCredentials) {
    this.#signingKeys = signingKeys
    this.#sessions = sessions
  }

  /** Verifies the request's signature for `api`; a failure is AWS's SigV4 answer. */
  verify(
    req: RequestContext,
    api: CompiledApi,
    snapshot: Snapshot,
    deny: DenyContext,
  ): VerifyCallerResult {
    let options = this.#options
    if (options === undefined || this.#snapshot !== snapshot || options.region !== api.region) {
      options = this.#optionsFor(snapshot, api.region)
    }
    const result = verifySigV4(req, options)
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
    // A CompiledPrincipal carries `arn` and `accountId`: it is the PolicyPrincipal itself.
    return { ok: true, verified: { policyPrincipal: p, principal: p } }
  }

  #optionsFor(snapshot: Snapshot, region: string): SigV4VerifyOptions<CompiledPrincipal> {
    const keys: ReadonlyMap<string, AccessKeyRecord<CompiledPrincipal>> = snapshot.accessKeys
    const sessions = this.#sessions
    const directory = snapshot.sts
    const options: SigV4VerifyOptions<CompiledPrincipal> = {
      region,
      service: 'execute-api',
      lookupKey: (id) => keys.get(id),
      signingKeys: this.#signingKeys,
      ...(sessions === undefined
        ? {}
        : {
            resolveSession: (token: string, id: string, nowMs: number) =>
              sessions.resolve(token, id, nowMs, directory),
          }),
    }
    this.#snapshot = snapshot
    this.#options = options
    return options
  }
}

export function createIamFlow(signingKeys: SigningKeyCache, sessions?: SessionCredentials): Flow {
  const verifier = new CallerVerifier(signingKeys, sessions)
  return (ctx) => iamCheck(ctx, verifier)
}

/**
 * A session policy narrows the role's identity policies (IAM: the effective permissions are the
 * intersection): its Deny wins, and an Allow stands only when the session policy allows it too.
 */
function withSessionPolicy(
  identity: EvaluationResult,
  session: CompiledPrincipal['sessionPolicy'],
  request: PolicyRequest,
): EvaluationResult {
  if (session === undefined) return identity
  const narrowed = session.policy.evaluate(request, session.label)
  if (narrowed.decision === 'Deny') return narrowed
  if (identity.decision !== 'Allow') return identity
  return narrowed.decision === 'Allow'
    ? { decision: 'Allow', statements: [...identity.statements, ...narrowed.statements] }
    : NEITHER
}

function iamCheck(ctx: FlowContext, verifier: CallerVerifier): CheckOutcome {
  const trail = ctx.trail
  // A repeat decides the same signed request: the caller the live decision verified is reused.
  let verified = ctx.verifiedPrincipal ?? (ctx.candidate ? trail?.verified : undefined)
  if (verified === undefined) {
    const v = verifier.verify(ctx.req, ctx.api, ctx.snapshot, ctx.deny)
    if (!v.ok) {
      return ctx.explain ? explained(true, v.outcome, [`SigV4: ${v.outcome.code}`]) : v.outcome
    }
    verified = v.verified
  }
  const { principal, policyPrincipal } = verified
  const candidatePolicies = principal.candidatePolicies
  if (trail !== undefined && !ctx.candidate) {
    trail.verified = verified
    if (candidatePolicies !== undefined) trail.sources.push(`principal:${principal.ref}`)
  }
  const policies =
    ctx.withCandidates && candidatePolicies !== undefined ? candidatePolicies : principal.policies
  const api = ctx.api
  const trace = ctx.trace
  const request: PolicyRequest = {
    action: ACTION,
    resource: ctx.methodArn,
    principal: policyPrincipal,
    context: principalConditions(ctx.conditions, principal.conditionKeys),
  }
  const identity = withSessionPolicy(
    evaluatePolicies(policies, request),
    principal.sessionPolicy,
    request,
  )
  const resource = api.resourcePolicy?.evaluate(request, 'resource-policy') ?? NEITHER
  const sameAccount = principal.accountId === api.accountId
  const combined = sameAccount
    ? combineSameAccount(identity.decision, resource.decision)
    : combineCrossAccount(identity.decision, resource.decision)
  if (trace !== undefined) {
    trace.principal = principal.arn
    trace.addStatements(identity.statements)
    trace.addStatements(resource.statements)
  }
  let outcome: CheckOutcome
  if (combined === 'Allow') {
    outcome = allowOutcome(
      ctx.req,
      { principal: principal.arn, context: NO_CONTEXT },
      'ALLOW_IAM',
      api.ref,
    )
  } else {
    const explicit = combined === 'ExplicitDeny'
    outcome = denyPrincipal(
      principal.arn,
      ctx.methodArn,
      explicit,
      explicit ? 'ERR_IAM_EXPLICIT_DENY' : 'ERR_IAM_IMPLICIT_DENY',
      ctx.deny,
    )
  }
  // Explanations only when asked (`portcullis check`): on the hot path they would cost more than
  // the policy evaluation.
  if (!ctx.explain) return outcome
  return explained(
    true,
    outcome,
    [
      `SigV4 verified: ${principal.arn}`,
      `${policies === candidatePolicies ? 'candidate identity policies' : 'identity policies'}: ${identity.decision}; resource policy: ${api.resourcePolicy ? resource.decision : 'none'}`,
      `${sameAccount ? 'same account (Table A)' : 'cross account (Table B)'} → ${combined}`,
    ],
    [...identity.statements, ...resource.statements],
  )
}
