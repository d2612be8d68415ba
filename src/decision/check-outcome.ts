/**
 * What a check produces, independent of the wire: the gRPC and HTTP servers translate a
 * CheckOutcome into an Envoy CheckResponse or an HTTP answer, and nothing else.
 *
 * @module
 */
import type { RequestContext } from '../request/request-context.js'
import type { StatementRef } from '../policy/types.js'
import type { DecidedAnswer, DecisionTrace } from './decision-trace.js'

/** Why a decision came out as it did: for `portcullis check` and debug logs, never for the wire. */
export interface Explanation {
  /** Human-readable steps, e.g. `route GET /pets/{petId} (AWS_IAM)`, `resource policy: Neither`. */
  readonly notes: readonly string[]
  /** Statements that decided (from every policy evaluated). */
  readonly statements: readonly StatementRef[]
}

/** A header to send upstream (allow) or to the client (deny). Names are lower-case. */
export interface HeaderEntry {
  readonly name: string
  readonly value: string
}

export interface AllowOutcome {
  readonly allowed: true
  /** Headers to set on the upstream request (overwrite: never append to a client-sent value). */
  readonly upstreamHeaders: readonly HeaderEntry[]
  /** Client-sent header names to remove before the request goes upstream (`x-portcullis-*`). */
  readonly headersToRemove: readonly string[]
  /** Stable reason code for logs and metrics, e.g. `ALLOW_RESOURCE_POLICY`. */
  readonly code: string
  /** Resolved API (`namespace/name`) for metrics labels; undefined if none. */
  readonly api: string | undefined
  /** Small flat metadata echoed as Envoy dynamic metadata (e.g. decision id, principal). */
  readonly metadata: Readonly<Record<string, string>>
  readonly explain?: Explanation
  /**
   * Dry-run: the answer as decided, which this allow stands in for (metrics count it, with
   * `enforcement="dry_run"`; the upstream reads it in `x-portcullis-dry-run`).
   */
  readonly dryRun?: DecidedAnswer
  /** The decision-log record of this decision, when it is logged (see decision-trace.ts). */
  readonly trace?: DecisionTrace
}

export interface DenyOutcome {
  readonly allowed: false
  /** HTTP status to return to the client (401, 403, 400, 429, 500, ...). */
  readonly httpStatus: number
  /** gRPC status of the CheckResponse: 16 UNAUTHENTICATED for 401, 7 PERMISSION_DENIED otherwise. */
  readonly grpcCode: number
  /** Exact JSON body (AWS's wording), e.g. `{"message":"Unauthorized"}`. */
  readonly body: string
  /** Response headers to the client: content-type and x-amzn-errortype at least. */
  readonly headers: readonly HeaderEntry[]
  /** Stable reason code (`ERR_...`) for logs and metric labels. */
  readonly code: string
  readonly api: string | undefined
  readonly metadata: Readonly<Record<string, string>>
  readonly explain?: Explanation
  readonly trace?: DecisionTrace
}

export type CheckOutcome = AllowOutcome | DenyOutcome

/** The one thing servers call. Implementations never throw and never allow on an internal error. */
export interface Checker {
  /** A plain outcome when it is known at once (cache hits): callers must accept both. */
  check(req: RequestContext): CheckOutcome | Promise<CheckOutcome>
  /** True once a configuration snapshot is loaded (drives /readyz and gRPC health). */
  ready(): boolean
}
