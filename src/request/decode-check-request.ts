/**
 * Hand-rolled CheckRequest decoder: raw `envoy.service.auth.v3.CheckRequest` bytes straight to the
 * RequestParseResult, without a generic protobuf decode + toObject.
 *
 * Its contract is the proto3 wire format (protobuf.dev/programming-guides/encoding), read strictly,
 * because a parser that is lenient where others are strict is a place for two readers of the same
 * bytes to disagree. Any violation below makes the whole request ERR_REQUEST_MALFORMED:
 *
 * - a varint is at most 10 bytes and carries no bits beyond 64 (its 10th byte is 0 or 1); a 32-bit
 *   field keeps the low 32 bits of a longer varint, as the spec's casts do;
 * - a tag is a varint below 2³² with a field number ≥ 1 and a wire type of VARINT (0), I64 (1),
 *   LEN (2) or I32 (5): groups (3, 4) do not exist in proto3, 6 and 7 are not wire types;
 * - every varint, fixed-width value and LEN payload lies inside its enclosing message (a length
 *   running past it is truncation, not something to clamp);
 * - a known field arrives with its declared wire type (no field we read is a packable scalar);
 *   unknown field numbers are skipped by wire type;
 * - a `string` field is valid UTF-8 (the proto3 rule; replacing bad bytes with U+FFFD would
 *   change what a signature or a policy compares);
 * - message nesting is at most 100 deep (the common implementations' recursion limit).
 *
 * Where the spec leaves room, we refuse rather than pick a reading that another parser might not:
 * - a singular message field occurring twice in one message: the spec merges the two, a naive
 *   decoder (protobufjs among them) keeps the last; Envoy never sends either;
 * - a key occurring twice in `http.headers` or `context_extensions`: the spec keeps the last value;
 *   Envoy joins repeated headers into one entry, so a second entry is not a request it sends.
 * Repeated singular scalars keep the last value, as the spec says. Map entries keep the order in
 * which they arrive: RequestContext.headers is "in the order received".
 *
 * Only what fromCheckRequest reads is kept; every other field (destination, time, metadata
 * Structs, ...) is still walked and checked against the same rules. The kept fields are handed to
 * fromCheckRequest, so translation rules stay in one place. `decode-check-request.test.ts` checks
 * the rules against an independent reference reader and proves the results equal to protobufjs's
 * on every encoding both accept. Field numbers: envoy/service/auth/v3/{external_auth,
 * attribute_context}.proto, envoy/config/core/v3/{address,base}.proto,
 * google/protobuf/{struct,timestamp,any}.proto.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer'
import type {
  AttributeContextWire,
  CheckRequestWire,
  HttpRequestWire,
  PeerWire,
} from './from-check-request.js'
import { DecodedHeaders, fromCheckRequest } from './from-check-request.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type RequestParseResult,
} from './request-parse-result.js'

/** Node's Buffer UTF-8 decoder without toString's argument checks (not in @types/node). */
type Utf8SliceBuffer = Buffer & { utf8Slice(start: number, end: number): string }

/** What the server answers for bytes that are not a valid CheckRequest encoding. */
export const UNDECODABLE_RESULT: RequestParseResult = Object.freeze({
  ok: false,
  code: 'ERR_REQUEST_MALFORMED',
  detail: 'CheckRequest bytes could not be decoded',
  requestId: 'undecodable',
})

/** Nesting depth beyond which a message is refused (the usual protobuf recursion limit). */
export const MAX_MESSAGE_DEPTH = 100

/** A decoding failure; caught in decodeCheckRequest, never escapes. */
class Malformed extends Error {}
/** One instance: bytes from the network should not buy a stack trace each. */
const MALFORMED = new Malformed('CheckRequest is not a valid proto3 encoding')

function malformed(): never {
  throw MALFORMED
}

const VARINT = 0
const I64 = 1
const LEN = 2
const I32 = 5

/** The buffer, the read position and the end of the message being read. */
class Wire {
  pos = 0
  constructor(
    readonly buf: Utf8SliceBuffer,
    public end: number,
  ) {}
}

type StringMap = Map<string, string>
type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type HeaderValueWire = Mutable<
  NonNullable<NonNullable<HttpRequestWire['header_map']>['headers']>[number]
>

/** A varint inside the current message: ≤ 10 bytes, nothing beyond 64 bits. */
function varint(w: Wire): number {
  const pos = w.pos
  if (pos < w.end) {
    const b = w.buf[pos] ?? 0
    if (b < 0x80) {
      w.pos = pos + 1
      return b
    }
  }
  return longVarint(w)
}

/**
 * The multi-byte case. The value is exact up to 2⁵³, which is all a length or a tag can be; larger
 * values of fields we only skip need no exactness.
 */
function longVarint(w: Wire): number {
  const { buf, end } = w
  let pos = w.pos
  let value = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) malformed()
    const b = buf[pos++] ?? 0
    if (i === 9 && b > 1) malformed()
    value += (b & 0x7f) * scale
    if (b < 0x80) {
      w.pos = pos
      return value
    }
    scale *= 128
  }
  return malformed()
}

/** A tag: field number ≥ 1, below 2³², a proto3 wire type. Returns the raw tag. */
function tag(w: Wire): number {
  const t = varint(w)
  if (t < 8 || t > 0xffffffff) malformed()
  const wt = t & 7
  if (wt === 3 || wt === 4 || wt > 5) malformed()
  return t
}

/** A known field must come with its declared wire type. */
function want(t: number, wireType: number): void {
  if ((t & 7) !== wireType) malformed()
}

/** A LEN prefix: the payload must fit inside the current message. */
function length(w: Wire): number {
  const n = varint(w)
  if (n > w.end - w.pos) malformed()
  return n
}

function fixed(w: Wire, bytes: number): void {
  if (w.end - w.pos < bytes) malformed()
  w.pos += bytes
}

/** An unknown field, skipped by its wire type (tag() has already refused the others). */
function skipField(w: Wire, t: number): void {
  switch (t & 7) {
    case VARINT:
      varint(w)
      break
    case I64:
      fixed(w, 8)
      break
    case LEN: {
      // Not `w.pos += length(w)`: that reads w.pos before length() moves it past the prefix.
      const n = length(w)
      w.pos += n
      break
    }
    case I32:
      fixed(w, 4)
      break
    default:
      malformed()
  }
}

/** A `string` field. */
function str(w: Wire, t: number): string {
  want(t, LEN)
  const n = length(w)
  const start = w.pos
  w.pos = start + n
  return decodeUtf8(w.buf, start, n)
}

/**
 * Short ASCII strings decoded before (header names, methods, schemes, hosts, the values of
 * COMMON_VALUES headers), by a fingerprint of their bytes: a direct-mapped table, so its size is fixed and a miss
 * only costs the decode it would have cost anyway. A hit is verified byte for byte, so it returns
 * exactly the string the bytes decode to; it saves the decode call, and the string's hash is
 * already computed when it becomes a Map key. Only all-ASCII strings are kept (their length equals
 * their byte count), for which byte and character comparison agree.
 */
const INTERNED_SLOTS = 1024
const INTERNED_MAX_BYTES = 48
const interned: (string | undefined)[] = new Array<string | undefined>(INTERNED_SLOTS).fill(
  undefined,
)

/**
 * Headers whose values are kept in that table as well: common, and never a credential. Other
 * values (tokens, API keys, cookies, any header an authorizer may read) are always decoded, so
 * the time a request takes never tells whether another request sent the same value.
 */
const COMMON_VALUES: ReadonlySet<string> = new Set([
  ':authority',
  ':method',
  ':scheme',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-type',
  'host',
  'user-agent',
  'x-forwarded-proto',
  'x-envoy-expected-rq-timeout-ms',
])

/** A `string` field that often repeats from request to request: looked up, else decoded. */
function shortStr(w: Wire, t: number): string {
  want(t, LEN)
  const n = length(w)
  const start = w.pos
  if (n === 0 || n > INTERNED_MAX_BYTES) {
    w.pos = start + n
    return decodeUtf8(w.buf, start, n)
  }
  w.pos = start + n
  const buf = w.buf
  const slot =
    (n * 31 +
      (buf[start] ?? 0) * 131 +
      (buf[start + (n >> 1)] ?? 0) * 7 +
      (buf[start + n - 1] ?? 0)) &
    (INTERNED_SLOTS - 1)
  const known = interned[slot]
  if (known !== undefined && known.length === n) {
    let i = 0
    while (i < n && known.charCodeAt(i) === buf[start + i]) i++
    if (i === n) return known
  }
  const s = decodeUtf8(buf, start, n)
  if (s.length === n) interned[slot] = s
  return s
}

/**
 * UTF-8 bytes to a string. utf8Slice turns invalid sequences into U+FFFD; only a string holding
 * one (rare) pays for the strict check that tells a real U+FFFD from a replaced byte.
 */
function decodeUtf8(buf: Utf8SliceBuffer, start: number, n: number): string {
  const s = buf.utf8Slice(start, start + n)
  if (s.indexOf('\ufffd') !== -1 && !isUtf8(buf.subarray(start, start + n))) malformed()
  return s
}

/** A `string` field we do not keep: checked for UTF-8 all the same, ASCII without a copy. */
function skipStr(w: Wire, t: number): void {
  want(t, LEN)
  const n = length(w)
  const { buf } = w
  const start = w.pos
  const end = start + n
  w.pos = end
  for (let i = start; i < end; i++) {
    if ((buf[i] ?? 0) >= 0x80) {
      if (!isUtf8(buf.subarray(start, end))) malformed()
      return
    }
  }
}

function bytes(w: Wire, t: number): Buffer {
  want(t, LEN)
  const n = length(w)
  const start = w.pos
  w.pos = start + n
  return w.buf.subarray(start, start + n)
}

function skipVarint(w: Wire, t: number): void {
  want(t, VARINT)
  varint(w)
}

/**
 * Enters a LEN-encoded message field at nesting depth `n`: bounds the reader to it and returns
 * the outer bound for `leave`. Reads never pass `end`, so a loop `while (w.pos < w.end)` finishes
 * exactly at the message's last byte.
 */
function enter(w: Wire, t: number, n: number): number {
  want(t, LEN)
  if (n > MAX_MESSAGE_DEPTH) malformed()
  const len = length(w)
  const outer = w.end
  w.end = w.pos + len
  return outer
}

function leave(w: Wire, outer: number): void {
  w.end = outer
}

/** `http.headers` while it is read: see DecodedHeaders. */
class HeadersBuild {
  readonly all = new Map<string, string>()
  pseudoCount = 0
  lowerCase = true
  chars = 0
}

/** Whether a header name would change when lower-cased, or is not ASCII. */
function notLowerAscii(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) return true
  }
  return false
}

/**
 * One `map<string, string>` entry: key = 1, value = 2, both '' when absent. Into `target` when
 * given (a key already there is refused), else only checked. `headers` (for `http.headers`,
 * whose Map `target` is) notes what fromCheckRequest needs to keep that Map.
 */
function stringMapEntry(
  w: Wire,
  t: number,
  n: number,
  target: StringMap | undefined,
  headers?: HeadersBuild,
): void {
  const outer = enter(w, t, n)
  let k = ''
  let v = ''
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        if (target === undefined) skipStr(w, f)
        else k = shortStr(w, f)
        break
      case 2:
        if (target === undefined) skipStr(w, f)
        else v = COMMON_VALUES.has(k) ? shortStr(w, f) : str(w, f)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  if (target === undefined) return
  if (target.has(k)) malformed()
  target.set(k, v)
  if (headers !== undefined) {
    if (k.charCodeAt(0) === 0x3a) headers.pseudoCount++
    headers.chars += k.length + v.length
    if (headers.lowerCase && notLowerAscii(k)) headers.lowerCase = false
  }
}

/** One `map<string, Message>` entry, the value (field 2) walked at depth n + 1 by `value`. */
function messageMapEntry(
  w: Wire,
  t: number,
  n: number,
  value: (w: Wire, t: number, n: number) => void,
): void {
  const outer = enter(w, t, n)
  let seen = false
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        skipStr(w, f)
        break
      case 2:
        if (seen) malformed()
        seen = true
        value(w, f, n + 1)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
}

// google.protobuf.Struct { map<string, Value> fields = 1 }
function skipStruct(w: Wire, t: number, n: number): void {
  const outer = enter(w, t, n)
  while (w.pos < w.end) {
    const f = tag(w)
    if (f >>> 3 === 1) messageMapEntry(w, f, n, skipValue)
    else skipField(w, f)
  }
  leave(w, outer)
}

// google.protobuf.ListValue { repeated Value values = 1 }
function skipListValue(w: Wire, t: number, n: number): void {
  const outer = enter(w, t, n)
  while (w.pos < w.end) {
    const f = tag(w)
    if (f >>> 3 === 1) skipValue(w, f, n + 1)
    else skipField(w, f)
  }
  leave(w, outer)
}

// google.protobuf.Value { oneof { null_value=1 (enum); number_value=2 (double); string_value=3;
// bool_value=4; struct_value=5; list_value=6 } }
function skipValue(w: Wire, t: number, n: number): void {
  const outer = enter(w, t, n)
  let struct = false
  let list = false
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
      case 4:
        skipVarint(w, f)
        break
      case 2:
        want(f, I64)
        fixed(w, 8)
        break
      case 3:
        skipStr(w, f)
        break
      case 5:
        if (struct) malformed()
        struct = true
        skipStruct(w, f, n + 1)
        break
      case 6:
        if (list) malformed()
        list = true
        skipListValue(w, f, n + 1)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
}

// google.protobuf.Any { string type_url = 1; bytes value = 2 }
function skipAny(w: Wire, t: number, n: number): void {
  const outer = enter(w, t, n)
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        skipStr(w, f)
        break
      case 2:
        bytes(w, f)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
}

// config.core.v3.Metadata { map<string, Struct> filter_metadata = 1;
// map<string, Any> typed_filter_metadata = 2 }
function skipMetadata(w: Wire, t: number, n: number): void {
  const outer = enter(w, t, n)
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        messageMapEntry(w, f, n, skipStruct)
        break
      case 2:
        messageMapEntry(w, f, n, skipAny)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
}

/** Field kinds of the flat messages we never keep: string or varint, by field number − 1. */
type FlatKind = 's' | 'v'

/** Messages of strings and varints we never keep (Pipe, EnvoyInternalAddress, TLSSession, Timestamp). */
function skipFlat(w: Wire, t: number, n: number, kinds: readonly FlatKind[]): void {
  const outer = enter(w, t, n)
  while (w.pos < w.end) {
    const f = tag(w)
    const kind = kinds[(f >>> 3) - 1]
    if (kind === 's') skipStr(w, f)
    else if (kind === 'v') skipVarint(w, f)
    else skipField(w, f)
  }
  leave(w, outer)
}

const PIPE: readonly FlatKind[] = ['s', 'v'] // path = 1, mode = 2
const INTERNAL_ADDRESS: readonly FlatKind[] = ['s', 's'] // server_listener_name = 1, endpoint_id = 2
const TLS_SESSION: readonly FlatKind[] = ['s'] // sni = 1
const TIMESTAMP: readonly FlatKind[] = ['v', 'v'] // int64 seconds = 1, int32 nanos = 2

// config.core.v3.SocketAddress { protocol=1 (enum); address=2; oneof { port_value=3;
// named_port=4 }; resolver_name=5; ipv4_compat=6 (bool) }; returns the address when kept.
function socketAddress(w: Wire, t: number, n: number, keep: boolean): { address?: string } {
  const outer = enter(w, t, n)
  const out: { address?: string } = {}
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
      case 3:
      case 6:
        skipVarint(w, f)
        break
      case 2:
        if (keep) out.address = str(w, f)
        else skipStr(w, f)
        break
      case 4:
      case 5:
        skipStr(w, f)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  return out
}

// config.core.v3.Address { oneof { socket_address=1; pipe=2; envoy_internal_address=3 } }
function address(w: Wire, t: number, n: number, keep: boolean): NonNullable<PeerWire['address']> {
  const outer = enter(w, t, n)
  const out: Mutable<NonNullable<PeerWire['address']>> = {}
  let pipe = false
  let internal = false
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        if (out.socket_address !== undefined) malformed()
        out.socket_address = socketAddress(w, f, n + 1, keep)
        break
      case 2:
        if (pipe) malformed()
        pipe = true
        skipFlat(w, f, n + 1, PIPE)
        break
      case 3:
        if (internal) malformed()
        internal = true
        skipFlat(w, f, n + 1, INTERNAL_ADDRESS)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  return out
}

// AttributeContext.Peer { address=1; service=2; map labels=3; principal=4; certificate=5 }
function peer(w: Wire, t: number, n: number, keep: boolean): PeerWire {
  const outer = enter(w, t, n)
  const out: Mutable<PeerWire> = {}
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        if (out.address !== undefined) malformed()
        out.address = address(w, f, n + 1, keep)
        break
      case 3:
        stringMapEntry(w, f, n, undefined)
        break
      case 4:
        if (keep) out.principal = str(w, f)
        else skipStr(w, f)
        break
      case 2:
      case 5:
        skipStr(w, f)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  return out
}

// config.core.v3.HeaderValue { key=1; value=2; bytes raw_value=3 }
function headerValue(w: Wire, t: number, n: number): HeaderValueWire {
  const outer = enter(w, t, n)
  const out: HeaderValueWire = {}
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        out.key = shortStr(w, f)
        break
      case 2:
        out.value = out.key !== undefined && COMMON_VALUES.has(out.key) ? shortStr(w, f) : str(w, f)
        break
      case 3:
        out.raw_value = bytes(w, f)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  return out
}

// config.core.v3.HeaderMap { repeated HeaderValue headers = 1 }
function headerMap(w: Wire, t: number, n: number): NonNullable<HttpRequestWire['header_map']> {
  const outer = enter(w, t, n)
  let headers: HeaderValueWire[] | undefined
  while (w.pos < w.end) {
    const f = tag(w)
    if (f >>> 3 === 1) (headers ??= []).push(headerValue(w, f, n + 1))
    else skipField(w, f)
  }
  leave(w, outer)
  return headers === undefined ? {} : { headers }
}

// AttributeContext.HttpRequest { id=1; method=2; map headers=3; path=4; host=5; scheme=6;
// query=7; fragment=8; int64 size=9; protocol=10; body=11; bytes raw_body=12;
// HeaderMap header_map=13 }
function httpRequest(w: Wire, t: number, n: number): HttpRequestWire {
  const outer = enter(w, t, n)
  const out: Mutable<HttpRequestWire> = {}
  let headers: HeadersBuild | undefined
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        out.id = str(w, f)
        break
      case 2:
        out.method = shortStr(w, f)
        break
      case 3:
        headers ??= new HeadersBuild()
        stringMapEntry(w, f, n, headers.all, headers)
        break
      case 4:
        out.path = str(w, f)
        break
      case 5:
        out.host = shortStr(w, f)
        break
      case 6:
        out.scheme = shortStr(w, f)
        break
      case 7:
      case 8:
        skipStr(w, f)
        break
      case 9:
        skipVarint(w, f)
        break
      case 10:
        out.protocol = shortStr(w, f)
        break
      case 11:
        out.body = str(w, f)
        break
      case 12:
        out.raw_body = bytes(w, f)
        break
      case 13:
        if (out.header_map !== undefined) malformed()
        out.header_map = headerMap(w, f, n + 1)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  if (headers !== undefined) {
    out.headers = new DecodedHeaders(
      headers.all,
      headers.pseudoCount,
      headers.lowerCase,
      headers.chars,
    )
  }
  return out
}

// AttributeContext.Request { Timestamp time = 1; HttpRequest http = 2 }
function request(w: Wire, t: number, n: number): NonNullable<AttributeContextWire['request']> {
  const outer = enter(w, t, n)
  let http: HttpRequestWire | undefined
  let time = false
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        if (time) malformed()
        time = true
        skipFlat(w, f, n + 1, TIMESTAMP)
        break
      case 2:
        if (http !== undefined) malformed()
        http = httpRequest(w, f, n + 1)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  return http === undefined ? {} : { http }
}

// AttributeContext { source=1; destination=2; request=4; map context_extensions=10;
// metadata_context=11; tls_session=12; route_metadata_context=13 }
function attributeContext(w: Wire, t: number, n: number): AttributeContextWire {
  const outer = enter(w, t, n)
  const out: Mutable<AttributeContextWire> = {}
  let ext: StringMap | undefined
  // Bit per skipped singular message field seen: destination, metadata, TLS, route metadata.
  let skipped = 0
  while (w.pos < w.end) {
    const f = tag(w)
    switch (f >>> 3) {
      case 1:
        if (out.source !== undefined) malformed()
        out.source = peer(w, f, n + 1, true)
        break
      case 2:
        if ((skipped & 1) !== 0) malformed()
        skipped |= 1
        peer(w, f, n + 1, false)
        break
      case 4:
        if (out.request !== undefined) malformed()
        out.request = request(w, f, n + 1)
        break
      case 10:
        stringMapEntry(w, f, n, (ext ??= new Map<string, string>()))
        break
      case 11:
        if ((skipped & 2) !== 0) malformed()
        skipped |= 2
        skipMetadata(w, f, n + 1)
        break
      case 12:
        if ((skipped & 4) !== 0) malformed()
        skipped |= 4
        skipFlat(w, f, n + 1, TLS_SESSION)
        break
      case 13:
        if ((skipped & 8) !== 0) malformed()
        skipped |= 8
        skipMetadata(w, f, n + 1)
        break
      default:
        skipField(w, f)
    }
  }
  leave(w, outer)
  if (ext !== undefined) out.context_extensions = ext
  return out
}

// CheckRequest { AttributeContext attributes = 1 }: the top level runs to the end of the buffer.
function checkRequest(w: Wire): CheckRequestWire {
  let attributes: AttributeContextWire | undefined
  while (w.pos < w.end) {
    const f = tag(w)
    if (f >>> 3 === 1) {
      if (attributes !== undefined) malformed()
      attributes = attributeContext(w, f, 1)
    } else skipField(w, f)
  }
  return attributes === undefined ? {} : { attributes }
}

/**
 * CheckRequest bytes → RequestParseResult: UNDECODABLE_RESULT for bytes that break the wire rules
 * above, else fromCheckRequest of the decoded fields. Never throws.
 */
export function decodeCheckRequest(
  bytes: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  nowMs: number = Date.now(),
): RequestParseResult {
  let wire: CheckRequestWire
  try {
    // grpc-js hands us a Buffer; a plain Uint8Array gets a Buffer view for utf8Slice.
    const buf = (
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    ) as Utf8SliceBuffer
    wire = checkRequest(new Wire(buf, buf.length))
  } catch {
    // MALFORMED, or a decoder bug: either way the request is not understood, so it is denied.
    return UNDECODABLE_RESULT
  }
  return fromCheckRequest(wire, limits, nowMs)
}
