/**
 * The decider: one Checker over the current Snapshot. Common phases run here (API, path, route,
 * methodArn, source attribution, private-API gate); the route's authorization flow does the rest.
 * Anything unexpected becomes a logged 500 deny: never an allow, never a crash.
 *
 * @module
 */
import type { CheckOutcome, Checker, DenyOutcome, Explanation } from './check-outcome.js'
import {
  newCandidateTrail,
  type CandidateTrail,
  type Flow,
  type FlowContext,
  type VerifiedPrincipal,
} from './flow.js'
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
import { explained } from './explained.js'
import { resolveApi } from './resolve-api.js'
import { detectSigV4 } from '../authn/sigv4/detect-sigv4.js'
import { noneFlow } from './flows/none-flow.js'
import { PrincipalConditions } from './flows/principal-conditions.js'
import { combineEndpointGate } from '../policy/index.js'
import { applyApiKeyStep, type ApiKeyStepOptions } from './api-key-step.js'
import { LocalUsageCounter } from '../usage/local-counter.js'
import { DecisionTrace, type DecidedAnswer } from './decision-trace.js'
import { applyDryRun, answerOf } from './dry-run.js'
import { CANDIDATE_UNDECIDED } from './candidate.js'

/** API Gateway refuses methodArns longer than this with 414 (API Gateway quotas). */
const MAX_METHOD_ARN_BYTES = 1600
/** A request from no identified peer, on a public API: attributed to nobody. */
const NO_SOURCE: SourceAttribution = Object.freeze({
  principal: undefined,
  namespace: undefined,
  serviceAccount: undefined,
  endpointName: undefined,
})
const NO_STATEMENTS: Explanation['statements'] = Object.freeze([])

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
  /** Counting for usage plans. Default: in-process counters of this Decider. */
  readonly usage?: Partial<ApiKeyStepOptions>
  /** Decision logging and candidate comparisons; without it APIs' decision logs stay off. */
  readonly rollout?: RolloutHooks
}

/** Where the decider reports what a rollout needs (`serve --decision-log`, metrics). */
export interface RolloutHooks {
  /** True when a decision log is written: APIs' `decisionLog` settings apply. */
  readonly logging: boolean
  /** A trace is complete (answered, and its candidate decided if any): log it if it should be. */
  settle(trace: DecisionTrace): void
  /** The candidate decision differed from the live one. */
  disagreement(api: string, live: 'allow' | 'deny', candidate: 'allow' | 'deny'): void
  /**
   * One request of `api` that met a candidate: compared (`agree`, `disagree`), or not compared
   * (`skipped`: the live decision failed, the candidate could not be decided without a call,
   * or too many were waiting).
   */
  candidateCheck(api: string, result: CandidateCheckResult): void
}

export type CandidateCheckResult = 'agree' | 'disagree' | 'skipped'

/** Per-request state of an API under rollout (dry-run, decision log, candidate). */
interface RolloutRun {
  dryRun: boolean
  readonly trace: DecisionTrace | undefined
  readonly trail: CandidateTrail | undefined
}

/** A candidate decision: of an answered request (`repeat`), or asked for by `check --candidate`. */
interface CandidateMode {
  /** Nothing may be called or counted again: the request was answered already. */
  readonly repeat: boolean
  readonly trail: CandidateTrail
}

/** What `portcullis check --candidate` reports: the candidate answer and the candidates it used. */
export interface CandidateCheck {
  readonly outcome: CheckOutcome
  /** `candidatePolicy`, `principal:<namespace/name>`, `authorizer:<namespace/name>`. */
  readonly sources: readonly string[]
}

/** The API's own candidate (its `candidatePolicy`) in the list of candidates a decision used. */
const API_CANDIDATE = 'candidatePolicy'

/** Candidate decisions waiting or in flight, at most: beyond it requests are not compared. */
const MAX_CANDIDATES_PENDING = 1024

export class Decider implements Checker {
  readonly #snapshot: () => Snapshot | undefined
  readonly #flows: Partial<Record<AuthorizationType, Flow>>
  readonly #gateIdentity: PrivateGateIdentity | undefined
  readonly #logger: DeciderLogger | undefined
  readonly #explain: boolean
  readonly #trustDomains: TrustDomains
  readonly #usage: ApiKeyStepOptions
  readonly #rollout: RolloutHooks | undefined
  #candidatesPending = 0

  constructor(opts: DeciderOptions) {
    this.#snapshot = opts.snapshot
    this.#flows = { NONE: noneFlow, ...opts.flows }
    this.#gateIdentity = opts.privateGateIdentity
    this.#logger = opts.logger
    this.#explain = opts.explain ?? false
    this.#trustDomains = opts.trustDomains ?? DEFAULT_TRUST_DOMAINS
    this.#usage = {
      counter: opts.usage?.counter ?? new LocalUsageCounter(),
      now: opts.usage?.now ?? ((): number => Date.now()),
      ...(opts.usage?.observe ? { observe: opts.usage.observe } : {}),
    }
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
        (rollout.anyDryRun ||
          rollout.candidate !== undefined ||
          rollout.identityCandidates ||
          this.#rollout?.logging === true)
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
   * `portcullis check --candidate`: the answer with every candidate that applies to the request
   * (the API's candidatePolicy, the caller's Principal candidates, the route's Authorizer
   * candidate), or undefined when none does.
   */
  async checkCandidate(req: RequestContext): Promise<CandidateCheck | undefined> {
    const snapshot = this.#snapshot()
    const api = snapshot === undefined ? undefined : resolveApi(snapshot, req)
    const rollout = api?.rollout
    if (snapshot === undefined || api === undefined || rollout === undefined) return undefined
    if (rollout.candidate === undefined && !rollout.identityCandidates) return undefined
    const trail = newCandidateTrail()
    // Not a repeat of a served request: authorizers may be called, as for the live answer.
    const outcome = await this.#decide(
      snapshot,
      req,
      { decision_id: req.requestId },
      rollout.candidate ?? api,
      undefined,
      { repeat: false, trail },
    )
    const sources = candidateSources(rollout, trail)
    return sources.length === 0 ? undefined : { outcome, sources }
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
      hooks?.logging === true &&
      (sampled || rollout.candidate !== undefined || rollout.identityCandidates)
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
    // Any candidate: the repeat reuses the identity the live decision established.
    const trail =
      rollout.identityCandidates || rollout.candidate !== undefined
        ? newCandidateTrail()
        : undefined
    const run: RolloutRun = { dryRun: rollout.enforcement === 'DryRun', trace, trail }
    const finish = (decided: CheckOutcome): CheckOutcome => {
      const answer = answerOf(decided)
      let outcome: CheckOutcome = run.dryRun ? applyDryRun(req, decided, answer) : decided
      if (trace !== undefined) {
        trace.answer = answer
        if (outcome !== decided) trace.enforcement = 'dry_run'
        outcome = { ...outcome, trace }
      }
      const sources = candidateSources(rollout, trail)
      if (sources.length > 0) {
        this.#scheduleCandidate(
          snapshot,
          req,
          rollout.candidate ?? api,
          answer,
          trace,
          trail ?? newCandidateTrail(),
          sources,
        )
      }
      return outcome
    }
    // A live decision that fails leaves its candidate uncompared: counted, so that "no
    // disagreement" is never read into requests that were not compared.
    const unanswered = (err: unknown): CheckOutcome => {
      if (candidateSources(rollout, trail).length > 0) hooks?.candidateCheck(api.ref, 'skipped')
      return this.#failed(err, req, meta)
    }
    let decided: CheckOutcome | Promise<CheckOutcome>
    try {
      decided = this.#decide(snapshot, req, meta, api, run)
    } catch (err) {
      return unanswered(err)
    }
    return decided instanceof Promise ? decided.then(finish, unanswered) : finish(decided)
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
    trail: CandidateTrail,
    sources: readonly string[],
  ): void {
    const hooks = this.#rollout
    if (hooks === undefined) return
    if (this.#candidatesPending >= MAX_CANDIDATES_PENDING) {
      hooks.candidateCheck(candidate.ref, 'skipped')
      return
    }
    this.#candidatesPending++
    if (trace !== undefined) trace.pending++
    // `o` undefined: the candidate decision failed; it is not a deny to compare.
    const compare = (o: CheckOutcome | undefined): void => {
      this.#candidatesPending--
      if (o === undefined || o.code === CANDIDATE_UNDECIDED) {
        hooks.candidateCheck(candidate.ref, 'skipped')
      } else {
        const answer = answerOf(o)
        if (answer.decision !== live.decision) {
          hooks.disagreement(candidate.ref, live.decision, answer.decision)
          hooks.candidateCheck(candidate.ref, 'disagree')
          if (trace !== undefined) trace.candidate = { ...answer, sources }
        } else {
          hooks.candidateCheck(candidate.ref, 'agree')
        }
      }
      if (trace !== undefined) hooks.settle(trace)
    }
    const failed = (err: unknown): void => {
      this.#logger?.error(
        { err, decision_id: req.requestId },
        'candidate decision failed; not compared',
      )
      compare(undefined)
    }
    setImmediate(() => {
      let o: CheckOutcome | Promise<CheckOutcome>
      try {
        o = this.#decide(snapshot, req, { decision_id: req.requestId }, candidate, undefined, {
          repeat: true,
          trail,
        })
      } catch (err) {
        failed(err)
        return
      }
      if (o instanceof Promise) o.then(compare, failed)
      else compare(o)
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
    mode?: CandidateMode,
  ): CheckOutcome | Promise<CheckOutcome> {
    const candidate = mode?.repeat ?? false
    const notes: string[] = []
    const explaining = this.#explain
    // Notes are written only when explaining, each behind an `if` rather than a closure: on the
    // hot path a closure per note is an allocation per check for nothing.
    const trace = run?.trace
    if (api === undefined) {
      return explained(
        explaining,
        denyFixed('no_api', 'ERR_NO_API', { api: undefined, metadata: meta }),
        [`no API for host '${req.host}' or context extension`],
      )
    }
    const deny: DenyContext = { api: api.ref, metadata: meta }
    if (explaining) notes.push(`api ${api.ref} (${api.endpointType})`)

    const path = normalizePath(req.path)
    if (!path.ok) {
      return explained(explaining, denyFixed('bad_path', 'ERR_BAD_PATH', deny), [
        ...notes,
        `path rejected: ${path.reason}`,
      ])
    }
    const match = api.routes.match(req.method, path.segments)
    if (match === undefined) {
      return explained(explaining, denyFixed('no_route', 'ERR_NO_ROUTE', deny), [
        ...notes,
        `no route for ${req.method} ${path.decodedPath}`,
      ])
    }
    const route = match.route
    if (explaining) {
      notes.push(`route ${req.method} ${match.resourcePath} (${route.authorizationType})`)
    }
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
      return explained(explaining, denyFixed('uri_too_long', 'ERR_ARN_TOO_LONG', deny), [
        ...notes,
        'methodArn over 1600 bytes',
      ])
    }
    if (explaining) notes.push(`methodArn ${methodArn}`)

    const peer = identifyPeer(req.sourcePrincipal, this.#trustDomains)
    if (explaining && peer !== undefined && peer.principal === undefined) {
      notes.push(
        'source principal identifies nobody (not a SPIFFE id of a configured trust domain)',
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
      source =
        peer === undefined
          ? NO_SOURCE
          : {
              principal: peer.principal,
              namespace: peer.namespace,
              serviceAccount: peer.serviceAccount,
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
        return explained(
          explaining,
          denyPrincipal(undefined, methodArn, false, 'ERR_PRIVATE_NO_ENDPOINT', deny),
          [...notes, 'private API: request did not come through any of its PrivateEndpoints'],
        )
      }
      if (explaining) notes.push(`private endpoint ${endpoint.ref}`)
      if (trace !== undefined) trace.endpoint = endpoint.ref
      // A private API without a resource policy denies everything, as on AWS.
      if (api.resourcePolicy === undefined) {
        return explained(
          explaining,
          denyPrincipal(undefined, methodArn, false, 'ERR_PRIVATE_NO_RESOURCE_POLICY', deny),
          [...notes, 'private API has no resource policy'],
        )
      }
      const identity = this.#gateIdentity
        ? this.#gateIdentity(req, api, snapshot, deny)
        : anonymousUnlessSigned(req, deny)
      if (identity.kind === 'deny')
        return explained(
          explaining,
          identity.outcome,
          [...notes, 'endpoint gate: signature rejected'],
          [],
          'before',
        )
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
      if (explaining) notes.push(`endpoint policy: ${gate.decision}`)
      trace?.addStatements(gate.statements)
      if (combineEndpointGate(gate.decision) !== 'Allow') {
        const explicit = gate.decision === 'Deny'
        return explained(
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
      return explained(
        explaining,
        denyFixed('authorizer_error', 'ERR_AUTH_TYPE_UNAVAILABLE', deny),
        [...notes, `authorization type ${route.authorizationType} is not available`],
      )
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
      withCandidates: mode !== undefined,
      trail: run?.trail ?? mode?.trail,
    }
    const finish = (flowOutcome: CheckOutcome): CheckOutcome => {
      const outcome = explained(explaining, flowOutcome, notes, NO_STATEMENTS, 'before')
      if (!outcome.allowed || !route.apiKeyRequired) return outcome
      // AWS checks the API key after authorization (the AUTHORIZER source needs its answer).
      const keyNotes: string[] | undefined = explaining ? [] : undefined
      // A candidate run repeats a request already answered: it must not count it a second time.
      const after = applyApiKeyStep(
        outcome,
        {
          req,
          snapshot,
          api,
          match,
          deny,
          note: keyNotes && ((make) => keyNotes.push(make())),
          count: !candidate,
        },
        this.#usage,
      )
      if (keyNotes === undefined) return after
      return {
        ...after,
        explain: {
          notes: [...(outcome.explain?.notes ?? []), ...keyNotes],
          statements: outcome.explain?.statements ?? [],
        },
      }
    }
    const outcome = flow(ctx)
    return outcome instanceof Promise ? outcome.then(finish) : finish(outcome)
  }
}

/** The candidates a decision met: the API's candidatePolicy, then the Principal's / Authorizer's. */
function candidateSources(
  rollout: NonNullable<CompiledApi['rollout']>,
  trail: CandidateTrail | undefined,
): readonly string[] {
  const met = trail?.sources ?? []
  return rollout.candidate === undefined ? met : [API_CANDIDATE, ...met]
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
