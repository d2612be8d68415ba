/**
 * What a decision-log line says about one decision, gathered while deciding. The decider creates a
 * trace only for an API whose decision log is on (and the request sampled in); the flows fill in the
 * identity they established; the server adds the latency and hands it to the decision log.
 *
 * Only identifiers go in: principal ARNs, token `sub`, authorizer principalId, policy labels and
 * Sids. Never a header value, token, signature, key or query string.
 *
 * @module
 */
import type { StatementRef } from '../policy/types.js'

export type Enforcement = 'enforce' | 'dry_run'

/** A decided answer, as logs and `portcullis check --candidate` report it. */
export interface DecidedAnswer {
  readonly decision: 'allow' | 'deny'
  readonly status: number
  readonly code: string
}

/** A candidate decision that disagreed, and the candidates it was decided with. */
export interface CandidateAnswer extends DecidedAnswer {
  /** `candidatePolicy`, `principal:<namespace/name>`, `authorizer:<namespace/name>`. */
  readonly sources: readonly string[]
}

/** One line of the decision log (docs/decision-log.schema.json). */
export interface DecisionLine {
  readonly time: string
  readonly requestId: string
  readonly api: string
  readonly stage: string
  readonly route: string | null
  readonly method: string
  readonly path: string
  readonly sourceIp: string | null
  readonly endpoint: string | null
  readonly principal: string | null
  readonly sub: string | null
  readonly principalId: string | null
  readonly authorizationType: string | null
  readonly decision: 'allow' | 'deny'
  readonly code: string
  readonly status: number
  readonly statements: readonly { readonly policy: string; readonly sid: string | null }[]
  readonly cacheHit: boolean
  readonly latencyUs: number
  readonly enforcement: Enforcement
  /** Present when the candidate decision differed: its answer and the candidates it used. */
  readonly candidate?: CandidateAnswer
}

export class DecisionTrace {
  /** The route's resource path (`/pets/{petId}`), once matched. */
  route: string | undefined = undefined
  authorizationType: string | undefined = undefined
  /** The PrivateEndpoint the request came through (`namespace/name`). */
  endpoint: string | undefined = undefined
  /** The SigV4 caller's principal ARN. */
  principal: string | undefined = undefined
  /** A verified token's `sub`. */
  sub: string | undefined = undefined
  /** A custom authorizer's principalId. */
  principalId: string | undefined = undefined
  /** True when the identity came from a cache (authorizer result, verified token). */
  cacheHit = false
  /** Statements that decided, from every policy evaluated. */
  readonly statements: StatementRef[] = []
  enforcement: Enforcement = 'enforce'
  /** The decision as decided (under dry-run: the would-be answer). */
  answer: DecidedAnswer | undefined = undefined
  /** Set by the candidate comparison when it disagrees. */
  candidate: CandidateAnswer | undefined = undefined
  /** Time from the check request to its answer, set by the server that answered. */
  latencyUs = 0
  /** Parts still to come before the line can be written: the answer, and the candidate's. */
  pending = 1

  constructor(
    readonly requestId: string,
    readonly timeMs: number,
    readonly api: string,
    readonly stage: string,
    readonly method: string,
    /** Without the query string (RequestContext.path never has one). */
    readonly path: string,
    readonly sourceIp: string | undefined,
    /** Sampled in: logged (subject to logAllows) even when no candidate disagrees. */
    readonly sampled: boolean,
    /** False: log this decision only if it is a denial (`decisionLog.denyOnly`). */
    readonly logAllows: boolean,
  ) {}

  /** Whether the finished decision gets a line: sampled in (and not an allow under denyOnly), or
   * its candidate disagreed. */
  shouldLog(): boolean {
    if (this.candidate !== undefined) return true
    if (!this.sampled) return false
    return this.logAllows || this.answer?.decision !== 'allow'
  }

  addStatements(statements: readonly StatementRef[]): void {
    for (const s of statements) this.statements.push(s)
  }

  /** The JSON line, built when the decision log writes it (off the check path). */
  toLine(): DecisionLine {
    const latencyUs = this.latencyUs
    const answer = this.answer ?? { decision: 'deny', status: 500, code: 'ERR_INTERNAL' }
    const line: DecisionLine = {
      time: new Date(this.timeMs).toISOString(),
      requestId: this.requestId,
      api: this.api,
      stage: this.stage,
      route: this.route ?? null,
      method: this.method,
      path: this.path,
      sourceIp: this.sourceIp ?? null,
      endpoint: this.endpoint ?? null,
      principal: this.principal ?? null,
      sub: this.sub ?? null,
      principalId: this.principalId ?? null,
      authorizationType: this.authorizationType ?? null,
      decision: answer.decision,
      code: answer.code,
      status: answer.status,
      statements: this.statements.map((s) => ({ policy: s.policy, sid: s.sid ?? null })),
      cacheHit: this.cacheHit,
      latencyUs,
      enforcement: this.enforcement,
    }
    return this.candidate === undefined ? line : { ...line, candidate: this.candidate }
  }
}
