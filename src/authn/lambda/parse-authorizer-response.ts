/**
 * Turns an authorizer endpoint's HTTP answer into an outcome, validating strictly
 * (docs/aws-semantics.md#authorizer-responses, docs/decision-flow.md for custom endpoints):
 *
 * - `Unauthorized`: an HTTP 401, or the Lambda error shape `{"errorMessage":"Unauthorized", ...}`
 *   (what AWS's runtime interface emulator answers, with 200, when the function fails with
 *   `Unauthorized`). The message must match exactly, as in AWS's examples.
 * - 200 with an IAM policy answer: `principalId` (string) and `policyDocument` (object, compiled by
 *   the injected policy compiler) are required; `context` values must be string, number or boolean
 *   (stringified); `usageIdentifierKey` is an optional string. For payload 2.0 `context` may also
 *   hold arrays and maps (HTTP API doc example); they are passed on JSON-encoded.
 * - 200 with a simple answer `{isAuthorized, context}` only when enableSimpleResponses (payload 2.0).
 * - Everything else fails closed: other statuses, non-JSON, wrong shapes, other function errors.
 *
 * Portcullis-specific strictness: context keys must be HTTP header tokens and string values may
 * not contain control characters, since both become `x-portcullis-context-<key>` headers.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { LambdaAuthorizerConfig } from './lambda-authorizer-config.js'
import type { LambdaErrorCode, LambdaOutcome } from './lambda-outcome.js'

export type CompilePolicyFn<P> = (
  doc: unknown,
) =>
  | { readonly ok: true; readonly policy: P }
  | { readonly ok: false; readonly errors: readonly { path: string; message: string }[] }

const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
const MAX_DETAIL = 200

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function bad(code: LambdaErrorCode, detail: string): LambdaOutcome<never> {
  return { kind: 'error', code, detail: detail.slice(0, MAX_DETAIL) }
}

type ContextResult =
  | { readonly ok: true; readonly context: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly detail: string }

function parseContext(raw: unknown, allowNested: boolean): ContextResult {
  if (raw === undefined || raw === null) return { ok: true, context: Object.freeze({}) }
  if (!isRecord(raw)) return { ok: false, detail: 'context must be an object' }
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (!HEADER_TOKEN.test(key)) {
      return { ok: false, detail: `context key ${JSON.stringify(key)} is not a header token` }
    }
    let s: string
    if (typeof value === 'string') {
      if (CONTROL.test(value)) {
        return { ok: false, detail: `context.${key} contains control characters` }
      }
      s = value
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      s = String(value)
    } else if (typeof value === 'boolean') {
      s = String(value)
    } else if (allowNested && value !== null && typeof value === 'object') {
      s = JSON.stringify(value)
    } else {
      return {
        ok: false,
        detail: `context.${key} must be a string, number or boolean${allowNested ? ', array or object' : ''}`,
      }
    }
    out[key] = s
  }
  return { ok: true, context: Object.freeze(out) }
}

function headerValue(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v.join(',') : v
}

export function parseAuthorizerResponse<P>(
  config: LambdaAuthorizerConfig,
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  compilePolicy: CompilePolicyFn<P>,
): LambdaOutcome<P> {
  if (status === 401) return { kind: 'unauthorized', reason: 'authorizer_unauthorized' }

  let json: unknown
  let parsed = false
  try {
    json = JSON.parse(body.toString('utf8'))
    parsed = true
  } catch {
    // handled below: what it means depends on the status
  }
  if (parsed && isRecord(json) && json['errorMessage'] === 'Unauthorized') {
    return { kind: 'unauthorized', reason: 'authorizer_unauthorized' }
  }
  if (status !== 200) return bad('ERR_LAMBDA_STATUS', `authorizer answered HTTP ${status}`)
  if (!parsed) return bad('ERR_LAMBDA_BAD_RESPONSE', 'response body is not JSON')
  if (!isRecord(json)) return bad('ERR_LAMBDA_BAD_RESPONSE', 'response body is not a JSON object')

  const functionError = headerValue(headers, 'x-amz-function-error')
  const looksLikeError =
    typeof json['errorMessage'] === 'string' &&
    !('principalId' in json) &&
    !('isAuthorized' in json)
  if (functionError !== undefined || looksLikeError) {
    const type = typeof json['errorType'] === 'string' ? json['errorType'] : (functionError ?? '')
    // Only the error type: the message may echo the caller's token.
    return bad('ERR_LAMBDA_FUNCTION_ERROR', `authorizer function failed (${type || 'error'})`)
  }

  if (config.enableSimpleResponses && config.payloadFormatVersion === '2.0') {
    const isAuthorized = json['isAuthorized']
    if (typeof isAuthorized !== 'boolean') {
      return bad('ERR_LAMBDA_BAD_RESPONSE', 'simple response needs a boolean isAuthorized')
    }
    const ctx = parseContext(json['context'], true)
    if (!ctx.ok) return bad('ERR_LAMBDA_BAD_RESPONSE', ctx.detail)
    return { kind: 'simple', isAuthorized, context: ctx.context, cached: false }
  }

  const principalId = json['principalId']
  if (typeof principalId !== 'string') {
    return bad('ERR_LAMBDA_BAD_RESPONSE', 'principalId is required and must be a string')
  }
  if (CONTROL.test(principalId)) {
    return bad('ERR_LAMBDA_BAD_RESPONSE', 'principalId contains control characters')
  }
  const doc = json['policyDocument']
  if (!isRecord(doc)) {
    return bad('ERR_LAMBDA_BAD_RESPONSE', 'policyDocument is required and must be an object')
  }
  const usage = json['usageIdentifierKey']
  if (usage !== undefined && usage !== null && typeof usage !== 'string') {
    return bad('ERR_LAMBDA_BAD_RESPONSE', 'usageIdentifierKey must be a string')
  }
  if (typeof usage === 'string' && CONTROL.test(usage)) {
    return bad('ERR_LAMBDA_BAD_RESPONSE', 'usageIdentifierKey contains control characters')
  }
  const ctx = parseContext(
    json['context'],
    config.payloadFormatVersion === '2.0' && config.type === 'REQUEST',
  )
  if (!ctx.ok) return bad('ERR_LAMBDA_BAD_RESPONSE', ctx.detail)

  let compiled: ReturnType<CompilePolicyFn<P>>
  try {
    compiled = compilePolicy(doc)
  } catch (err) {
    return bad('ERR_LAMBDA_POLICY_INVALID', `policy compiler failed: ${(err as Error).message}`)
  }
  if (!compiled.ok) {
    const first = compiled.errors
      .slice(0, 3)
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ')
    return bad('ERR_LAMBDA_POLICY_INVALID', `policyDocument invalid: ${first}`)
  }
  return {
    kind: 'policy',
    principalId,
    policy: compiled.policy,
    context: ctx.context,
    usageIdentifierKey: typeof usage === 'string' ? usage : undefined,
    cached: false,
  }
}
