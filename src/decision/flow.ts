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
}

export interface VerifiedPrincipal {
  readonly policyPrincipal: PolicyPrincipal
  readonly principal: import('../compile/snapshot.js').CompiledPrincipal
}

export type Flow = (ctx: FlowContext) => CheckOutcome | Promise<CheckOutcome>
