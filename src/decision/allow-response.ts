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

const NOT_TOKEN = /[^a-z0-9!#$%&'*+.^_`|~-]/g
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
const CONTROL_ALL = /[\u0000-\u0008\u000a-\u001f\u007f]/g

/** Header names per context key: keys repeat on every request (claims, authorizer context). */
const NAME_CACHE = new Map<string, string>()
const NAME_CACHE_MAX = 4096

/** `x-portcullis-context-<key>` with the key made an RFC 9110 token (anything else becomes `-`). */
function contextHeaderName(key: string): string {
  let name = NAME_CACHE.get(key)
  if (name === undefined) {
    name = `${INJECTED_PREFIX}context-${key.toLowerCase().replace(NOT_TOKEN, '-')}`
    if (NAME_CACHE.size >= NAME_CACHE_MAX) NAME_CACHE.clear()
    NAME_CACHE.set(key, name)
  }
  return name
}

/** Header values must not carry control characters (CR/LF would be header injection). */
function headerSafeValue(value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROL_ALL, ' ') : value
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
    upstream.push({ name: contextHeaderName(key), value: headerSafeValue(value) })
  }
  // Envoy applies headers_to_remove after the headers it sets, so only client copies of names we
  // do not set are listed; names we set are overwritten (OVERWRITE_IF_EXISTS_OR_ADD) instead.
  const headersToRemove: string[] = []
  for (const name of req.headers.keys()) {
    if (name.startsWith(INJECTED_PREFIX) && !upstream.some((h) => h.name === name)) {
      headersToRemove.push(name)
    }
  }
  const metadata: Record<string, string> = { decision_id: req.requestId }
  if (identity.principal !== undefined) metadata['principal'] = identity.principal
  return { allowed: true, upstreamHeaders: upstream, headersToRemove, code, api, metadata }
}
