import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { officialAuthDefinition } from '../../test/helpers/envoy-client.js'
import { loadProtos } from './load-protos.js'
import {
  decodeCheckRequest,
  MAX_MESSAGE_DEPTH,
  UNDECODABLE_RESULT,
} from './decode-check-request.js'
import { fromCheckRequest, type CheckRequestWire } from './from-check-request.js'
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type RequestParseResult,
} from './request-parse-result.js'

interface Codec {
  requestSerialize(v: object): Buffer
  requestDeserialize(b: Buffer): unknown
}
const codecOf = (pkg: object): Codec =>
  (pkg as Record<string, Record<string, Codec>>)['envoy.service.auth.v3.Authorization']!.Check!
/** A generic decoder to compare with: our proto/ via proto-loader (protobufjs). */
const ours = codecOf(loadProtos())
/** Envoy's official protos: what real Envoy bytes look like. */
const official = codecOf(officialAuthDefinition())

const NOW = 1_700_000_000_123

/** protobufjs's reading of the bytes, translated by the same fromCheckRequest. */
function generic(bytes: Buffer, limits: RequestLimits): RequestParseResult {
  let decoded: CheckRequestWire
  try {
    decoded = ours.requestDeserialize(bytes) as CheckRequestWire
  } catch {
    return UNDECODABLE_RESULT
  }
  return fromCheckRequest(decoded, limits, NOW)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const byKey = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0

/**
 * Comparable form: Maps as entry lists sorted by key, body as hex, a generated UUID masked. Sorted
 * because protobufjs decodes a map into an object, which lists array-index keys ('7', '123')
 * first; we keep wire order (proved separately). Such keys cannot fold into another key when
 * lower-cased, so the joined values are the same either way.
 */
function comparable(r: RequestParseResult): unknown {
  if (!r.ok) return { ...r, requestId: UUID.test(r.requestId) ? '<uuid>' : r.requestId }
  const q = r.request
  return {
    ...q,
    requestId: UUID.test(q.requestId) ? '<uuid>' : q.requestId,
    headers: [...q.headers].sort(byKey),
    contextExtensions: [...q.contextExtensions].sort(byKey),
    body: q.body === undefined ? undefined : q.body.toString('hex'),
  }
}

/** Where the reference reader found the bytes outside the contract, and where protobufjs errs. */
type Verdict =
  | { readonly valid: false; readonly why: string }
  | { readonly valid: true; readonly pbjsQuirk: string | undefined }

/**
 * The contract, checked three ways against the reference reader (specCheck, below):
 * bytes it refuses are UNDECODABLE_RESULT; bytes it accepts are not; and on bytes it accepts
 * where protobufjs has no known quirk, the result equals protobufjs's decoding translated by
 * fromCheckRequest. Returns the verdict for the caller's tallies.
 */
function expectSpec(bytes: Buffer, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): Verdict {
  const v = specCheck(bytes)
  const fast = decodeCheckRequest(bytes, limits, NOW)
  const hex = bytes.toString('hex')
  if (!v.valid) {
    expect(fast, `${hex}: ${v.why}`).toBe(UNDECODABLE_RESULT)
    return v
  }
  expect(fast, hex).not.toBe(UNDECODABLE_RESULT)
  if (v.pbjsQuirk === undefined) {
    expect(comparable(fast), hex).toEqual(comparable(generic(bytes, limits)))
  }
  return v
}

// ---------------------------------------------------------------------------------------------
// The schema of the messages we walk, from which both the wire-level generator and the reference
// reader work. v32: a varint field protobufjs reads as 32 bits (int32, uint32, enum, bool); v64:
// int64; rep: a repeated message; map: a map; umap: a map<string, string> we read, whose keys must
// be unique.
// ---------------------------------------------------------------------------------------------

type Kind =
  | 'str'
  | 'bytes'
  | 'v32'
  | 'v64'
  | 'f64'
  | `msg:${string}`
  | `rep:${string}`
  | `map:${string}`
  | `umap:${string}`
const SCHEMA: Record<string, Record<number, Kind>> = {
  CheckRequest: { 1: 'msg:AttributeContext' },
  AttributeContext: {
    1: 'msg:Peer',
    2: 'msg:Peer',
    4: 'msg:Request',
    10: 'umap:str',
    11: 'msg:Metadata',
    12: 'msg:TLSSession',
    13: 'msg:Metadata',
  },
  Peer: { 1: 'msg:Address', 2: 'str', 3: 'map:str', 4: 'str', 5: 'str' },
  Address: { 1: 'msg:SocketAddress', 2: 'msg:Pipe', 3: 'msg:EnvoyInternalAddress' },
  SocketAddress: { 1: 'v32', 2: 'str', 3: 'v32', 4: 'str', 5: 'str', 6: 'v32' },
  Pipe: { 1: 'str', 2: 'v32' },
  EnvoyInternalAddress: { 1: 'str', 2: 'str' },
  Request: { 1: 'msg:Timestamp', 2: 'msg:HttpRequest' },
  Timestamp: { 1: 'v64', 2: 'v32' },
  HttpRequest: {
    1: 'str',
    2: 'str',
    3: 'umap:str',
    4: 'str',
    5: 'str',
    6: 'str',
    7: 'str',
    8: 'str',
    9: 'v64',
    10: 'str',
    11: 'str',
    12: 'bytes',
    13: 'msg:HeaderMap',
  },
  HeaderMap: { 1: 'rep:HeaderValue' },
  HeaderValue: { 1: 'str', 2: 'str', 3: 'bytes' },
  Metadata: { 1: 'map:Struct', 2: 'map:Any' },
  Struct: { 1: 'map:Value' },
  Value: { 1: 'v32', 2: 'f64', 3: 'str', 4: 'v32', 5: 'msg:Struct', 6: 'msg:ListValue' },
  ListValue: { 1: 'rep:Value' },
  Any: { 1: 'str', 2: 'bytes' },
  TLSSession: { 1: 'str' },
}

const WIRE_TYPE = (k: Kind): number => (k === 'v32' || k === 'v64' ? 0 : k === 'f64' ? 1 : 2)

class SpecViolation extends Error {}
const utf8Fatal = new TextDecoder('utf-8', { fatal: true })

/**
 * The reference reader: the proto3 wire rules and our documented refusals (see the decoder's
 * module comment), written plainly (BigInt varints, recursion over the schema) and apart from the
 * decoder. Also notes the quirks of protobufjs 7 on valid bytes, where comparing with it would
 * test protobufjs rather than us.
 */
function specCheck(bytes: Buffer): Verdict {
  let quirk: string | undefined
  const varint = (pos: number, end: number, bits32: boolean): [bigint, number] => {
    let v = 0n
    for (let i = 0; i < 10; i++) {
      if (pos + i >= end) throw new SpecViolation('truncated varint')
      const b = bytes[pos + i]!
      v |= BigInt(b & 0x7f) << BigInt(7 * i)
      if (b < 0x80) {
        if (v >= 1n << 64n) throw new SpecViolation('varint beyond 64 bits')
        // protobufjs's uint32() skips 5 bytes blindly after the 5th: right only for 10-byte forms.
        if (bits32 && i >= 5 && i < 9) quirk ??= 'protobufjs misreads a 6–9-byte 32-bit varint'
        return [v, pos + i + 1]
      }
    }
    throw new SpecViolation('varint over 10 bytes')
  }
  /** A LEN prefix at `pos`: the payload length and where the payload starts. */
  const lengthAt = (pos: number, end: number): [number, number] => {
    const [n, p] = varint(pos, end, true)
    if (n > BigInt(end - p)) throw new SpecViolation('length beyond its message')
    return [Number(n), p]
  }
  /** Walks one message; returns the last value of each string field and the fields present. */
  const message = (
    type: string,
    from: number,
    to: number,
    depth: number,
  ): { strings: Map<number, string>; present: Set<number> } => {
    if (depth > MAX_MESSAGE_DEPTH) throw new SpecViolation('nesting too deep')
    const schema = SCHEMA[type]!
    const strings = new Map<number, string>()
    const present = new Set<number>()
    const seenMessages = new Set<number>()
    const keys = new Map<number, Set<string>>()
    let pos = from
    while (pos < to) {
      const [t, p] = varint(pos, to, true)
      pos = p
      if (t >= 1n << 32n) throw new SpecViolation('tag beyond 32 bits')
      const num = Number(t >> 3n)
      const wt = Number(t & 7n)
      if (num === 0) throw new SpecViolation('field number 0')
      if (![0, 1, 2, 5].includes(wt)) throw new SpecViolation(`wire type ${wt}`)
      const kind = schema[num]
      if (kind !== undefined && WIRE_TYPE(kind) !== wt)
        throw new SpecViolation(`wire type ${wt} for ${type}.${num}`)
      present.add(num)
      if (wt === 0) {
        pos = varint(pos, to, kind === 'v32')[1]
      } else if (wt === 1 || wt === 5) {
        pos += wt === 1 ? 8 : 4
        if (pos > to) throw new SpecViolation('truncated fixed-width value')
      } else {
        const [n, start] = lengthAt(pos, to)
        const end = start + n
        pos = end
        if (kind === 'str') {
          try {
            strings.set(num, utf8Fatal.decode(bytes.subarray(start, end)))
          } catch {
            throw new SpecViolation(`invalid UTF-8 in ${type}.${num}`)
          }
        } else if (kind?.startsWith('msg:')) {
          if (seenMessages.has(num)) throw new SpecViolation(`${type}.${num} twice`)
          seenMessages.add(num)
          message(kind.slice(4), start, end, depth + 1)
        } else if (kind?.startsWith('rep:')) {
          message(kind.slice(4), start, end, depth + 1)
        } else if (kind?.startsWith('map:') || kind?.startsWith('umap:')) {
          const valueKind = kind.slice(kind.indexOf(':') + 1)
          const key = mapEntry(valueKind, start, end, depth)
          if (kind.startsWith('umap:')) {
            const seen = keys.get(num) ?? new Set<string>()
            if (seen.has(key)) throw new SpecViolation(`key ${JSON.stringify(key)} twice`)
            seen.add(key)
            keys.set(num, seen)
          }
        }
      }
    }
    return { strings, present }
  }
  // A map entry is `message { string key = 1; V value = 2 }`; returns the key.
  const mapEntry = (valueKind: string, from: number, to: number, depth: number): string => {
    const entryType = `entry:${valueKind}`
    SCHEMA[entryType] ??= { 1: 'str', 2: valueKind === 'str' ? 'str' : `msg:${valueKind}` }
    const { strings, present } = message(entryType, from, to, depth)
    if (!present.has(2) && valueKind !== 'str')
      quirk ??= 'protobufjs throws on a message map entry without a value'
    return strings.get(1) ?? ''
  }
  try {
    message('CheckRequest', 0, bytes.length, 0)
  } catch (e) {
    if (e instanceof SpecViolation) return { valid: false, why: e.message }
    throw e
  }
  return { valid: true, pbjsQuirk: quirk }
}

// ---------------------------------------------------------------------------------------------
// Wire-level generator: builds CheckRequest bytes field by field from the schema, so it can also
// write what no encoder writes: unknown fields of every wire type (groups included), known fields
// with the wrong wire type, repeated singular messages, map entries missing a key or value or
// carrying extra fields, strings that are not UTF-8.
// ---------------------------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG so every generated case is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}
const tag = (field: number, wt: number): number[] => varint(field * 8 + wt)
const len = (field: number, body: number[]): number[] => [
  ...tag(field, 2),
  ...varint(body.length),
  ...body,
]

const STRINGS = [
  '',
  'GET',
  'post',
  'DELETE',
  'G E T',
  '/',
  '/pets/1?x=1&y=%20',
  '/a b',
  '/ü',
  '*',
  'http://x/y',
  'api.example.com',
  'API.Example.com:8443',
  '[::1]:80',
  'https',
  'HTTP/2',
  'x-request-id',
  'X-Request-Id',
  'host',
  'Host',
  ':method',
  ':path',
  ':authority',
  ':scheme',
  'x-envoy-auth-partial-body',
  'true',
  '__proto__',
  'constructor',
  '123',
  '7',
  'authorization',
  'AWS4-HMAC-SHA256 Credential=x',
  '10.1.2.3',
  '::ffff:10.0.0.1',
  'fe80::1%eth0',
  'not-an-ip',
  'spiffe://cluster.local/ns/a/sa/b',
  'portcullis.dev/api',
  'shop/petstore',
  'rid-\u0001',
  '😀',
  'a'.repeat(130),
]

interface Gen {
  rnd: () => number
  /** Probability of writing something the schema does not say. */
  chaos: number
}
const pick = <T>(g: Gen, xs: readonly T[]): T => xs[Math.floor(g.rnd() * xs.length)]!
const int = (g: Gen, max: number): number => Math.floor(g.rnd() * max)

function randomBytes(g: Gen, max: number): number[] {
  return Array.from({ length: int(g, max) }, () => {
    const r = g.rnd()
    // Bias towards bytes that make UTF-8 interesting: continuation and lead bytes, ASCII.
    return r < 0.3 ? 0x80 + int(g, 0x40) : r < 0.45 ? 0xc0 + int(g, 0x40) : int(g, 0x100)
  })
}

function stringBytes(g: Gen): number[] {
  const r = g.rnd()
  if (r < 0.75) return [...Buffer.from(pick(g, STRINGS), 'utf8')]
  // Random bytes are seldom UTF-8, and the contract refuses a string that is not: chaos only.
  if (r < 0.9 && g.rnd() < g.chaos * 4) return randomBytes(g, 12)
  return [...Buffer.from(String.fromCodePoint(...randomBytes(g, 6).map((b) => b * 7)), 'utf8')]
}

function unknownField(g: Gen, depth: number): number[] {
  const field = pick(g, [0, 3, 9, 14, 15, 20, 100, 536870911])
  switch (pick(g, [0, 1, 2, 5, 3, 3, 4, 6, 7])) {
    case 0:
      return [...tag(field, 0), ...varint(int(g, 2 ** 31)), ...(g.rnd() < 0.2 ? [0xff, 0x01] : [])]
    case 1:
      return [...tag(field, 1), ...randomBytes(g, 1).concat([1, 2, 3, 4, 5, 6, 7, 8])]
    case 2:
      return len(field, randomBytes(g, 10))
    case 5:
      return [...tag(field, 5), 1, 2, 3, 4]
    case 3: {
      // A group: protobufjs skips it (nested groups too) up to its end-group tag.
      const inner = depth < 3 && g.rnd() < 0.3 ? unknownField(g, depth + 1) : [...tag(2, 0), 1]
      return [...tag(field, 3), ...inner, ...(g.rnd() < 0.9 ? tag(field, 4) : [])]
    }
    default:
      // End-group without a group, or the invalid wire types 6 and 7.
      return tag(field, pick(g, [4, 6, 7]))
  }
}

function scalar(g: Gen, kind: Kind): number[] {
  return kind === 'str' ? stringBytes(g) : kind === 'bytes' ? randomBytes(g, 16) : []
}

function field(g: Gen, num: number, kind: Kind, depth: number): number[] {
  if (g.rnd() < g.chaos) {
    // The known field number with a random wire type (protobufjs reads it as the declared type;
    // the contract refuses it unless the wire type happens to be the declared one).
    const wt = pick(g, [0, 1, 2, 5])
    const body =
      wt === 0
        ? varint(int(g, 40))
        : wt === 1
          ? [1, 2, 3, 4, 5, 6, 7, 8]
          : wt === 5
            ? [1, 2, 3, 4]
            : len(1, stringBytes(g)).slice(0)
    return [...tag(num, wt), ...body]
  }
  if (kind === 'v32' || kind === 'v64')
    return [...tag(num, 0), ...varint(g.rnd() < g.chaos ? 2 ** 40 : int(g, 70000))]
  if (kind === 'f64') return [...tag(num, 1), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
  if (kind.startsWith('msg:') || kind.startsWith('rep:'))
    return len(num, message(g, kind.slice(4), depth + 1))
  if (kind.startsWith('map:') || kind.startsWith('umap:')) {
    const valueKind = kind.slice(kind.indexOf(':') + 1)
    const parts: number[][] = []
    if (g.rnd() >= g.chaos) parts.push(len(1, stringBytes(g)))
    if (g.rnd() >= g.chaos) {
      parts.push(
        valueKind === 'str' ? len(2, stringBytes(g)) : len(2, message(g, valueKind, depth + 1)),
      )
    }
    if (g.rnd() < g.chaos) parts.push(unknownField(g, 0))
    // Value before key is legal protobuf; protobufjs reads the entry fields in any order.
    if (g.rnd() < 0.1) parts.reverse()
    return len(num, parts.flat())
  }
  return len(num, scalar(g, kind))
}

/**
 * Random fields of `type`. A singular message field comes at most once (bar `exclude`d ones,
 * which the caller writes), except by chaos: the contract refuses a repeat.
 */
function message(g: Gen, type: string, depth: number, exclude: readonly number[] = []): number[] {
  const schema = SCHEMA[type]!
  const nums = Object.keys(schema).map(Number)
  const used = new Set<number>(exclude)
  const out: number[] = []
  // Deep Struct/Value nesting is cut short so cases stay small; depth-limit cases are separate.
  const count =
    depth > 6 ? int(g, 2) : int(g, type === 'HttpRequest' || type === 'HeaderMap' ? 12 : 5)
  for (let i = 0; i < count; i++) {
    if (g.rnd() < g.chaos) out.push(...unknownField(g, 0))
    else {
      const num = pick(g, nums)
      const kind = schema[num]!
      if (kind.startsWith('msg:') && used.has(num) && g.rnd() >= g.chaos) continue
      used.add(num)
      out.push(...field(g, num, kind, depth))
    }
  }
  return out
}

/** A wire-built CheckRequest, usually holding attributes.request.http with a method and path. */
function wireCase(seed: number, chaos: number): Buffer {
  const g: Gen = { rnd: prng(seed), chaos }
  const http: number[] = []
  if (g.rnd() < 0.9) http.push(...len(2, stringBytes(g)))
  if (g.rnd() < 0.9) http.push(...len(4, [...Buffer.from(pick(g, ['/', '/a?b=c', '/x#f', 'x']))]))
  http.push(...message(g, 'HttpRequest', 3))
  const attrs = [
    ...message(g, 'AttributeContext', 1, [4]),
    ...len(4, [...message(g, 'Request', 2, [2]), ...len(2, http)]),
  ]
  // A second run of fields may repeat a singular message, which the contract refuses.
  if (g.rnd() < chaos * 3) attrs.push(...message(g, 'AttributeContext', 1, [4]))
  const top = len(1, attrs)
  if (g.rnd() < chaos) top.push(...unknownField(g, 0))
  return Buffer.from(top)
}

/** Truncations, byte flips, insertions and deletions of a valid encoding. */
function corrupt(bytes: Buffer, seed: number): Buffer {
  const g: Gen = { rnd: prng(seed), chaos: 0 }
  const b = [...bytes]
  if (b.length === 0) return Buffer.from(randomBytes(g, 8))
  const at = int(g, b.length)
  switch (int(g, 5)) {
    case 0:
      return Buffer.from(b.slice(0, at))
    case 1:
      b[at] = int(g, 256)
      return Buffer.from(b)
    case 2:
      b[at] = b[at]! ^ (1 << int(g, 8))
      return Buffer.from(b)
    case 3:
      b.splice(at, 0, ...randomBytes(g, 4))
      return Buffer.from(b)
    default:
      b.splice(at, 1 + int(g, 3))
      return Buffer.from(b)
  }
}

// ---------------------------------------------------------------------------------------------
// Structured generator: CheckRequests the way Envoy fills them, encoded with Envoy's OFFICIAL
// protos (the shapes of test/helpers/envoy-client.ts buildCheckRequest).
// ---------------------------------------------------------------------------------------------

const oddString = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
)
const headerName = fc.oneof(
  fc.constantFrom(
    'x-request-id',
    'X-Request-Id',
    'host',
    ':path',
    ':method',
    ':authority',
    'Authorization',
    '__proto__',
    '123',
    'x-envoy-auth-partial-body',
    '',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
)
const rawBytes = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a))
const peer = fc.record(
  {
    address: fc.oneof(
      fc.record({
        socket_address: fc.record(
          {
            address: oddString,
            port_value: fc.nat(65535),
            protocol: fc.constantFrom('TCP', 'UDP'),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({ pipe: fc.record({ path: oddString, mode: fc.nat(511) }) }),
    ),
    service: oddString,
    labels: fc.dictionary(oddString, oddString, { maxKeys: 3 }),
    principal: oddString,
    certificate: oddString,
  },
  { requiredKeys: [] },
)
const structValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: oddString }),
    fc.record({ numberValue: fc.double({ noNaN: true }) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ nullValue: fc.constant('NULL_VALUE') }),
    fc.record({ structValue: tie('struct') }),
    fc.record({ listValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
  ),
  struct: fc.record({ fields: fc.dictionary(oddString, tie('value'), { maxKeys: 3 }) }),
})).struct
const metadata = fc.record(
  {
    filter_metadata: fc.dictionary(oddString, structValue, { maxKeys: 3 }),
    typed_filter_metadata: fc.dictionary(
      oddString,
      fc.record({ type_url: oddString, value: rawBytes }),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: [] },
)
const httpFields = {
  id: oddString,
  method: fc.oneof(
    { arbitrary: fc.constantFrom('GET', 'POST', 'put', 'PATCH', 'OPTIONS'), weight: 6 },
    { arbitrary: oddString, weight: 1 },
  ),
  headers: fc.dictionary(headerName, oddString, { maxKeys: 12 }),
  header_map: fc.record({
    headers: fc.array(
      fc.record(
        {
          key: headerName,
          value: oddString,
          raw_value: fc.oneof(
            { arbitrary: oddString.map((v) => Buffer.from(v, 'utf8')), weight: 9 },
            { arbitrary: rawBytes, weight: 1 },
          ),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 12 },
    ),
  }),
  path: fc.oneof(
    { arbitrary: fc.constantFrom('/', '/pets?limit=10', '/a/../b', '/%zz', '/x#frag'), weight: 6 },
    { arbitrary: oddString, weight: 1 },
  ),
  host: fc.oneof(
    {
      arbitrary: fc.constantFrom('Petstore.Example.com', 'a.example.com:8443', '[::1]:80', ''),
      weight: 6,
    },
    { arbitrary: oddString, weight: 1 },
  ),
  scheme: fc.constantFrom('http', 'https', 'HTTPS', ''),
  query: oddString,
  fragment: oddString,
  size: fc.bigInt({ min: -1n, max: 2n ** 40n }).map(String),
  protocol: fc.constantFrom('HTTP/1.1', 'HTTP/2', ''),
  body: oddString,
  raw_body: rawBytes,
}
// Mostly Envoy's shape (method and path set); sometimes only pseudo-headers to fall back on.
const http = fc.oneof(
  { arbitrary: fc.record(httpFields, { requiredKeys: ['method', 'path'] }), weight: 3 },
  { arbitrary: fc.record(httpFields, { requiredKeys: [] }), weight: 1 },
)
const checkRequest = fc.record(
  {
    attributes: fc.record(
      {
        source: peer,
        destination: peer,
        request: fc.record(
          {
            time: fc.record({ seconds: fc.nat().map(String), nanos: fc.nat(999_999_999) }),
            http,
          },
          { requiredKeys: ['http'] },
        ),
        context_extensions: fc.dictionary(oddString, oddString, { maxKeys: 5 }),
        metadata_context: metadata,
        route_metadata_context: metadata,
        tls_session: fc.record({ sni: oddString }),
      },
      { requiredKeys: ['request'] },
    ),
  },
  { requiredKeys: [] },
)
const limitsArb: fc.Arbitrary<RequestLimits> = fc.oneof(
  { arbitrary: fc.constant(DEFAULT_REQUEST_LIMITS), weight: 3 },
  fc.record({
    maxHeaderBytes: fc.integer({ min: 0, max: 200 }),
    maxHeaderCount: fc.integer({ min: 0, max: 8 }),
    maxBodyBytes: fc.integer({ min: 0, max: 10 }),
    maxContextExtensions: fc.integer({ min: 0, max: 4 }),
  }),
)

const utf8 = (v: string): number[] => [...Buffer.from(v, 'utf8')]
/** A CheckRequest holding `http` (HttpRequest fields) and more AttributeContext fields. */
const requestWith = (http: number[], attrs: number[] = []): Buffer =>
  Buffer.from(len(1, [...len(4, len(2, http)), ...attrs]))
const GET_P = [...len(2, utf8('GET')), ...len(4, utf8('/p'))]
const entry = (field: number, k: string, v: number[]): number[] =>
  len(field, [...len(1, utf8(k)), ...len(2, v)])

describe('decodeCheckRequest', () => {
  it('agrees with the reference reader, and equals protobufjs, on Envoy-shaped requests encoded with the official protos (5,000 cases)', () => {
    let ok = 0
    fc.assert(
      fc.property(checkRequest, limitsArb, (req, limits) => {
        expectSpec(official.requestSerialize(req), limits)
        if (decodeCheckRequest(official.requestSerialize(req), limits, NOW).ok) ok++
      }),
      { numRuns: 5000 },
    )
    // The generator must often produce translatable requests, or the equality would be vacuous.
    console.info(`official-proto cases: ${ok} translated of 5000`)
    expect(ok).toBeGreaterThan(1000)
  })

  it('agrees with the reference reader on wire-built requests with unknown fields, groups, wrong wire types and repeated messages (5,000 cases)', () => {
    const outcomes = { ok: 0, rejected: 0, undecodable: 0, pbjsQuirk: 0, pbjsLenient: 0 }
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(0, 0, 0.02, 0.05, 0.2),
        limitsArb,
        (seed, chaos, limits) => {
          const bytes = wireCase(seed, chaos)
          const v = expectSpec(bytes, limits)
          const r = decodeCheckRequest(bytes, limits, NOW)
          outcomes[r.ok ? 'ok' : r === UNDECODABLE_RESULT ? 'undecodable' : 'rejected']++
          if (v.valid && v.pbjsQuirk !== undefined) outcomes.pbjsQuirk++
          if (!v.valid && generic(bytes, limits) !== UNDECODABLE_RESULT) outcomes.pbjsLenient++
        },
      ),
      { numRuns: 5000 },
    )
    // Every branch of the comparison was exercised many times, including the intended
    // differences (bytes protobufjs accepts and the contract refuses).
    console.info('wire-built cases:', outcomes)
    for (const n of [outcomes.ok, outcomes.rejected, outcomes.undecodable]) {
      expect(n).toBeGreaterThan(200)
    }
    expect(outcomes.pbjsLenient).toBeGreaterThan(100)
    expect(outcomes.pbjsQuirk).toBeGreaterThan(10)
  })

  it('agrees with the reference reader on truncated and corrupted encodings (10,000 cases)', () => {
    let undecodable = 0
    fc.assert(
      fc.property(
        fc.oneof(
          checkRequest.map((r) => official.requestSerialize(r)),
          fc.integer().map((s) => wireCase(s, 0.05)),
        ),
        fc.integer(),
        fc.integer({ min: 1, max: 3 }),
        (bytes, seed, rounds) => {
          let b = bytes
          for (let i = 0; i < rounds; i++) b = corrupt(b, seed + i)
          if (!expectSpec(b).valid) undecodable++
        },
      ),
      { numRuns: 10_000 },
    )
    expect(undecodable).toBeGreaterThan(1000)
  })

  it('refuses every cut of a full request that splits a field, and decodes the others like protobufjs', () => {
    const full = official.requestSerialize({
      attributes: {
        source: {
          address: { socket_address: { address: '10.0.0.1', port_value: 1 } },
          principal: 'p',
        },
        request: {
          http: {
            id: '1',
            method: 'GET',
            path: '/a?b',
            host: 'h',
            header_map: { headers: [{ key: 'x-a', raw_value: Buffer.from([0xe2, 0x82, 0xac]) }] },
            headers: { 'x-request-id': 'r' },
            body: 'héllo',
          },
        },
        context_extensions: { k: 'v' },
        metadata_context: { filter_metadata: { ns: { fields: { a: { stringValue: 'b' } } } } },
      },
    })
    // The whole request is one top-level field: every proper prefix but the empty one splits it.
    for (let n = 1; n < full.length; n++) {
      expect(expectSpec(full.subarray(0, n)).valid).toBe(false)
      expect(decodeCheckRequest(full.subarray(0, n))).toBe(UNDECODABLE_RESULT)
    }
    expect(decodeCheckRequest(full, DEFAULT_REQUEST_LIMITS, NOW).ok).toBe(true)
  })

  it('keeps map entries in the order received (array-index-like names are not moved first, as a JS object would)', () => {
    const http = [
      ...GET_P,
      ...entry(3, 'b', utf8('1')),
      ...entry(3, '10', utf8('ten')),
      ...entry(3, '__proto__', utf8('p')),
      ...entry(3, '2', utf8('two')),
      ...entry(3, 'B', utf8('3')),
    ]
    const attrs = [...entry(10, 'z', utf8('1')), ...entry(10, '3', utf8('three'))]
    const bytes = requestWith(http, attrs)
    expect(expectSpec(bytes)).toEqual({ valid: true, pbjsQuirk: undefined })
    const got = decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, NOW)
    if (!got.ok) throw new Error('expected ok')
    expect([...got.request.headers.keys()]).toEqual(['b', '10', '__proto__', '2'])
    // Names that differ only in case are one header, values joined in the order received.
    expect(got.request.headers.get('b')).toBe('1,3')
    expect([...got.request.contextExtensions.keys()]).toEqual(['z', '3'])
    // protobufjs's object lists '2' and '10' first: the one intended difference on valid bytes.
    const pbjs = generic(bytes, DEFAULT_REQUEST_LIMITS)
    expect(pbjs.ok && [...pbjs.request.headers.keys()]).toEqual(['2', '10', 'b', '__proto__'])
  })

  it('gives every short string exactly its own bytes, however often it or a look-alike was decoded before', () => {
    // Same length, first, middle and last byte: one slot of the table of repeated strings.
    const names = ['x-aaaa-z', 'x-bbab-z', 'x-ccac-z']
    // Non-ASCII text is never kept in the table.
    const values = ['v', 'é', 'ü-é', '€€€']
    for (let round = 0; round < 3; round++) {
      for (const [i, name] of names.entries()) {
        const value = values[(i + round) % values.length] ?? ''
        const got = decodeCheckRequest(
          requestWith([...GET_P, ...entry(3, name, utf8(value))]),
          DEFAULT_REQUEST_LIMITS,
          NOW,
        )
        if (!got.ok) throw new Error('expected ok')
        expect([...got.request.headers]).toEqual([[name, value]])
      }
    }
    // A kept value (user-agent is one of the common headers) and its invalid look-alike.
    const ua = (v: number[]): RequestParseResult =>
      decodeCheckRequest(
        requestWith([...GET_P, ...entry(3, 'user-agent', v)]),
        DEFAULT_REQUEST_LIMITS,
        NOW,
      )
    const seen = ua(utf8('x-aaaa-z'))
    expect(seen.ok && seen.request.headers.get('user-agent')).toBe('x-aaaa-z')
    const alike = ua(utf8('x-bbab-z'))
    expect(alike.ok && alike.request.headers.get('user-agent')).toBe('x-bbab-z')
    const invalid = Buffer.from('x-aaaa-z', 'latin1')
    invalid[3] = 0xe1
    expect(ua([...invalid])).toBe(UNDECODABLE_RESULT)
  })

  // Each rule of the contract on a minimal case, with what protobufjs 7 does with the same bytes:
  // where it accepts what we refuse, the difference is intended (the reason is in the name).
  const refused: [name: string, bytes: Buffer, pbjsDecodes: boolean][] = [
    [
      'a string running past the end of its message (protobufjs clamps it)',
      requestWith([...len(2, utf8('GET')), ...tag(4, 2), 5, ...utf8('/p')]),
      true,
    ],
    [
      'a known field with another wire type (protobufjs reads it as the declared type)',
      requestWith([...GET_P, ...tag(6, 0), 1, 0x68]),
      true,
    ],
    [
      'a group, even of an unknown field (not proto3; protobufjs skips it)',
      requestWith([...GET_P, ...tag(20, 3), ...tag(1, 0), 1, ...tag(20, 4)]),
      true,
    ],
    ['field number 0 (protobufjs skips it)', requestWith([...GET_P, ...tag(0, 0), 1]), true],
    ['wire type 6', requestWith([...GET_P, ...tag(20, 6)]), false],
    [
      'a varint over 10 bytes (protobufjs skips an unknown one of any length)',
      requestWith([...GET_P, ...tag(20, 0), ...Array<number>(10).fill(0x80), 1]),
      true,
    ],
    [
      'a varint beyond 64 bits (protobufjs drops the excess bits)',
      requestWith([...GET_P, ...tag(9, 0), ...Array<number>(9).fill(0xff), 0x7f]),
      true,
    ],
    ['a bytes field longer than its message', requestWith([...GET_P, ...tag(12, 2), 9, 1]), false],
    ['a truncated I64 value', requestWith([...GET_P, ...tag(20, 1), 1, 2, 3]), false],
    [
      'a singular message twice (the spec merges, protobufjs keeps the last)',
      Buffer.from(len(1, [...len(4, len(2, GET_P)), ...len(4, len(2, GET_P))])),
      true,
    ],
    [
      'a key twice in http.headers (the spec and protobufjs keep the last value)',
      requestWith([...GET_P, ...entry(3, 'x-a', utf8('1')), ...entry(3, 'x-a', utf8('2'))]),
      true,
    ],
    [
      'a key twice in context_extensions',
      requestWith(GET_P, [...entry(10, 'k', utf8('1')), ...entry(10, 'k', utf8('2'))]),
      true,
    ],
    [
      'invalid UTF-8 in a string we read (protobufjs substitutes U+FFFD)',
      requestWith([...GET_P, ...entry(3, 'x-a', [0x61, 0xff, 0xc3])]),
      true,
    ],
    [
      'invalid UTF-8 in a string we skip (destination.principal)',
      requestWith(GET_P, len(2, len(4, [0xc0, 0x80]))),
      true,
    ],
  ]
  for (const [name, bytes, pbjsDecodes] of refused) {
    it(`refuses ${name}`, () => {
      expect(specCheck(bytes).valid).toBe(false)
      expect(decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, NOW)).toBe(UNDECODABLE_RESULT)
      expect(generic(bytes, DEFAULT_REQUEST_LIMITS) !== UNDECODABLE_RESULT).toBe(pbjsDecodes)
    })
  }

  it('reads valid bytes protobufjs stumbles on: a non-minimal length prefix, a message map entry without a value', () => {
    // '/p' with its length 2 written in 7 bytes: the same request as the minimal encoding.
    const long = requestWith([
      ...len(2, utf8('GET')),
      ...tag(4, 2),
      ...[0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
      ...utf8('/p'),
    ])
    expect(specCheck(long).valid).toBe(true)
    expect(comparable(decodeCheckRequest(long, DEFAULT_REQUEST_LIMITS, NOW))).toEqual(
      comparable(decodeCheckRequest(requestWith(GET_P), DEFAULT_REQUEST_LIMITS, NOW)),
    )
    expect(generic(long, DEFAULT_REQUEST_LIMITS)).toBe(UNDECODABLE_RESULT)
    // metadata_context.filter_metadata {'ns': <no value>}: an empty Struct by the spec.
    const noValue = requestWith(GET_P, len(11, len(1, len(1, utf8('ns')))))
    expect(specCheck(noValue).valid).toBe(true)
    expect(decodeCheckRequest(noValue, DEFAULT_REQUEST_LIMITS, NOW).ok).toBe(true)
    expect(generic(noValue, DEFAULT_REQUEST_LIMITS)).toBe(UNDECODABLE_RESULT)
  })

  it('skips unknown fields of each proto3 wire type and keeps the last of a repeated scalar, like protobufjs', () => {
    const bytes = requestWith([
      ...len(2, utf8('PUT')),
      ...GET_P,
      ...tag(20, 0),
      0xff,
      0x01,
      ...tag(21, 1),
      ...[1, 2, 3, 4, 5, 6, 7, 8],
      ...len(22, [0xff, 0xfe]),
      ...tag(23, 5),
      ...[1, 2, 3, 4],
    ])
    expect(expectSpec(bytes)).toEqual({ valid: true, pbjsQuirk: undefined })
    const r = decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, NOW)
    expect(r.ok && r.request.method).toBe('GET')
  })

  it('refuses nesting beyond 100 messages, where protobufjs stops too (Struct in Struct)', () => {
    const verdicts: boolean[] = []
    for (const depth of [40, 47, 48, 49, 50, 51, 60]) {
      // Struct → Value → Struct ... inside metadata_context.filter_metadata.
      let value: number[] = len(3, utf8('leaf'))
      for (let i = 0; i < depth; i++) value = len(5, len(1, [...len(1, [0x6b]), ...len(2, value)]))
      const bytes = requestWith(
        GET_P,
        len(
          11,
          len(1, [...len(1, [0x6e]), ...len(2, len(1, [...len(1, [0x6b]), ...len(2, value)]))]),
        ),
      )
      const v = expectSpec(bytes)
      verdicts.push(v.valid)
      // The limit is not an intended difference: protobufjs refuses exactly the same depths.
      expect(generic(bytes, DEFAULT_REQUEST_LIMITS) !== UNDECODABLE_RESULT).toBe(v.valid)
    }
    expect(verdicts).toContain(true)
    expect(verdicts).toContain(false)
  })

  it('refuses invalid UTF-8 in raw_value too, in fromCheckRequest (bytes on the wire, text to us)', () => {
    const bytes = requestWith([
      ...GET_P,
      ...len(13, len(1, [...len(1, [0x79]), ...len(3, [0x61, 0xff])])),
    ])
    expect(specCheck(bytes).valid).toBe(true)
    expect(decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, NOW)).toMatchObject({
      ok: false,
      code: 'ERR_REQUEST_MALFORMED',
    })
  })

  it('answers the undecodable denial for bytes that are not a CheckRequest, and never throws', () => {
    for (const b of [
      [0x0a, 0x05, 0x01],
      [0x0f],
      [0x0e],
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    ]) {
      expect(decodeCheckRequest(Buffer.from(b))).toBe(UNDECODABLE_RESULT)
      expectSpec(Buffer.from(b))
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
        expectSpec(Buffer.from(a))
      }),
      { numRuns: 2000 },
    )
  })

  it('reads a Uint8Array that is not a Buffer the same way', () => {
    const b = official.requestSerialize({
      attributes: { request: { http: { method: 'GET', path: '/', headers: { a: 'x\u00ff' } } } },
    })
    const view = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    expect(comparable(decodeCheckRequest(view, DEFAULT_REQUEST_LIMITS, NOW))).toEqual(
      comparable(generic(b, DEFAULT_REQUEST_LIMITS)),
    )
  })
})
