/**
 * `COGNITO_USER_POOLS` and `JWT` routes: verify the token (signature by the issuer's JWKS, issuer,
 * audience / client id, token_use, time claims, scopes), then combine with the resource policy by
 * Table A, the caller being anonymous to IAM (docs/aws-semantics.md). Claims go upstream as
 * `x-portcullis-context-claims-<claim>`, `sub` as `x-portcullis-principal`.
 *
 * Synchronous whenever the verifier is (a cached token, or keys already held): the flow then
 * returns a plain CheckOutcome, with no promise or microtask on the way.
 *
 * @module
 */
import type { JwtAllow, JwtResult } from '../../authn/jwt/index.js'
import type { CompiledAuthorizer } from '../../compile/snapshot.js'
import { combineSameAccount } from '../../policy/index.js'
import type { EvaluationResult } from '../../policy/index.js'
import type { CheckOutcome } from '../check-outcome.js'
import { sealHeaders, type ValidatedHeaders } from '../validated-headers.js'
import { BoundedMemo } from '../../lib/bounded-memo.js'
import { allowOutcome, type AllowIdentity } from '../allow-response.js'
import { denyFixed, denyPrincipal } from '../deny-response.js'
import { explained } from '../explained.js'
import type { Flow, FlowContext } from '../flow.js'
import { CANDIDATE_UNDECIDED } from '../candidate.js'

const NEITHER: EvaluationResult = { decision: 'Neither', statements: [] }

/**
 * Verifies a token for one authorizer (the runtime keeps one verifier set per authorizer): a
 * plain result when no I/O is needed, a Promise while keys are fetched, undefined when the
 * authorizer is not a token authorizer.
 */
export type TokenVerifier = (
  authorizer: CompiledAuthorizer,
  headerValue: string | undefined,
  routeScopes: readonly string[],
) => JwtResult | Promise<JwtResult> | undefined

/**
 * The answer a token would get with `audiences` in place of the authorizer's audience rule, given
 * its live answer `live`; from what is already verified (no fetch, no signature check, nothing
 * counted). Undefined when that is not enough to tell.
 */
export type CandidateTokenCheck = (
  authorizer: CompiledAuthorizer,
  headerValue: string | undefined,
  routeScopes: readonly string[],
  live: JwtResult,
  audiences: readonly string[],
) => JwtResult | undefined

export function createJwtFlow(verify: TokenVerifier, checkCandidate?: CandidateTokenCheck): Flow {
  return (ctx) => {
    const authorizer = ctx.route.authorizer
    const identityHeader = authorizer ? identityHeaderOf(authorizer) : undefined
    const headerValue =
      identityHeader === undefined ? undefined : ctx.req.headers.get(identityHeader)
    // A repeat reuses the live verification: the same token, not verified or counted twice.
    const result =
      authorizer && identityHeader !== undefined
        ? ((ctx.candidate ? ctx.trail?.token : undefined) ??
          verify(authorizer, headerValue, ctx.route.authorizationScopes))
        : undefined
    if (authorizer === undefined || result === undefined) {
      return explained(
        ctx.explain,
        denyFixed('authorizer_error', 'ERR_AUTHORIZER_MISSING', ctx.deny),
        ['route has no usable token authorizer'],
      )
    }
    return result instanceof Promise
      ? result.then((live) => withCandidate(ctx, authorizer, headerValue, live, checkCandidate))
      : withCandidate(ctx, authorizer, headerValue, result, checkCandidate)
  }
}

/**
 * Notes the live answer for a later candidate decision, and decides: with the authorizer's
 * candidate audience rule in a candidate decision, else as verified.
 */
function withCandidate(
  ctx: FlowContext,
  authorizer: CompiledAuthorizer,
  headerValue: string | undefined,
  live: JwtResult,
  checkCandidate: CandidateTokenCheck | undefined,
): CheckOutcome {
  const trail = ctx.trail
  if (trail !== undefined && !ctx.candidate) {
    trail.token = live
    if (authorizer.candidate !== undefined) trail.sources.push(`authorizer:${authorizer.ref}`)
  }
  if (!ctx.withCandidates || authorizer.candidate === undefined) {
    return decideToken(ctx, authorizer, live)
  }
  const trial = checkCandidate?.(
    authorizer,
    headerValue,
    ctx.route.authorizationScopes,
    live,
    authorizer.candidate.audiences,
  )
  if (trial === undefined) {
    return explained(ctx.explain, denyFixed('authorizer_error', CANDIDATE_UNDECIDED, ctx.deny), [
      `authorizer ${authorizer.ref}: the token is not cached; its candidate cannot be decided without verifying it again`,
    ])
  }
  return explained(
    ctx.explain,
    decideToken(ctx, authorizer, trial),
    () => [`candidate audience rule: ${authorizer.candidate?.audiences.join(', ') ?? ''}`],
    [],
    'before',
  )
}

/** The outcome for a verified (or refused) token. */
function decideToken(
  ctx: FlowContext,
  authorizer: CompiledAuthorizer,
  result: JwtResult,
): CheckOutcome {
  if (!result.ok) return refusal(ctx, authorizer, result)
  const trace = ctx.trace
  if (trace !== undefined) {
    trace.sub = result.principalId
    trace.cacheHit = result.cached
  }
  const policy = ctx.api.resourcePolicy
  // Without a resource policy Table A is Allow + Neither → Allow: nothing to evaluate or build.
  if (policy === undefined && !ctx.explain) {
    return allowOutcome(ctx.req, identityOf(result), 'ALLOW_TOKEN', ctx.api.ref)
  }
  const resource =
    policy?.evaluate(
      {
        action: 'execute-api:Invoke',
        resource: ctx.methodArn,
        principal: null,
        context: ctx.conditions,
      },
      'resource-policy',
    ) ?? NEITHER
  trace?.addStatements(resource.statements)
  const combined = combineSameAccount('Allow', resource.decision)
  const outcome =
    combined === 'Allow'
      ? allowOutcome(ctx.req, identityOf(result), 'ALLOW_TOKEN', ctx.api.ref)
      : denyPrincipal(undefined, ctx.methodArn, true, 'ERR_POLICY_EXPLICIT_DENY', ctx.deny)
  if (!ctx.explain) return outcome
  return explained(
    true,
    outcome,
    [
      `authorizer ${authorizer.ref} (${authorizer.type}): token verified, sub ${result.principalId}`,
      `resource policy: ${policy ? resource.decision : 'none'} (Table A) → ${combined}`,
    ],
    resource.statements,
  )
}

function refusal(
  ctx: FlowContext,
  authorizer: CompiledAuthorizer,
  result: JwtResult & { ok: false },
): CheckOutcome {
  const outcome =
    result.status === 403
      ? denyFixed('forbidden', result.code, ctx.deny)
      : denyFixed(
          'unauthorized',
          result.code,
          ctx.deny,
          // HTTP-API JWT authorizers say why in www-authenticate (AWS's error_description texts).
          authorizer.type === 'JWT' ? challengeFor(result.description) : NO_CHALLENGE,
        )
  if (!ctx.explain) return outcome
  return explained(true, outcome, [
    `authorizer ${authorizer.ref} (${authorizer.type}): ${result.code}: ${result.description}`,
  ])
}

const NO_CHALLENGE: ValidatedHeaders = sealHeaders([])

/**
 * The `www-authenticate` challenge per refusal text. Descriptions are a fixed set of constant
 * texts (jwt-result.ts: never token content), so a refusal flood builds no header per request;
 * the bound only guards against that ever changing.
 */
const CHALLENGES = new BoundedMemo<string, ValidatedHeaders>(256)

const makeChallenge = (description: string): ValidatedHeaders =>
  sealHeaders([
    {
      name: 'www-authenticate',
      value: `Bearer scope="" error="invalid_token" error_description="${description.replace(/"/g, "'")}"`,
    },
  ])

function challengeFor(description: string): ValidatedHeaders {
  return CHALLENGES.getOrMake(description, makeChallenge)
}

/**
 * The upstream identity of a verified token, built once per token and kept in its JwtAllow's
 * memo slot: the verifier returns the same JwtAllow on every cache hit, so the `claims-<claim>`
 * context object keeps its identity across requests (allow-response caches header lists by it).
 */
function identityOf(allow: JwtAllow): AllowIdentity {
  const known = allow.memo.upstreamIdentity as AllowIdentity | undefined
  if (known !== undefined) return known
  const identity: AllowIdentity = Object.freeze({
    principal: allow.principalId,
    context: claimsContext(allow.claims),
    // A token verified for this request only: no header-list cache entries for it anywhere.
    reusable: allow.cached,
  })
  allow.memo.upstreamIdentity = identity
  return identity
}

/** `claims-<claim>` context keys by claim name: the same few names recur on every token. */
const CONTEXT_KEYS = new BoundedMemo<string, string>(4096)
const makeContextKey = (claim: string): string => `claims-${claim}`

function contextKey(claim: string): string {
  return CONTEXT_KEYS.getOrMake(claim, makeContextKey)
}

/** `claims-<claim>` context entries, in claim order. */
function claimsContext(claims: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const context: Record<string, string> = {}
  const names = Object.keys(claims)
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    context[contextKey(name)] = claims[name] as string
  }
  return Object.freeze(context)
}

function identityHeaderOf(a: CompiledAuthorizer): string | undefined {
  if (a.runtime.kind !== 'jwt') return undefined
  return a.runtime.config.configs[0]?.identityHeader
}
