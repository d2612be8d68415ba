/**
 * Reads the configured identity sources from a request. Every source must be present and non-empty
 * ("present, not null and non-empty", API Reference `Authorizer`), else the caller gets
 * 401 without the authorizer being called. The values are the cache key and, for TOKEN, the token.
 *
 * @module
 */
import type { AuthorizerRequest } from './authorizer-request.js'
import type { IdentitySource, LambdaAuthorizerConfig } from './lambda-authorizer-config.js'
import { parseQueryParameters, type QueryParameters } from './query-parameters.js'
import { contextVariable } from './request-facts.js'

export type IdentityValuesResult =
  | { readonly ok: true; readonly values: readonly string[] }
  | { readonly ok: false; readonly reason: 'identity_missing' | 'identity_invalid' }

function valueOf(
  src: IdentitySource,
  input: AuthorizerRequest,
  query: () => QueryParameters,
): string | undefined {
  switch (src.kind) {
    case 'header':
      return input.req.headers.get(src.name)
    case 'querystring': {
      const values = query().get(src.name)
      if (values === undefined) return undefined
      // REST reads the single-valued parameter (the last one); HTTP APIs join repeats with commas.
      return src.syntax === 'rest' ? values[values.length - 1] : values.join(',')
    }
    case 'stageVariable':
      return Object.hasOwn(input.stageVariables, src.name)
        ? input.stageVariables[src.name]
        : undefined
    case 'context':
      return contextVariable(src.name, input)
  }
}

export function resolveIdentityValues(
  config: LambdaAuthorizerConfig,
  input: AuthorizerRequest,
): IdentityValuesResult {
  let parsed: QueryParameters | undefined
  const query = (): QueryParameters => (parsed ??= parseQueryParameters(input.req.rawQuery))
  const values: string[] = []
  for (const src of config.identitySources) {
    const v = valueOf(src, input, query)
    if (v === undefined || v === '') return { ok: false, reason: 'identity_missing' }
    values.push(v)
  }
  if (config.type === 'TOKEN' && config.validationRegex !== undefined) {
    const token = values[0]
    if (token === undefined || !config.validationRegex.test(token)) {
      return { ok: false, reason: 'identity_invalid' }
    }
  }
  return { ok: true, values }
}
