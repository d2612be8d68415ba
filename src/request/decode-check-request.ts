/**
 * Hand-rolled CheckRequest decoder: raw `envoy.service.auth.v3.CheckRequest` bytes straight to the
 * RequestParseResult, without protobufjs's generic decode + toObject (bench/pipeline-bench.ts
 * prints both side by side).
 *
 * It walks the message with protobufjs's own BufferReader, in the same order and with the same
 * bounds, depth and length checks as the decoder protobufjs 7 generates for our `proto/` subset
 * (see node_modules/protobufjs/src/decoder.js), so it accepts and rejects exactly the byte strings
 * the generic path does, and reads strings the same way (Buffer utf8Slice: invalid UTF-8 becomes
 * U+FFFD; a string overrunning its message is clamped, not an error). Known fields are read as
 * their declared type whatever the wire type says (protobufjs does not check it); unknown fields
 * are skipped with Reader.skipType. Only what fromCheckRequest reads is kept; every other known
 * field (destination, time, metadata Structs, ...) is still walked, because a malformed one makes
 * the generic decoder throw. The kept fields are handed to fromCheckRequest, so translation rules
 * stay in one place. `decode-check-request.test.ts` proves the results equal on random and
 * corrupted requests. Field numbers: envoy/service/auth/v3/{external_auth,attribute_context}.proto,
 * envoy/config/core/v3/{address,base}.proto, google/protobuf/{struct,timestamp,any}.proto.
 *
 * @module
 */
import protobuf from 'protobufjs/minimal.js'
import type {
  AttributeContextWire,
  CheckRequestWire,
  HttpRequestWire,
  PeerWire,
} from './from-check-request.js'
import { fromCheckRequest } from './from-check-request.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type RequestParseResult,
} from './request-parse-result.js'

type Reader = protobuf.Reader
/** Node's Buffer UTF-8 decoder that BufferReader.string() calls (not in @types/node). */
type Utf8SliceBuffer = Buffer & { utf8Slice(start: number, end: number): string }
const { Reader } = protobuf

/** What the server answers for bytes that are not a CheckRequest (the generic decoder threw). */
export const UNDECODABLE_RESULT: RequestParseResult = Object.freeze({
  ok: false,
  code: 'ERR_REQUEST_MALFORMED',
  detail: 'CheckRequest bytes could not be decoded',
  requestId: 'undecodable',
})

/** A decoding failure; caught in decodeCheckRequest, never escapes. */
class Malformed extends Error {}

/** map<string, string> fields decode into a Map: cheaper than an object with dynamic keys. */
type StringMap = Map<string, string>
type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type HeaderValueWire = Mutable<
  NonNullable<NonNullable<HttpRequestWire['header_map']>['headers']>[number]
>

/**
 * Enters a length-delimited message of nesting depth `n`, like the generated decoder: bounds the
 * reader to the message and returns the outer bound to restore with `leave`.
 */
function enter(r: Reader, n: number): number {
  if (n > Reader.recursionLimit) throw new Malformed('maximum nesting depth exceeded')
  const end = r.uint32() + r.pos
  if (end > r.len) throw new Malformed('index out of range')
  const outer = r.len
  r.len = end
  return outer
}

function leave(r: Reader, outer: number): void {
  if (r.pos !== r.len) throw new Malformed('index out of range')
  r.len = outer
}

/**
 * BufferReader.string(), inlined: a length, then the bytes decoded with Buffer's UTF-8 decoder
 * (invalid sequences become U+FFFD), clamped to the current message bound rather than rejected.
 */
function readString(r: Reader): string {
  const len = r.uint32()
  const start = r.pos
  const end = Math.min(start + len, r.len)
  r.pos = end
  return (r.buf as Utf8SliceBuffer).utf8Slice(start, end)
}

/** BufferReader.string() without building the string (utf8Slice never throws). */
function skipString(r: Reader): void {
  const len = r.uint32()
  r.pos = Math.min(r.pos + len, r.len)
}

/** Reader.bytes() without the slice. */
function skipBytes(r: Reader): void {
  const len = r.uint32()
  if (r.pos + len > r.len) throw new Malformed('index out of range')
  r.pos += len
}

/**
 * One `map<string, string>` entry at the current position, into `target` when given. Mirrors the
 * generated map code: key and value default to '', the entry must end exactly at its bound.
 */
function mapEntry(r: Reader, n: number, target: StringMap | undefined): void {
  const end = r.uint32() + r.pos
  if (end > r.len) throw new Malformed('index out of range')
  const outer = r.len
  r.len = end
  let k = ''
  let v = ''
  while (r.pos < end) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        if (target === undefined) skipString(r)
        else k = readString(r)
        break
      case 2:
        if (target === undefined) skipString(r)
        else v = readString(r)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  if (r.pos !== end) throw new Malformed('index out of range')
  r.len = outer
  // Last value wins at the key's first position: what protobufjs's object gives (fromCheckRequest
  // restores the object's integer-keys-first order where it matters).
  target?.set(k, v)
}

/**
 * A skipped message reports whether it is "poisoned": whether its final state (last occurrence
 * of singular fields, last value per map key) holds a map entry of message type whose value was
 * absent. protobufjs decodes such an entry to `null` and then throws in toObject, so the generic
 * path answers undecodable for it, and so must we.
 */
type Poisoned = boolean

/**
 * One `map<string, Message>` entry into `finals` (key → poisoned). The value is decoded at depth
 * n + 1 by `value`; an entry without a value stores null in protobufjs, hence poison.
 */
function messageMapEntry(
  r: Reader,
  n: number,
  finals: Map<string, Poisoned>,
  value: (r: Reader, n: number) => Poisoned,
): void {
  const end = r.uint32() + r.pos
  if (end > r.len) throw new Malformed('index out of range')
  const outer = r.len
  r.len = end
  let k = ''
  let v: Poisoned = true
  while (r.pos < end) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        k = readString(r)
        break
      case 2:
        v = value(r, n + 1)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  if (r.pos !== end) throw new Malformed('index out of range')
  r.len = outer
  finals.set(k, v)
}

function anyPoisoned(finals: Map<string, Poisoned> | undefined): Poisoned {
  if (finals !== undefined) for (const p of finals.values()) if (p) return true
  return false
}

function newMap(): StringMap {
  return new Map<string, string>()
}

// google.protobuf.Struct { map<string, Value> fields = 1 }
function skipStruct(r: Reader, n: number): Poisoned {
  const outer = enter(r, n)
  let fields: Map<string, Poisoned> | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    if (t >>> 3 === 1) messageMapEntry(r, n, (fields ??= new Map<string, Poisoned>()), skipValue)
    else r.skipType(t & 7, n)
  }
  leave(r, outer)
  return anyPoisoned(fields)
}

// google.protobuf.ListValue { repeated Value values = 1 }
function skipListValue(r: Reader, n: number): Poisoned {
  const outer = enter(r, n)
  let poisoned = false
  while (r.pos < r.len) {
    const t = r.uint32()
    if (t >>> 3 === 1) poisoned = skipValue(r, n + 1) || poisoned
    else r.skipType(t & 7, n)
  }
  leave(r, outer)
  return poisoned
}

// google.protobuf.Value { null_value=1 (enum), number_value=2 (double), string_value=3,
// bool_value=4, struct_value=5, list_value=6 }. Decoding does not clear the other members of the
// oneof, and toObject visits each one set, so both struct_value and list_value count.
function skipValue(r: Reader, n: number): Poisoned {
  const outer = enter(r, n)
  let struct: Poisoned = false
  let list: Poisoned = false
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        r.int32()
        break
      case 2:
        r.double()
        break
      case 3:
        skipString(r)
        break
      case 4:
        r.bool()
        break
      case 5:
        struct = skipStruct(r, n + 1)
        break
      case 6:
        list = skipListValue(r, n + 1)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return struct || list
}

// google.protobuf.Any { string type_url = 1; bytes value = 2 }
function skipAny(r: Reader, n: number): Poisoned {
  const outer = enter(r, n)
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        skipString(r)
        break
      case 2:
        skipBytes(r)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return false
}

// config.core.v3.Metadata { map<string, Struct> filter_metadata = 1;
// map<string, Any> typed_filter_metadata = 2 }
function skipMetadata(r: Reader, n: number): Poisoned {
  const outer = enter(r, n)
  let filter: Map<string, Poisoned> | undefined
  let typed: Map<string, Poisoned> | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        messageMapEntry(r, n, (filter ??= new Map<string, Poisoned>()), skipStruct)
        break
      case 2:
        messageMapEntry(r, n, (typed ??= new Map<string, Poisoned>()), skipAny)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return anyPoisoned(filter) || anyPoisoned(typed)
}

/** Messages of strings and varints we never keep (Pipe, EnvoyInternalAddress, TLSSession, Timestamp). */
function skipFlat(r: Reader, n: number, kinds: readonly ('s' | 'u32' | 'i64' | 'i32')[]): void {
  const outer = enter(r, n)
  while (r.pos < r.len) {
    const t = r.uint32()
    const kind = kinds[(t >>> 3) - 1]
    if (kind === 's') skipString(r)
    else if (kind === 'u32') r.uint32()
    else if (kind === 'i32') r.int32()
    else if (kind === 'i64') r.int64()
    else r.skipType(t & 7, n)
  }
  leave(r, outer)
}

const PIPE = ['s', 'u32'] as const // path = 1, mode = 2
const INTERNAL_ADDRESS = ['s', 's'] as const // server_listener_name = 1, endpoint_id = 2
const TLS_SESSION = ['s'] as const // sni = 1
const TIMESTAMP = ['i64', 'i32'] as const // seconds = 1, nanos = 2

// config.core.v3.SocketAddress { protocol=1 (enum), address=2, port_value=3, named_port=4,
// resolver_name=5, ipv4_compat=6 (bool) }; returns the address when present.
function socketAddress(r: Reader, n: number, keep: boolean): { address?: string } {
  const outer = enter(r, n)
  const out: { address?: string } = {}
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        r.int32()
        break
      case 2:
        if (keep) out.address = readString(r)
        else skipString(r)
        break
      case 3:
        r.uint32()
        break
      case 4:
      case 5:
        skipString(r)
        break
      case 6:
        r.bool()
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return out
}

// config.core.v3.Address { oneof { socket_address=1; pipe=2; envoy_internal_address=3 } }
function address(r: Reader, n: number, keep: boolean): NonNullable<PeerWire['address']> {
  const outer = enter(r, n)
  const out: Mutable<NonNullable<PeerWire['address']>> = {}
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        out.socket_address = socketAddress(r, n + 1, keep)
        break
      case 2:
        skipFlat(r, n + 1, PIPE)
        break
      case 3:
        skipFlat(r, n + 1, INTERNAL_ADDRESS)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return out
}

// AttributeContext.Peer { address=1; service=2; map labels=3; principal=4; certificate=5 }
function peer(r: Reader, n: number, keep: boolean): PeerWire {
  const outer = enter(r, n)
  const out: Mutable<PeerWire> = {}
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        out.address = address(r, n + 1, keep)
        break
      case 3:
        mapEntry(r, n, undefined)
        break
      case 4:
        if (keep) out.principal = readString(r)
        else skipString(r)
        break
      case 2:
      case 5:
        skipString(r)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return out
}

// config.core.v3.HeaderValue { key=1; value=2; bytes raw_value=3 }
function headerValue(r: Reader, n: number): HeaderValueWire {
  const outer = enter(r, n)
  const out: HeaderValueWire = {}
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        out.key = readString(r)
        break
      case 2:
        out.value = readString(r)
        break
      case 3:
        out.raw_value = r.bytes()
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return out
}

// config.core.v3.HeaderMap { repeated HeaderValue headers = 1 }
function headerMap(r: Reader, n: number): NonNullable<HttpRequestWire['header_map']> {
  const outer = enter(r, n)
  let headers: HeaderValueWire[] | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    if (t >>> 3 === 1) (headers ??= []).push(headerValue(r, n + 1))
    else r.skipType(t & 7, n)
  }
  leave(r, outer)
  return headers === undefined ? {} : { headers }
}

// AttributeContext.HttpRequest { id=1; method=2; map headers=3; path=4; host=5; scheme=6;
// query=7; fragment=8; int64 size=9; protocol=10; body=11; bytes raw_body=12;
// HeaderMap header_map=13 }
function httpRequest(r: Reader, n: number): HttpRequestWire {
  const outer = enter(r, n)
  const out: Mutable<HttpRequestWire> = {}
  let headers: StringMap | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        out.id = readString(r)
        break
      case 2:
        out.method = readString(r)
        break
      case 3:
        mapEntry(r, n, (headers ??= newMap()))
        break
      case 4:
        out.path = readString(r)
        break
      case 5:
        out.host = readString(r)
        break
      case 6:
        out.scheme = readString(r)
        break
      case 7:
      case 8:
        skipString(r)
        break
      case 9:
        r.int64()
        break
      case 10:
        out.protocol = readString(r)
        break
      case 11:
        out.body = readString(r)
        break
      case 12:
        out.raw_body = r.bytes()
        break
      case 13:
        out.header_map = headerMap(r, n + 1)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  if (headers !== undefined) out.headers = headers
  return out
}

// AttributeContext.Request { Timestamp time = 1; HttpRequest http = 2 }
function request(r: Reader, n: number): NonNullable<AttributeContextWire['request']> {
  const outer = enter(r, n)
  let http: HttpRequestWire | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        skipFlat(r, n + 1, TIMESTAMP)
        break
      case 2:
        http = httpRequest(r, n + 1)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  return http === undefined ? {} : { http }
}

// AttributeContext { source=1; destination=2; request=4; map context_extensions=10;
// metadata_context=11; tls_session=12; route_metadata_context=13 }
function attributeContext(
  r: Reader,
  n: number,
): { wire: AttributeContextWire; poisoned: Poisoned } {
  const outer = enter(r, n)
  const out: Mutable<AttributeContextWire> = {}
  let ext: StringMap | undefined
  let metadata: Poisoned = false
  let routeMetadata: Poisoned = false
  while (r.pos < r.len) {
    const t = r.uint32()
    switch (t >>> 3) {
      case 1:
        out.source = peer(r, n + 1, true)
        break
      case 2:
        peer(r, n + 1, false)
        break
      case 4:
        out.request = request(r, n + 1)
        break
      case 10:
        mapEntry(r, n, (ext ??= newMap()))
        break
      case 11:
        metadata = skipMetadata(r, n + 1)
        break
      case 13:
        routeMetadata = skipMetadata(r, n + 1)
        break
      case 12:
        skipFlat(r, n + 1, TLS_SESSION)
        break
      default:
        r.skipType(t & 7, n)
    }
  }
  leave(r, outer)
  if (ext !== undefined) out.context_extensions = ext
  return { wire: out, poisoned: metadata || routeMetadata }
}

// CheckRequest { AttributeContext attributes = 1 }: the top level runs to the end of the buffer.
function checkRequest(r: Reader): CheckRequestWire {
  let attributes: { wire: AttributeContextWire; poisoned: Poisoned } | undefined
  while (r.pos < r.len) {
    const t = r.uint32()
    if (t >>> 3 === 1) attributes = attributeContext(r, 1)
    else r.skipType(t & 7, 0)
  }
  if (attributes === undefined) return {}
  // Only the last occurrence reaches protobufjs's toObject, which throws on a null map value.
  if (attributes.poisoned) throw new Malformed('map entry of message type without a value')
  return { attributes: attributes.wire }
}

/**
 * CheckRequest bytes → RequestParseResult, equal to `fromCheckRequest(generic decode(bytes))`,
 * with UNDECODABLE_RESULT where the generic decoder throws. Never throws.
 */
export function decodeCheckRequest(
  bytes: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  nowMs: number = Date.now(),
): RequestParseResult {
  let wire: CheckRequestWire
  try {
    // A BufferReader (Node Buffer view) is what grpc-js hands the generic decoder: its string()
    // decodes with utf8Slice, which is the behaviour we must reproduce byte for byte.
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    wire = checkRequest(Reader.create(buf))
  } catch {
    return UNDECODABLE_RESULT
  }
  return fromCheckRequest(wire, limits, nowMs)
}
