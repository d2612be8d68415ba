/**
 * Builds the allow answer: upstream identity headers (`x-portcullis-principal`,
 * `x-portcullis-context-<key>`) and the removal of every client-sent `x-portcullis-*` header, so an
 * upstream can trust that those headers come from Portcullis alone (DESIGN §4).
 *
 * @module
 */
import type { AllowOutcome, HeaderEntry } from './check-outcome.js'
import type { RequestContext } from '../request/request-context.js'

export const INJECTED_PREFIX = 'x-portcullis-'

/** Header names we emit must be RFC 9110 tokens; anything else in a context key is replaced by `-`. */
function headerSafeName(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9!#$%&'*+.^_`|~-]/g, '-')
}

/** Header values must not carry control characters (CR/LF would be header injection). */
function headerSafeValue(value: string): string {
  return value.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ')
}

export interface AllowIdentity {
  readonly principal: string | undefined
  /** Entries become `x-portcullis-context-<key>`; JWT claims arrive here as `claims-<claim>`. */
  readonly context: Readonly<Record<string, string>>
}

export function allowOutcome(
  req: RequestContext,
  identity: AllowIdentity,
  code: string,
  api: string | undefined,
): AllowOutcome {
  const upstream: HeaderEntry[] = []
  if (identity.principal !== undefined) {
    upstream.push({
      name: `${INJECTED_PREFIX}principal`,
      value: headerSafeValue(identity.principal),
    })
  }
  for (const [key, value] of Object.entries(identity.context)) {
    upstream.push({
      name: `${INJECTED_PREFIX}context-${headerSafeName(key)}`,
      value: headerSafeValue(value),
    })
  }
  // Envoy applies headers_to_remove after the headers it sets, so only client copies of names we
  // do not set are listed; names we set are overwritten (OVERWRITE_IF_EXISTS_OR_ADD) instead.
  const setNames = new Set(upstream.map((h) => h.name))
  const headersToRemove: string[] = []
  for (const name of req.headers.keys()) {
    if (name.startsWith(INJECTED_PREFIX) && !setNames.has(name)) headersToRemove.push(name)
  }
  const metadata: Record<string, string> = { decision_id: req.requestId }
  if (identity.principal !== undefined) metadata['principal'] = identity.principal
  return { allowed: true, upstreamHeaders: upstream, headersToRemove, code, api, metadata }
}
