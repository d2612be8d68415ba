/**
 * `COGNITO_USER_POOLS` and `JWT` routes: verify the token (signature by the issuer's JWKS, issuer,
 * audience / client id, token_use, time claims, scopes), then combine with the resource policy by
 * Table A, the caller being anonymous to IAM (reference §0.1, §1, §6). Claims go upstream as
 * `x-portcullis-context-claims-<claim>`, `sub` as `x-portcullis-principal`.
 *
 * @module
 */
import type { JwtResult } from '../../authn/jwt/index.js'
import type { CompiledAuthorizer } from '../../compile/snapshot.js'
import { combineSameAccount } from '../../policy/index.js'
import type { EvaluationResult } from '../../policy/index.js'
import { allowOutcome } from '../allow-response.js'
import { denyFixed, denyPrincipal } from '../deny-response.js'
import { explained } from '../explained.js'
import type { Flow } from '../flow.js'

const NEITHER: EvaluationResult = { decision: 'Neither', statements: [] }

/** Verifies a token for one authorizer (the runtime keeps one verifier set per authorizer). */
export type TokenVerifier = (
  authorizer: CompiledAuthorizer,
  headerValue: string | undefined,
  routeScopes: readonly string[],
) => Promise<JwtResult> | undefined

export function createJwtFlow(verify: TokenVerifier): Flow {
  return async (ctx) => {
    const authorizer = ctx.route.authorizer
    const identityHeader = authorizer ? identityHeaderOf(authorizer) : undefined
    const pending =
      authorizer && identityHeader !== undefined
        ? verify(authorizer, ctx.req.headers.get(identityHeader), ctx.route.authorizationScopes)
        : undefined
    if (authorizer === undefined || pending === undefined) {
      return explained(
        ctx.explain,
        denyFixed('authorizer_error', 'ERR_AUTHORIZER_MISSING', ctx.deny),
        ['route has no usable token authorizer'],
      )
    }
    const result = await pending
    const via = `authorizer ${authorizer.ref} (${authorizer.type})`
    if (!result.ok) {
      const note = `${via}: ${result.code}: ${result.description}`
      if (result.status === 403)
        return explained(ctx.explain, denyFixed('forbidden', result.code, ctx.deny), [note])
      // HTTP-API JWT authorizers say why in www-authenticate (AWS's error_description texts).
      const challenge =
        authorizer.type === 'JWT'
          ? [
              {
                name: 'www-authenticate',
                value: `Bearer scope="" error="invalid_token" error_description="${result.description.replace(/"/g, "'")}"`,
              },
            ]
          : []
      return explained(ctx.explain, denyFixed('unauthorized', result.code, ctx.deny, challenge), [
        note,
      ])
    }
    const anonymous = {
      action: 'execute-api:Invoke',
      resource: ctx.methodArn,
      principal: null,
      context: ctx.conditions,
    }
    const resource = ctx.api.resourcePolicy?.evaluate(anonymous, 'resource-policy') ?? NEITHER
    const combined = combineSameAccount('Allow', resource.decision)
    const notes = (): string[] => [
      `${via}: token verified, sub ${result.principalId}`,
      `resource policy: ${ctx.api.resourcePolicy ? resource.decision : 'none'} (Table A) → ${combined}`,
    ]
    if (combined !== 'Allow') {
      return explained(
        ctx.explain,
        denyPrincipal(undefined, ctx.methodArn, true, 'ERR_POLICY_EXPLICIT_DENY', ctx.deny),
        notes,
        resource.statements,
      )
    }
    const context = claimsContext(result.claims)
    return explained(
      ctx.explain,
      allowOutcome(ctx.req, { principal: result.principalId, context }, 'ALLOW_TOKEN', ctx.api.ref),
      notes,
      resource.statements,
    )
  }
}

/**
 * `claims-<claim>` context entries, built once per verified token: the verifier returns the same
 * frozen claims object for every cache hit of a token.
 */
const CLAIMS_CONTEXT = new WeakMap<object, Readonly<Record<string, string>>>()
function claimsContext(claims: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let context = CLAIMS_CONTEXT.get(claims)
  if (context === undefined) {
    const built: Record<string, string> = {}
    for (const [k, v] of Object.entries(claims)) built[`claims-${k}`] = v
    context = Object.freeze(built)
    CLAIMS_CONTEXT.set(claims, context)
  }
  return context
}

function identityHeaderOf(a: CompiledAuthorizer): string | undefined {
  if (a.runtime.kind !== 'jwt') return undefined
  const cfg = a.runtime.config as { configs: readonly { identityHeader: string }[] }
  return cfg.configs[0]?.identityHeader
}
