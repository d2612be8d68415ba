/**
 * Compiled configuration of one custom ("Lambda") authorizer reached over HTTP, and the parsing of
 * its AWS-shaped fields (identitySource, identityValidationExpression, TTL, ...), done once per
 * configuration snapshot so the request path never parses anything.
 *
 * @module
 */
import { createHash } from 'node:crypto'

/** Defaults (docs/reference/kinds.md); the TTL ones are AWS's (docs/aws-semantics.md). */
export const LAMBDA_AUTHORIZER_DEFAULTS = {
  ttlSeconds: 300,
  maxTtlSeconds: 3600,
  timeoutMs: 3000,
  maxTimeoutMs: 30_000,
  payloadFormatVersion: '1.0',
  maxConcurrency: 64,
  maxResponseBytes: 64 * 1024,
} as const

/**
 * `$context` variables usable as identity sources (`context.X` / `$context.X`). A fixed list, so a
 * typo is a configuration error instead of an identity that is always missing (→ always 401).
 */
export const CONTEXT_IDENTITY_VARIABLES = [
  'requestId',
  'accountId',
  'apiId',
  'stage',
  'httpMethod',
  'resourcePath',
  'path',
  'domainName',
  'domainPrefix',
  'protocol',
  'routeKey',
  'requestTimeEpoch',
  'identity.sourceIp',
  'identity.userAgent',
  'http.method',
  'http.path',
  'http.protocol',
  'http.sourceIp',
  'http.userAgent',
] as const

export type ContextIdentityVariable = (typeof CONTEXT_IDENTITY_VARIABLES)[number]

/**
 * One identity source. `syntax` records which API flavour wrote it: REST (`method.request.header.X`)
 * or HTTP API (`$request.header.X`); it selects the REST or HTTP-API 1.0 event shape.
 */
export type IdentitySource =
  | { readonly kind: 'header'; readonly name: string; readonly syntax: IdentitySyntax }
  | { readonly kind: 'querystring'; readonly name: string; readonly syntax: IdentitySyntax }
  | { readonly kind: 'stageVariable'; readonly name: string; readonly syntax: IdentitySyntax }
  | {
      readonly kind: 'context'
      readonly name: ContextIdentityVariable
      readonly syntax: IdentitySyntax
    }

export type IdentitySyntax = 'rest' | 'http'

export interface LambdaAuthorizerConfig {
  /** `namespace/name`: the cache scope and the metrics label. */
  readonly id: string
  /** Changes whenever the Authorizer object changes; cache entries of another revision are never served. */
  readonly revision: string
  readonly type: 'TOKEN' | 'REQUEST'
  /** http(s) endpoint receiving the event as a JSON POST. */
  readonly uri: string
  readonly identitySources: readonly IdentitySource[]
  /** TOKEN only; already anchored: tests the whole value (Java `String.matches`). */
  readonly validationRegex: RegExp | undefined
  /** 0..3600; 0 = no caching. */
  readonly ttlSeconds: number
  readonly timeoutMs: number
  readonly payloadFormatVersion: '1.0' | '2.0'
  readonly enableSimpleResponses: boolean
  readonly maxConcurrency: number
  readonly maxResponseBytes: number
}

export type ParseIdentitySourceResult =
  | { readonly ok: true; readonly sources: IdentitySource[] }
  | { readonly ok: false; readonly error: string }

// Header names are RFC 9110 tokens; other names are kept as written (query names are case-sensitive).
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const PLAIN_NAME = /^[^\s,]+$/

const PREFIXES: readonly (readonly [string, IdentitySource['kind'], IdentitySyntax])[] = [
  ['method.request.header.', 'header', 'rest'],
  ['method.request.querystring.', 'querystring', 'rest'],
  ['stageVariables.', 'stageVariable', 'rest'],
  ['context.', 'context', 'rest'],
  ['$request.header.', 'header', 'http'],
  ['$request.querystring.', 'querystring', 'http'],
  ['$stageVariables.', 'stageVariable', 'http'],
  ['$context.', 'context', 'http'],
]

function parseOne(expr: string): IdentitySource | string {
  for (const [prefix, kind, syntax] of PREFIXES) {
    if (!expr.startsWith(prefix)) continue
    const name = expr.slice(prefix.length)
    if (name === '') return `identity source "${expr}" has no name`
    switch (kind) {
      case 'header':
        if (!HEADER_NAME.test(name)) return `identity source "${expr}": invalid header name`
        // Header lookup is case-insensitive; RequestContext headers are lower-case.
        return { kind, name: name.toLowerCase(), syntax }
      case 'querystring':
      case 'stageVariable':
        if (!PLAIN_NAME.test(name)) return `identity source "${expr}": invalid name`
        return { kind, name, syntax }
      case 'context': {
        const known = CONTEXT_IDENTITY_VARIABLES.find((v) => v === name)
        if (known === undefined) {
          return `identity source "${expr}": unsupported context variable (supported: ${CONTEXT_IDENTITY_VARIABLES.join(', ')})`
        }
        return { kind, name: known, syntax }
      }
    }
  }
  return `identity source "${expr}" is not one of method.request.header.X, method.request.querystring.X, stageVariables.X, context.X, $request.header.X, $request.querystring.X, $stageVariables.X, $context.X`
}

/**
 * Parses `identitySource` (API_Authorizer). TOKEN: exactly one header source. REQUEST: a
 * comma-separated list (may be empty: then nothing is required and nothing is cached). REST and
 * HTTP-API forms may not be mixed: they select different event shapes.
 */
export function parseIdentitySource(
  s: string | undefined,
  type: 'TOKEN' | 'REQUEST',
): ParseIdentitySourceResult {
  const parts = (s ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  const sources: IdentitySource[] = []
  for (const part of parts) {
    const parsed = parseOne(part)
    if (typeof parsed === 'string') return { ok: false, error: parsed }
    sources.push(parsed)
  }
  if (type === 'TOKEN') {
    const only = sources[0]
    if (sources.length !== 1 || only === undefined || only.kind !== 'header') {
      return {
        ok: false,
        error:
          'a TOKEN authorizer needs exactly one identity source of the form method.request.header.<Name>',
      }
    }
  }
  if (new Set(sources.map((x) => x.syntax)).size > 1) {
    return {
      ok: false,
      error: 'identity sources mix REST (method.request.*) and HTTP API ($request.*) forms',
    }
  }
  return { ok: true, sources }
}

/**
 * Compiles `identityValidationExpression` for a whole-value match, as Java's `String.matches` does
 * (our decision, docs/aws-semantics.md#token-validation-expression): `Bearer .+` must match all of
 * `Bearer abc`, not a substring. No flags: JS's lenient (Annex B) syntax is the closest to Java's
 * for the expressions people write.
 */
export function compileValidationRegex(
  expr: string,
): { ok: true; regex: RegExp } | { ok: false; error: string } {
  try {
    return { ok: true, regex: new RegExp(`^(?:${expr})$`) }
  } catch (err) {
    return {
      ok: false,
      error: `identityValidationExpression is not a valid regular expression: ${(err as Error).message}`,
    }
  }
}

/** The Authorizer spec fields this module reads (names as in docs/reference/kinds.md). */
export interface LambdaAuthorizerSpecInput {
  readonly type: 'TOKEN' | 'REQUEST'
  readonly authorizerUri: string
  readonly identitySource?: string | undefined
  readonly identityValidationExpression?: string | undefined
  readonly authorizerResultTtlInSeconds?: number | undefined
  readonly timeoutMillis?: number | undefined
  readonly payloadFormatVersion?: '1.0' | '2.0' | undefined
  readonly enableSimpleResponses?: boolean | undefined
}

export interface ConfigProblem {
  readonly path: string
  readonly message: string
}

export interface CompileLambdaAuthorizerOptions {
  readonly maxConcurrency?: number
  readonly maxResponseBytes?: number
}

/** Stable JSON (sorted keys) so the revision does not depend on key order. */
function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/**
 * Builds a LambdaAuthorizerConfig from an Authorizer spec, collecting every problem (never throws).
 * `revision` is a SHA-256 of the spec and options, so any change invalidates cached outputs.
 */
export function compileLambdaAuthorizerConfig(
  id: string,
  spec: LambdaAuthorizerSpecInput,
  opts: CompileLambdaAuthorizerOptions = {},
): { ok: true; config: LambdaAuthorizerConfig } | { ok: false; errors: ConfigProblem[] } {
  const errors: ConfigProblem[] = []
  const d = LAMBDA_AUTHORIZER_DEFAULTS

  let uri = ''
  try {
    const u = new URL(spec.authorizerUri)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      errors.push({ path: 'authorizerUri', message: 'must be an http:// or https:// URL' })
    } else if (u.username !== '' || u.password !== '') {
      errors.push({ path: 'authorizerUri', message: 'must not carry credentials' })
    } else {
      uri = u.toString()
    }
  } catch {
    errors.push({ path: 'authorizerUri', message: 'is not a valid URL' })
  }

  const parsed = parseIdentitySource(spec.identitySource, spec.type)
  if (!parsed.ok) errors.push({ path: 'identitySource', message: parsed.error })

  let validationRegex: RegExp | undefined
  const vx = spec.identityValidationExpression
  if (vx !== undefined && vx !== '') {
    if (spec.type !== 'TOKEN') {
      // AWS ignores it for REQUEST authorizers (API Reference, Authorizer); say so, not pretend.
      errors.push({
        path: 'identityValidationExpression',
        message: 'applies only to TOKEN authorizers',
      })
    } else {
      const r = compileValidationRegex(vx)
      if (r.ok) validationRegex = r.regex
      else errors.push({ path: 'identityValidationExpression', message: r.error })
    }
  }

  const ttlSeconds = spec.authorizerResultTtlInSeconds ?? d.ttlSeconds
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > d.maxTtlSeconds) {
    errors.push({
      path: 'authorizerResultTtlInSeconds',
      message: `must be an integer in 0..${d.maxTtlSeconds}`,
    })
  }
  const timeoutMs = spec.timeoutMillis ?? d.timeoutMs
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > d.maxTimeoutMs) {
    errors.push({ path: 'timeoutMillis', message: `must be an integer in 1..${d.maxTimeoutMs}` })
  }
  const payloadFormatVersion = spec.payloadFormatVersion ?? d.payloadFormatVersion
  if (payloadFormatVersion !== '1.0' && payloadFormatVersion !== '2.0') {
    errors.push({ path: 'payloadFormatVersion', message: 'must be "1.0" or "2.0"' })
  } else if (spec.type === 'TOKEN' && payloadFormatVersion !== '1.0') {
    // TOKEN events have one fixed shape; payload versions exist only for HTTP API REQUEST authorizers.
    errors.push({
      path: 'payloadFormatVersion',
      message: 'only "1.0" applies to TOKEN authorizers',
    })
  }
  const enableSimpleResponses = spec.enableSimpleResponses ?? false
  if (enableSimpleResponses && (spec.type !== 'REQUEST' || payloadFormatVersion !== '2.0')) {
    errors.push({
      path: 'enableSimpleResponses',
      message: 'requires type REQUEST and payloadFormatVersion "2.0"',
    })
  }
  const maxConcurrency = opts.maxConcurrency ?? d.maxConcurrency
  const maxResponseBytes = opts.maxResponseBytes ?? d.maxResponseBytes
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    errors.push({ path: 'maxConcurrency', message: 'must be a positive integer' })
  }
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 1) {
    errors.push({ path: 'maxResponseBytes', message: 'must be a positive integer' })
  }

  if (errors.length > 0 || !parsed.ok) return { ok: false, errors }

  const revision = createHash('sha256')
    .update(stableStringify({ id, spec, opts }))
    .digest('base64url')
  return {
    ok: true,
    config: Object.freeze({
      id,
      revision,
      type: spec.type,
      uri,
      identitySources: Object.freeze(parsed.sources),
      validationRegex,
      ttlSeconds,
      timeoutMs,
      payloadFormatVersion,
      enableSimpleResponses,
      maxConcurrency,
      maxResponseBytes,
    }),
  }
}
