/**
 * The contract between the decider and one authorization flow (one per `authorizationType`).
 * The decider does everything common (API, route, path, source, private-API gate) and hands a
 * FlowContext to the route's flow, which authenticates and combines policies by AWS's rules.
 *
 * @module
 */
import type { CheckOutcome } from './check-outcome.js'
import type { DenyContext } from './deny-response.js'
import type { RequestContext } from '../request/request-context.js'
import type { CompiledApi, CompiledRoute, Snapshot } from '../compile/snapshot.js'
import type { RouteMatch } from '../compile/route-table.js'
import type { ConditionValue, PolicyPrincipal } from '../policy/types.js'
import type { DecisionTrace } from './decision-trace.js'
import type { JwtResult } from '../authn/jwt/index.js'

export interface FlowContext {
  readonly req: RequestContext
  readonly snapshot: Snapshot
  readonly api: CompiledApi
  readonly route: CompiledRoute
  readonly match: RouteMatch<CompiledRoute>
  readonly methodArn: string
  /** Condition keys from the request (no principal keys). */
  readonly conditions: ReadonlyMap<string, ConditionValue>
  readonly deny: DenyContext
  /**
   * For private APIs: the SigV4 identity already verified for the endpoint-policy gate, so the
   * AWS_IAM flow does not verify twice. Undefined when not computed.
   */
  readonly verifiedPrincipal: VerifiedPrincipal | undefined
  /** Build explanations (`portcullis check`, debug); false on the hot path. */
  readonly explain: boolean
  /** The decision-log record to fill in (identity, statements, cache hit), when logged. */
  readonly trace: DecisionTrace | undefined
  /**
   * Deciding again with a candidate policy, after the answer was sent: nothing may be called
   * (authorizers), only what is already known (cached) may be used.
   */
  readonly candidate: boolean
  /**
   * Decide with the Principal's and the Authorizer's candidates in place of their live rules
   * (a candidate decision, repeated or asked for by `portcullis check --candidate`).
   */
  readonly withCandidates: boolean
  /** Where the live decision notes what its candidate decision needs; undefined when unused. */
  readonly trail: CandidateTrail | undefined
}

/**
 * What the live decision of a request notes for its candidate decision: the Principal and
 * Authorizer candidates it met, and the identity it established, so that the candidate decision
 * reuses it instead of verifying (and counting) the same signature or token again.
 */
export interface CandidateTrail {
  /** The candidates met: `principal:<namespace/name>`, `authorizer:<namespace/name>`. */
  readonly sources: string[]
  /** The SigV4 caller, once verified. */
  verified: VerifiedPrincipal | undefined
  /** The token verification's answer. */
  token: JwtResult | undefined
}

export function newCandidateTrail(): CandidateTrail {
  return { sources: [], verified: undefined, token: undefined }
}

export interface VerifiedPrincipal {
  readonly policyPrincipal: PolicyPrincipal
  readonly principal: import('../compile/snapshot.js').CompiledPrincipal
}

export type Flow = (ctx: FlowContext) => CheckOutcome | Promise<CheckOutcome>
