/**
 * The reference mapping CheckOutcome → Envoy `envoy.service.auth.v3.CheckResponse`, as a plain
 * message object for the generic protobuf serializer. The server encodes outcomes directly
 * (src/servers/encode-check-response.ts); tests prove its bytes equal to protobufjs's encoding of
 * this message.
 *
 * @module
 */
import type { CheckOutcome, HeaderEntry } from '../../src/decision/check-outcome.js'

interface HeaderValueOptionWire {
  readonly header: { readonly key: string; readonly value: string }
  /** Deprecated in v3 but still read by Envoys older than 1.22 (false = overwrite/add). */
  readonly append: { readonly value: boolean }
  readonly append_action: 'OVERWRITE_IF_EXISTS_OR_ADD'
}

interface StructWire {
  readonly fields: Record<string, { readonly stringValue: string }>
}

export interface CheckResponseWire {
  readonly status: { readonly code: number }
  readonly ok_response?: {
    readonly headers: readonly HeaderValueOptionWire[]
    readonly headers_to_remove: readonly string[]
  }
  readonly denied_response?: {
    readonly status: { readonly code: number }
    readonly headers: readonly HeaderValueOptionWire[]
    readonly body: string
  }
  readonly dynamic_metadata: StructWire
}

const STATUS_OK = Object.freeze({ code: 0 })
const APPEND_FALSE = Object.freeze({ value: false })
const grpcStatuses = new Map<number, { readonly code: number }>()
const httpStatuses = new Map<number, { readonly code: number }>()
/** Decider header lists are usually shared constants: convert each list once. */
const headerOptionsCache = new WeakMap<readonly HeaderEntry[], readonly HeaderValueOptionWire[]>()
const EMPTY: readonly never[] = Object.freeze([])

function statusOf(cache: Map<number, { readonly code: number }>, code: number) {
  let s = cache.get(code)
  if (s === undefined) cache.set(code, (s = Object.freeze({ code })))
  return s
}

function headerOptions(headers: readonly HeaderEntry[]): readonly HeaderValueOptionWire[] {
  if (headers.length === 0) return EMPTY
  let out = headerOptionsCache.get(headers)
  if (out === undefined) {
    out = headers.map((h) => ({
      header: { key: h.name, value: h.value },
      append: APPEND_FALSE,
      // Set, replacing any client-sent value: a client must never pre-seed identity headers.
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const,
    }))
    headerOptionsCache.set(headers, out)
  }
  return out
}

/**
 * Dynamic metadata (namespace `envoy.filters.http.ext_authz` in Envoy): the outcome's metadata
 * plus `decision`, `code`, `api` and a `decision_id` (the request id unless the decider set one),
 * so access logs and later filters can correlate with our logs.
 */
function metadataStruct(outcome: CheckOutcome, requestId: string): StructWire {
  // Null prototype: a metadata key such as `__proto__` stays a plain field.
  const fields = Object.create(null) as Record<string, { readonly stringValue: string }>
  for (const k of Object.keys(outcome.metadata)) {
    fields[k] = { stringValue: outcome.metadata[k] ?? '' }
  }
  fields.decision = { stringValue: outcome.allowed ? 'allow' : 'deny' }
  fields.code = { stringValue: outcome.code }
  if (outcome.api !== undefined) fields.api = { stringValue: outcome.api }
  fields.decision_id ??= { stringValue: requestId }
  return { fields }
}

export function toCheckResponse(outcome: CheckOutcome, requestId: string): CheckResponseWire {
  if (outcome.allowed) {
    return {
      status: STATUS_OK,
      ok_response: {
        headers: headerOptions(outcome.upstreamHeaders),
        headers_to_remove: outcome.headersToRemove,
      },
      dynamic_metadata: metadataStruct(outcome, requestId),
    }
  }
  return {
    status: statusOf(grpcStatuses, outcome.grpcCode),
    denied_response: {
      status: statusOf(httpStatuses, outcome.httpStatus),
      headers: headerOptions(outcome.headers),
      body: outcome.body,
    },
    dynamic_metadata: metadataStruct(outcome, requestId),
  }
}
