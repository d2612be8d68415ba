/**
 * A Checker for server tests: records every RequestContext it receives and answers with scripted
 * outcomes (or throws), so tests can assert both what the server decoded and what it encoded.
 *
 * @module
 */
import { DECISION_CODES, statusesOf, type DenyCode } from '../../src/api/decision-codes.js'
import type {
  AllowOutcome,
  Checker,
  CheckOutcome,
  DenyOutcome,
} from '../../src/decision/check-outcome.js'
import type { RequestContext } from '../../src/request/request-context.js'

export type Script = CheckOutcome | ((req: RequestContext) => CheckOutcome | Promise<CheckOutcome>)

export class RecordingChecker implements Checker {
  readonly seen: RequestContext[] = []
  isReady = true
  next: Script = allowOutcome()

  ready(): boolean {
    return this.isReady
  }

  async check(req: RequestContext): Promise<CheckOutcome> {
    this.seen.push(req)
    return typeof this.next === 'function' ? this.next(req) : this.next
  }

  last(): RequestContext {
    const r = this.seen.at(-1)
    if (r === undefined) throw new Error('checker was not called')
    return r
  }
}

export function allowOutcome(overrides: Partial<AllowOutcome> = {}): AllowOutcome {
  return {
    allowed: true,
    upstreamHeaders: [
      { name: 'x-portcullis-principal', value: 'arn:aws:iam::111122223333:user/alice' },
      { name: 'x-portcullis-context-team', value: 'pets' },
    ],
    headersToRemove: ['x-portcullis-principal', 'x-portcullis-evil'],
    code: 'ALLOW_IAM',
    api: 'shop/petstore',
    metadata: { decision_id: 'dec-123', principal: 'arn:aws:iam::111122223333:user/alice' },
    ...overrides,
  }
}

/**
 * A listed deny code that goes out with `httpStatus` (the servers refuse any other pairing), or
 * `ERR_UNAUTHORIZED` for a status no code has: such an outcome is refused as a checker bug.
 */
function codeWithStatus(httpStatus: number): DenyCode {
  const names = Object.keys(DECISION_CODES) as (keyof typeof DECISION_CODES)[]
  const found = names.find((c) => c.startsWith('ERR_') && statusesOf(c).includes(httpStatus))
  return (found as DenyCode | undefined) ?? 'ERR_UNAUTHORIZED'
}

/** A 401 deny; with only `httpStatus` overridden, the code is one that goes with that status. */
export function denyOutcome(overrides: Partial<DenyOutcome> = {}): DenyOutcome {
  return {
    allowed: false,
    httpStatus: 401,
    grpcCode: 16,
    body: '{"message":"Unauthorized"}',
    headers: [
      { name: 'content-type', value: 'application/json' },
      { name: 'x-amzn-errortype', value: 'UnauthorizedException' },
    ],
    code: codeWithStatus(overrides.httpStatus ?? 401),
    api: 'shop/petstore',
    metadata: { decision_id: 'dec-401' },
    ...overrides,
  }
}
