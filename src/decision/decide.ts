/**
 * The decider: one Checker over the current Snapshot. Common phases run here (API, path, route,
 * methodArn, source attribution, private-API gate); the route's authorization flow does the rest.
 * Anything unexpected becomes a logged 500 deny: never an allow, never a crash.
 *
 * @module
 */
import type { CheckOutcome, Checker, DenyOutcome, Explanation } from './check-outcome.js'
import type { Flow, FlowContext, VerifiedPrincipal } from './flow.js'
import type { AuthorizationType, CompiledApi, Snapshot } from '../compile/snapshot.js'
import type { RequestContext } from '../request/request-context.js'
import type { ConditionValue } from '../policy/types.js'
import { normalizePath } from '../request/normalize-path.js'
import {
  parseIp,
  resolveSourceIdentity,
  sourceMatches,
} from '../compile/private-endpoint-sources.js'
import { DEFAULT_TRUST_DOMAINS, identifyPeer, type TrustDomains } from '../compile/peer-identity.js'
import { buildConditionContext, type SourceAttribution } from './condition-context.js'
import { denyFixed, denyPrincipal, type DenyContext } from './deny-response.js'
import { resolveApi } from './resolve-api.js'
import { detectSigV4 } from '../authn/sigv4/detect-sigv4.js'
import { noneFlow } from './flows/none-flow.js'
import { PrincipalConditions } from './flows/principal-conditions.js'
import { combineEndpointGate } from '../policy/index.js'
import { DecisionTrace, type DecidedAnswer } from './decision-trace.js'
import { applyDryRun, answerOf } from './dry-run.js'
import { CANDIDATE_UNDECIDED } from './candidate.js'

/** API Gateway refuses methodArns longer than this with 414 (API Gateway quotas). */
const MAX_METHOD_ARN_BYTES = 1600

export interface DeciderLogger {
  error(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

/**
 * Private-API gate needs the SigV4 identity before the method's own flow (docs/private-apis.md).
 * The AWS_IAM module provides this; until it is registered, any SigV4-looking request to a private
 * API is denied (fail closed).
 */
export type PrivateGateIdentity = (
  req: RequestContext,
  api: CompiledApi,
  snapshot: Snapshot,
  deny: DenyContext,
) =>
  | { kind: 'anonymous' }
  | { kind: 'principal'; verified: VerifiedPrincipal }
  | { kind: 'deny'; outcome: DenyOutcome }

export interface DeciderOptions {
  readonly snapshot: () => Snapshot | undefined
  readonly flows?: Partial<Record<AuthorizationType, Flow>>
  readonly privateGateIdentity?: PrivateGateIdentity
  readonly logger?: DeciderLogger
  /** Attach explanations (notes, deciding statements) to outcomes: `portcullis check`, debugging. */
  readonly explain?: boolean
  /** SPIFFE trust domains whose ids name a namespace / service account. Default `cluster.local`. */
  readonly trustDomains?: TrustDomains
  /** Decision logging and candidate comparisons; without it APIs' decision logs stay off. */
  readonly rollout?: RolloutHooks
}

/** Where the decider reports what a rollout needs (`serve --decision-log`, metrics). */
export interface RolloutHooks {
  /** True when a decision log is written: APIs' `decisionLog` settings apply. */
  readonly logging: boolean
  /** A trace is complete (answered, and its candidate decided if any): log it if it should be. */
  settle(trace: DecisionTrace): void
  /** The candidate policy decided otherwise than the live configuration. */
  disagreement(api: string, live: 'allow' | 'deny', candidate: 'allow' | 'deny'): void
}

/** Per-request state of an API under rollout (dry-run, decision log, candidate). */
interface RolloutRun {
  dryRun: boolean
  readonly trace: DecisionTrace | undefined
}

/** Candidate decisions waiting or in flight, at most: beyond it requests are not compared. */
const MAX_CANDIDATES_PENDING = 1024

export class Decider implements Checker {
  readonly #snapshot: () => Snapshot | undefined
  readonly #flows: Partial<Record<AuthorizationType, Flow>>
  readonly #gateIdentity: PrivateGateIdentity | undefined
  readonly #logger: DeciderLogger | undefined
  readonly #explain: boolean
  readonly #trustDomains: TrustDomains
  readonly #rollout: RolloutHooks | undefined
  #candidatesPending = 0

  constructor(opts: DeciderOptions) {
    this.#snapshot = opts.snapshot
    this.#flows = { NONE: noneFlow, ...opts.flows }
    this.#gateIdentity = opts.privateGateIdentity
    this.#logger = opts.logger
    this.#explain = opts.explain ?? false
    this.#trustDomains = opts.trustDomains ?? DEFAULT_TRUST_DOMAINS
    this.#rollout = opts.rollout
  }

  ready(): boolean {
    return this.#snapshot() !== undefined
  }

  /**
   * Synchronous whenever the route's flow is (cache hits, NONE, IAM): a Promise only when the flow
   * really waits (an authorizer call, a key fetch), so hot-path answers cost no microtask hops.
   */
  check(req: RequestContext): CheckOutcome | Promise<CheckOutcome> {
    const snapshot = this.#snapshot()
    const meta = { decision_id: req.requestId }
    if (snapshot === undefined) {
      return denyFixed('internal', 'ERR_NOT_READY', { api: undefined, metadata: meta })
    }
    try {
      const api = resolveApi(snapshot, req)
      const rollout = api?.rollout
      // An API whose only rollout feature is a decision log takes the plain path when no decision
      // log is written.
      if (
        api !== undefined &&
        rollout !== undefined &&
        (rollout.anyDryRun || rollout.candidate !== undefined || this.#rollout?.logging === true)
      ) {
        return this.#decideRollout(snapshot, req, meta, api, rollout)
      }
      const outcome = this.#decide(snapshot, req, meta, api, undefined)
      return outcome instanceof Promise
        ? outcome.catch((err: unknown) => this.#failed(err, req, meta))
        : outcome
    } catch (err) {
      return this.#failed(err, req, meta)
    }
  }

  /**
   * `portcullis check --candidate`: the answer the API's candidate policy would give, or
   * undefined when the API has none.
   */
  checkCandidate(req: RequestContext): CheckOutcome | Promise<CheckOutcome> | undefined {
    const snapshot = this.#snapshot()
    const candidate =
      snapshot === undefined ? undefined : resolveApi(snapshot, req)?.rollout?.candidate
    if (snapshot === undefined || candidate === undefined) return undefined
    // Not a repeat of a served request: authorizers may be called, as for the live answer.
    return this.#decide(snapshot, req, { decision_id: req.requestId }, candidate, undefined)
  }

  /** An API with a dry-run, a decision log or a candidate policy. */
  #decideRollout(
    snapshot: Snapshot,
    req: RequestContext,
    meta: Record<string, string>,
    api: CompiledApi,
    rollout: NonNullable<CompiledApi['rollout']>,
  ): CheckOutcome | Promise<CheckOutcome> {
    const hooks = this.#rollout
    const log = rollout.decisionLog
    const sampled = log !== undefined && (log.sample >= 1 || Math.random() < log.sample)
    const trace =
      hooks?.logging === true && (sampled || rollout.candidate !== undefined)
        ? new DecisionTrace(
            req.requestId,
            req.timeMs,
            api.ref,
            api.stage,
            req.method,
            req.path,
            req.sourceIp,
            sampled,
            sampled && !(log?.denyOnly ?? false),
          )
        : undefined
    const run: RolloutRun = { dryRun: rollout.enforcement === 'DryRun', trace }
    const finish = (decided: CheckOutcome): CheckOutcome => {
      const answer = answerOf(decided)
      let outcome: CheckOutcome = run.dryRun ? applyDryRun(req, decided, answer) : decided
      if (trace !== undefined) {
        trace.answer = answer
        if (outcome !== decided) trace.enforcement = 'dry_run'
        outcome = { ...outcome, trace }
      }
      if (rollout.candidate !== undefined) {
        this.#scheduleCandidate(snapshot, req, rollout.candidate, answer, trace)
      }
      return outcome
    }
    const decided = this.#decide(snapshot, req, meta, api, run)
    return decided instanceof Promise
      ? decided.then(finish, (err: unknown) => this.#failed(err, req, meta))
      : finish(decided)
  }

  /**
   * Decides the request again with the candidate policy, in a later turn of the event loop (the
   * answer is on its way by then), and reports a disagreement. Bounded: past
   * MAX_CANDIDATES_PENDING, requests are not compared.
   */
  #scheduleCandidate(
    snapshot: Snapshot,
    req: RequestContext,
    candidate: CompiledApi,
    live: DecidedAnswer,
    trace: DecisionTrace | undefined,
  ): void {
    const hooks = this.#rollout
    if (hooks === undefined || this.#candidatesPending >= MAX_CANDIDATES_PENDING) return
    this.#candidatesPending++
    if (trace !== undefined) trace.pending++
    const compare = (o: CheckOutcome): void => {
      this.#candidatesPending--
      if (o.code !== CANDIDATE_UNDECIDED) {
        const answer = answerOf(o)
        if (answer.decision !== live.decision) {
          hooks.disagreement(candidate.ref, live.decision, answer.decision)
          if (trace !== undefined) trace.candidate = answer
        }
      }
      if (trace !== undefined) hooks.settle(trace)
    }
    setImmediate(() => {
      let o: CheckOutcome | Promise<CheckOutcome>
      try {
        o = this.#decide(snapshot, req, { decision_id: req.requestId }, candidate, undefined, true)
      } catch (err) {
        o = this.#failed(err, req, {})
      }
      if (o instanceof Promise) {
        o.then(compare, (err: unknown) => {
          compare(this.#failed(err, req, {}))
        })
      } else {
        compare(o)
      }
    })
  }
  /** Fail closed: a bug or an unexpected input must never become an allow. */
  #failed(err: unknown, req: RequestContext, meta: Record<string, string>): CheckOutcome {
    this.#logger?.error({ err, decision_id: req.requestId }, 'check failed unexpectedly; denying')
    return denyFixed('internal', 'ERR_INTERNAL', { api: undefined, metadata: meta })
  }

  #decide(
    snapshot: Snapshot,
    req: RequestContext,
    meta: Record<string, string>,
    api: CompiledApi | undefined,
    run: RolloutRun | undefined,
    candidate = false,
  ): CheckOutcome | Promise<CheckOutcome> {
    const notes: string[] = []
    const explaining = this.#explain
    const note = (make: () => string): void => {
      if (explaining) notes.push(make())
    }
    const trace = run?.trace
    if (api === undefined) {
      return explain(
        explaining,
        denyFixed('no_api', 'ERR_NO_API', { api: undefined, metadata: meta }),
        [`no API for host '${req.host}' or context extension`],
      )
    }
    const deny: DenyContext = { api: api.ref, metadata: meta }
    note(() => `api ${api.ref} (${api.endpointType})`)

    const path = normalizePath(req.path)
    if (!path.ok) {
      return explain(explaining, denyFixed('bad_path', 'ERR_BAD_PATH', deny), [
        ...notes,
        `path rejected: ${path.reason}`,
      ])
    }
    const match = api.routes.match(req.method, path.segments)
    if (match === undefined) {
      return explain(explaining, denyFixed('no_route', 'ERR_NO_ROUTE', deny), [
        ...notes,
        `no route for ${req.method} ${path.decodedPath}`,
      ])
    }
    const route = match.route
    note(() => `route ${req.method} ${match.resourcePath} (${route.authorizationType})`)
    if (run !== undefined) {
      if (route.enforcement !== undefined) run.dryRun = route.enforcement === 'DryRun'
      if (trace !== undefined) {
        trace.route = match.resourcePath
        trace.authorizationType = route.authorizationType
      }
    }

    // decodedPath is `/` + the segments joined by `/`: the methodArn's resource part as it is.
    const methodArn = `${api.arnPrefix}/${api.stage}/${req.method}${path.decodedPath}`
    if (Buffer.byteLength(methodArn) > MAX_METHOD_ARN_BYTES) {
      return explain(explaining, denyFixed('uri_too_long', 'ERR_ARN_TOO_LONG', deny), [
        ...notes,
        'methodArn over 1600 bytes',
      ])
    }
    note(() => `methodArn ${methodArn}`)

    const peer = identifyPeer(req.sourcePrincipal, this.#trustDomains)
    if (peer !== undefined && peer.principal === undefined) {
      note(
        () => 'source principal identifies nobody (not a SPIFFE id of a configured trust domain)',
      )
    }
    const isPrivate = api.endpointType === 'PRIVATE'
    let endpoint: CompiledApi['endpoints'][number] | undefined
    let source: SourceAttribution
    if (isPrivate) {
      // Kubernetes mode also looks the source IP up among pod IPs (snapshot.workloads), so the
      // source namespace and service account condition keys come from the pod without SPIFFE too.
      const who = resolveSourceIdentity(peer, parseIp(req.sourceIp), snapshot.workloads)
      endpoint = api.endpoints.find((e) => e.sources.some((s) => sourceMatches(s, who)))
      source = {
        principal: peer?.principal,
        namespace: who.namespace,
        serviceAccount: who.serviceAccount,
        endpointName: endpoint?.name,
      }
    } else {
      source = {
        principal: peer?.principal,
        namespace: peer?.namespace,
        serviceAccount: peer?.serviceAccount,
        endpointName: undefined,
      }
    }
    const conditions: ReadonlyMap<string, ConditionValue> = buildConditionContext(
      req,
      isPrivate,
      source,
    )

    let verifiedPrincipal: VerifiedPrincipal | undefined
    if (isPrivate) {
      // A private API is reachable only through one of its endpoints (docs/private-apis.md).
      if (endpoint === undefined) {
        return explain(
          explaining,
          denyPrincipal(undefined, methodArn, false, 'ERR_PRIVATE_NO_ENDPOINT', deny),
          [...notes, 'private API: request did not come through any of its PrivateEndpoints'],
        )
      }
      note(() => `private endpoint ${endpoint.ref}`)
      if (trace !== undefined) trace.endpoint = endpoint.ref
      // A private API without a resource policy denies everything, as on AWS.
      if (api.resourcePolicy === undefined) {
        return explain(
          explaining,
          denyPrincipal(undefined, methodArn, false, 'ERR_PRIVATE_NO_RESOURCE_POLICY', deny),
          [...notes, 'private API has no resource policy'],
        )
      }
      const identity = this.#gateIdentity
        ? this.#gateIdentity(req, api, snapshot, deny)
        : anonymousUnlessSigned(req, deny)
      if (identity.kind === 'deny')
        return explain(explaining, identity.outcome, [
          ...notes,
          'endpoint gate: signature rejected',
        ])
      if (identity.kind === 'principal') verifiedPrincipal = identity.verified
      if (trace !== undefined && identity.kind === 'principal') {
        trace.principal = identity.verified.principal.arn
      }
      const principal = identity.kind === 'principal' ? identity.verified.policyPrincipal : null
      const gateConditions =
        identity.kind === 'principal'
          ? new PrincipalConditions(conditions, identity.verified.principal.conditionKeys)
          : conditions
      const gate = endpoint.policy.evaluate(
        { action: 'execute-api:Invoke', resource: methodArn, principal, context: gateConditions },
        `endpoint-policy:${endpoint.name}`,
      )
      note(() => `endpoint policy: ${gate.decision}`)
      trace?.addStatements(gate.statements)
      if (combineEndpointGate(gate.decision) !== 'Allow') {
        const explicit = gate.decision === 'Deny'
        return explain(
          explaining,
          denyPrincipal(
            principal?.arn,
            methodArn,
            explicit,
            explicit ? 'ERR_ENDPOINT_EXPLICIT_DENY' : 'ERR_ENDPOINT_IMPLICIT_DENY',
            deny,
          ),
          notes,
          gate.statements,
        )
      }
    }

    const flow = this.#flows[route.authorizationType]
    if (flow === undefined) {
      // Auth types whose module is not registered fail closed with AWS's authorizer-error answer.
      return explain(explaining, denyFixed('authorizer_error', 'ERR_AUTH_TYPE_UNAVAILABLE', deny), [
        ...notes,
        `authorization type ${route.authorizationType} is not available`,
      ])
    }
    const ctx: FlowContext = {
      req,
      snapshot,
      api,
      route,
      match,
      methodArn,
      conditions,
      deny,
      verifiedPrincipal,
      explain: explaining,
      trace,
      candidate,
    }
    const finish = (flowOutcome: CheckOutcome): CheckOutcome => {
      let outcome = flowOutcome
      if (outcome.allowed && route.apiKeyRequired) {
        // No usage plans exist in this product yet: an API-key-protected method cannot be
        // verified, so it is denied as AWS denies an invalid key (403 Forbidden), not let through.
        outcome = denyFixed('forbidden', 'ERR_API_KEY_UNVERIFIABLE', deny)
        note(() => 'apiKeyRequired: no usage plans configured')
      }
      return explain(explaining, outcome, notes)
    }
    const outcome = flow(ctx)
    return outcome instanceof Promise ? outcome.then(finish) : finish(outcome)
  }
}

/** Without the IAM module, a signed request to a private API cannot be attributed: deny it. */
function anonymousUnlessSigned(
  req: RequestContext,
  deny: DenyContext,
): { kind: 'anonymous' } | { kind: 'deny'; outcome: DenyOutcome } {
  // The same reading as the IAM flow's: a SigV4 credential anywhere in the Authorization value
  // (also joined after another scheme) or in the query is a signed request.
  const presence = detectSigV4(req)
  if (presence !== 'none' && presence !== 'other-authorization') {
    return { kind: 'deny', outcome: denyFixed('internal', 'ERR_SIGV4_UNAVAILABLE', deny) }
  }
  return { kind: 'anonymous' }
}

/** Common-phase notes go first, then the flow's own notes and statements. */
function explain<T extends CheckOutcome>(
  enabled: boolean,
  outcome: T,
  notes: readonly string[],
  statements: Explanation['statements'] = [],
): T {
  if (!enabled) return outcome
  const prior = outcome.explain
  return {
    ...outcome,
    explain: {
      notes: prior ? [...notes, ...prior.notes] : notes,
      statements: prior ? [...statements, ...prior.statements] : statements,
    },
  }
}
