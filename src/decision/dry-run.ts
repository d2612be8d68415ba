/**
 * Dry-run: a decided answer becomes an allow that carries it upstream in
 * `x-portcullis-dry-run: <allow|deny> <status> <code>`, so a team sees what enforcement would do
 * to real traffic before turning it on.
 *
 * Answers that protect Portcullis and the upstream from requests nobody can decide about stay
 * denials whatever the mode: a path that is ambiguous (encoded slashes, dot segments), a methodArn
 * over AWS's limit, an internal failure. Malformed requests and requests for no API never reach
 * here (the servers and the decider deny them before any API is known).
 *
 * @module
 */
import type { AllowOutcome, CheckOutcome, HeaderEntry } from './check-outcome.js'
import type { DecidedAnswer } from './decision-trace.js'
import type { RequestContext } from '../request/request-context.js'
import { NO_CONTEXT, allowOutcome } from './allow-response.js'

export const DRY_RUN_HEADER = 'x-portcullis-dry-run'

/** Never relaxed by dry-run (see the module comment). */
const ALWAYS_ENFORCED: ReadonlySet<string> = new Set([
  'ERR_BAD_PATH',
  'ERR_ARN_TOO_LONG',
  'ERR_INTERNAL',
  'ERR_NOT_READY',
  'ERR_NO_API',
])

export function answerOf(o: CheckOutcome): DecidedAnswer {
  return o.allowed
    ? { decision: 'allow', status: 200, code: o.code }
    : { decision: 'deny', status: o.httpStatus, code: o.code }
}

/** Header entries per answer: a handful of codes and statuses recur on every request. */
const HEADERS = new Map<string, HeaderEntry>()
const HEADERS_MAX = 1024

function dryRunHeader(answer: DecidedAnswer): HeaderEntry {
  const value = `${answer.decision} ${String(answer.status)} ${answer.code}`
  let entry = HEADERS.get(value)
  if (entry === undefined) {
    entry = Object.freeze({ name: DRY_RUN_HEADER, value })
    if (HEADERS.size >= HEADERS_MAX) HEADERS.clear()
    HEADERS.set(value, entry)
  }
  return entry
}

/**
 * The dry-run answer for a decided outcome: an allow with the dry-run header, or the outcome
 * itself when it is one that is always enforced.
 */
export function applyDryRun(
  req: RequestContext,
  decided: CheckOutcome,
  answer: DecidedAnswer,
): CheckOutcome {
  if (!decided.allowed && ALWAYS_ENFORCED.has(decided.code)) return decided
  const base: AllowOutcome = decided.allowed
    ? decided
    : allowOutcome(req, { principal: undefined, context: NO_CONTEXT }, decided.code, decided.api)
  return {
    ...base,
    upstreamHeaders: [...base.upstreamHeaders, dryRunHeader(answer)],
    // Envoy removes headers after setting them: a client copy of the header we set must not be
    // listed, or it would remove ours (the value we set overwrites the client's instead).
    headersToRemove: base.headersToRemove.includes(DRY_RUN_HEADER)
      ? base.headersToRemove.filter((n) => n !== DRY_RUN_HEADER)
      : base.headersToRemove,
    metadata: decided.metadata,
    ...(decided.explain !== undefined ? { explain: decided.explain } : {}),
    dryRun: answer,
  }
}
