/**
 * Hand-rolled protobuf encoder: CheckOutcome → `envoy.service.auth.v3.CheckResponse` bytes, in
 * one buffer, without an intermediate message object. The generic path (protobufjs fromObject +
 * encode) costs ~18 µs per answer, mostly on the Struct and header lists; the parts that repeat
 * (status, the header lists deciders and caches hand out as the same arrays, the ok_response built
 * from them) are encoded once and copied.
 *
 * The mapping (what every outcome field becomes on the wire) is spelled out as a plain message in
 * test/helpers/check-response-wire.ts; `encode-check-response.test.ts` proves our bytes identical
 * to protobufjs's encoding of that message, on random outcomes. Like protobufjs, every field the
 * message sets is written, even when it holds the proto3 default. Field numbers cite
 * envoy/service/auth/v3/external_auth.proto, envoy/config/core/v3/base.proto and
 * google/protobuf/struct.proto.
 *
 * @module
 */
import type {
  AllowOutcome,
  CheckOutcome,
  DenyOutcome,
  HeaderEntry,
} from '../decision/check-outcome.js'

const LEN = 2
const VARINT = 0
/** HeaderValueOption.append_action OVERWRITE_IF_EXISTS_OR_ADD: a client never pre-seeds a header. */
const OVERWRITE_IF_EXISTS_OR_ADD = 2

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType
}

function varintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

/** Byte size of a length-delimited field (1-byte tag) whose content is `n` bytes. */
function lenFieldSize(n: number): number {
  return 1 + varintSize(n) + n
}

/**
 * Strings up to this length are measured and written by a JS loop when they are ASCII: header
 * names, claim values, codes and ids are short, and for them a call into Buffer's native UTF-8
 * routines costs more than the loop: encoding an uncached token's answer (9 headers plus the
 * metadata) went from ≈ 9.5 to ≈ 5 µs. Longer or non-ASCII strings take the native path.
 */
const SHORT = 64

/** UTF-8 byte length of `s`. */
export function utf8Size(s: string): number {
  const n = s.length
  if (n > SHORT) return Buffer.byteLength(s, 'utf8')
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8')
  }
  return n
}

/**
 * Thrown when a writer did not fill its buffer exactly. The buffers come from Buffer's shared pool
 * (allocUnsafe): bytes a sizing bug leaves unwritten still hold another request's data, so such a
 * buffer must never be sent. The servers answer their internal-error deny instead.
 */
export class EncodeLengthError extends Error {
  constructor(written: number, allocated: number) {
    super(`encoder wrote ${String(written)} bytes into a ${String(allocated)}-byte buffer`)
    this.name = 'EncodeLengthError'
  }
}

/** Growable-free writer: callers size the buffer exactly first, and finish() proves they did. */
class Writer {
  pos = 0
  constructor(readonly buf: Buffer) {}
  /** The buffer, once every allocated byte has been written (else EncodeLengthError). */
  finish(): Buffer {
    if (this.pos !== this.buf.length) throw new EncodeLengthError(this.pos, this.buf.length)
    return this.buf
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }
  /** Tag + length of a length-delimited field whose content follows. */
  lenHeader(field: number, length: number): void {
    this.varint(tag(field, LEN))
    this.varint(length)
  }
  raw(b: Buffer): void {
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }
  /** A string field whose UTF-8 byte length (utf8Size) the caller already knows. */
  string(field: number, s: string, byteLength: number): void {
    this.lenHeader(field, byteLength)
    const n = s.length
    if (byteLength === n && n <= SHORT) {
      // ASCII (byte length = UTF-16 length): one byte per code unit.
      const buf = this.buf
      let pos = this.pos
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i)
      this.pos = pos
      return
    }
    // write() silently stops at the buffer's end: a string longer than measured must not pass.
    const written = this.buf.write(s, this.pos, 'utf8')
    if (written !== byteLength) throw new EncodeLengthError(written, byteLength)
    this.pos += written
  }
}

/**
 * repeated HeaderValueOption at `field`: {header(1): HeaderValue{key(1), value(2)},
 * append(2): BoolValue{value(1): false}, append_action(3)}. The BoolValue is present (so Envoy's
 * `has_append()` is true, read by Envoys older than 1.22) with an explicit false.
 */
function encodeHeaderOptions(field: number, headers: readonly HeaderEntry[]): Buffer {
  const sizes: number[] = []
  let total = 0
  for (const h of headers) {
    const k = utf8Size(h.name)
    const v = utf8Size(h.value)
    const headerValue = lenFieldSize(k) + lenFieldSize(v)
    const option = lenFieldSize(headerValue) + lenFieldSize(2) + 2
    sizes.push(k, v, headerValue, option)
    total += lenFieldSize(option)
  }
  const w = new Writer(Buffer.allocUnsafe(total))
  let i = 0
  for (const h of headers) {
    const k = sizes[i++] ?? 0
    const v = sizes[i++] ?? 0
    const headerValue = sizes[i++] ?? 0
    w.lenHeader(field, sizes[i++] ?? 0)
    w.lenHeader(1, headerValue)
    w.string(1, h.name, k)
    w.string(2, h.value, v)
    w.lenHeader(2, 2)
    w.varint(tag(1, VARINT))
    w.varint(0)
    w.varint(tag(3, VARINT))
    w.varint(OVERWRITE_IF_EXISTS_OR_ADD)
  }
  return w.finish()
}

/** One length-delimited field holding `content`. */
function lenField(field: number, content: Buffer): Buffer {
  const w = new Writer(Buffer.allocUnsafe(lenFieldSize(content.length)))
  w.lenHeader(field, content.length)
  w.raw(content)
  return w.finish()
}

/** One varint field. */
function varintField(field: number, n: number): Buffer {
  const w = new Writer(Buffer.allocUnsafe(varintSize(tag(field, VARINT)) + varintSize(n)))
  w.varint(tag(field, VARINT))
  w.varint(n)
  return w.finish()
}

const statusCache = new Map<number, Buffer>()
/** google.rpc.Status{code(1)} at CheckResponse field 1. */
function statusBytes(code: number): Buffer {
  let b = statusCache.get(code)
  if (b === undefined) {
    b = lenField(1, varintField(1, code))
    statusCache.set(code, b)
  }
  return b
}

/**
 * ok_response (field 3) for headers only, per frozen header array: flows and caches hand out the
 * same frozen array for the same identity (allow-response.ts), so this is encoded once per identity.
 */
const okBytesCache = new WeakMap<readonly HeaderEntry[], Buffer>()

/** OkHttpResponse{headers(2), headers_to_remove(5)} at CheckResponse field 3. */
function okResponseBytes(o: AllowOutcome): Buffer {
  const remove = o.headersToRemove
  // Only shared (frozen) header lists are worth a cache entry; per-request ones are not.
  if (remove.length === 0 && Object.isFrozen(o.upstreamHeaders)) {
    let b = okBytesCache.get(o.upstreamHeaders)
    if (b === undefined) {
      b = lenField(3, encodeHeaderOptions(2, o.upstreamHeaders))
      okBytesCache.set(o.upstreamHeaders, b)
    }
    return b
  }
  const headers = encodeHeaderOptions(2, o.upstreamHeaders)
  let size = headers.length
  for (const name of remove) size += lenFieldSize(utf8Size(name))
  const w = new Writer(Buffer.allocUnsafe(lenFieldSize(size)))
  w.lenHeader(3, size)
  w.raw(headers)
  for (const name of remove) w.string(5, name, utf8Size(name))
  return w.finish()
}

/**
 * denied_response (field 2) per (header array, status, body): deniers reuse constant header
 * arrays, and bodies repeat (fixed texts; principal texts per caller and method). Bounded.
 */
const deniedBytesCache = new WeakMap<readonly HeaderEntry[], Map<string, Buffer>>()
const DENIED_PER_HEADERS_MAX = 512

/** DeniedHttpResponse{status(1): HttpStatus{code(1)}, headers(2), body(3)} at field 2. */
function deniedResponseBytes(o: DenyOutcome): Buffer {
  // Only shared (frozen) header arrays are worth a cache entry; per-request ones are not.
  const cacheable = Object.isFrozen(o.headers)
  let byBody = cacheable ? deniedBytesCache.get(o.headers) : undefined
  const key = `${String(o.httpStatus)} ${o.body}`
  const cached = byBody?.get(key)
  if (cached !== undefined) return cached
  const status = lenField(1, varintField(1, o.httpStatus))
  const headers = encodeHeaderOptions(2, o.headers)
  const bodyLen = Buffer.byteLength(o.body, 'utf8')
  const size = status.length + headers.length + lenFieldSize(bodyLen)
  const w = new Writer(Buffer.allocUnsafe(lenFieldSize(size)))
  w.lenHeader(2, size)
  w.raw(status)
  w.raw(headers)
  w.string(3, o.body, bodyLen)
  const bytes = w.finish()
  if (!cacheable) return bytes
  if (byBody === undefined) deniedBytesCache.set(o.headers, (byBody = new Map<string, Buffer>()))
  if (byBody.size >= DENIED_PER_HEADERS_MAX) byBody.clear()
  byBody.set(key, bytes)
  return bytes
}

/**
 * The dynamic_metadata Struct's (key, value) list, in wire order: the outcome's metadata keys
 * (`decision`, `code` and `api` take the outcome's own values where the metadata names them
 * too), then `decision`, `code`, `api` (when known) and `decision_id` (the request id unless the
 * decider set one) where the metadata does not name them. Appended to `out` as key, value pairs.
 */
function metadataEntries(o: CheckOutcome, requestId: string, out: string[]): void {
  const md = o.metadata
  const decision = o.allowed ? 'allow' : 'deny'
  let hasDecision = false
  let hasCode = false
  let hasApi = false
  let hasId = false
  for (const k of Object.keys(md)) {
    let v = md[k] ?? ''
    if (k === 'decision') {
      hasDecision = true
      v = decision
    } else if (k === 'code') {
      hasCode = true
      v = o.code
    } else if (k === 'api') {
      if (o.api !== undefined) {
        hasApi = true
        v = o.api
      }
    } else if (k === 'decision_id') {
      hasId = true
    }
    out.push(k, v)
  }
  if (!hasDecision) out.push('decision', decision)
  if (!hasCode) out.push('code', o.code)
  if (o.api !== undefined && !hasApi) out.push('api', o.api)
  if (!hasId) out.push('decision_id', requestId)
}

/**
 * CheckOutcome → CheckResponse bytes: status(1), then denied_response(2) or ok_response(3), then
 * dynamic_metadata(4) as a `google.protobuf.Struct` whose values are all `string_value(3)`.
 * Call only with an outcome `outcomeProblem()` accepted. Throws EncodeLengthError rather than
 * return a buffer it did not fill exactly.
 */
export function encodeOutcome(o: CheckOutcome, requestId: string): Buffer {
  const status = statusBytes(o.allowed ? 0 : o.grpcCode)
  const response = o.allowed ? okResponseBytes(o) : deniedResponseBytes(o)
  const entries: string[] = []
  metadataEntries(o, requestId, entries)
  // Sizes per entry: key, value, Value message, map entry (4 numbers each).
  const sizes: number[] = []
  let structSize = 0
  for (let i = 0; i < entries.length; i += 2) {
    const keyLen = utf8Size(entries[i] ?? '')
    const valLen = utf8Size(entries[i + 1] ?? '')
    const valueMsg = lenFieldSize(valLen) // Value{string_value(3)}
    const entry = lenFieldSize(keyLen) + lenFieldSize(valueMsg) // MapEntry{key(1), value(2)}
    sizes.push(keyLen, valLen, valueMsg, entry)
    structSize += lenFieldSize(entry)
  }
  const w = new Writer(
    Buffer.allocUnsafe(status.length + response.length + lenFieldSize(structSize)),
  )
  w.raw(status)
  w.raw(response)
  w.lenHeader(4, structSize)
  let s = 0
  for (let i = 0; i < entries.length; i += 2) {
    const keyLen = sizes[s++] ?? 0
    const valLen = sizes[s++] ?? 0
    const valueMsg = sizes[s++] ?? 0
    w.lenHeader(1, sizes[s++] ?? 0)
    w.string(1, entries[i] ?? '', keyLen)
    w.lenHeader(2, valueMsg)
    w.string(3, entries[i + 1] ?? '', valLen)
  }
  return w.finish()
}
