import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { officialAuthDefinition } from '../../test/helpers/envoy-client.js'
import { loadProtos } from './load-protos.js'
import { decodeCheckRequest, UNDECODABLE_RESULT } from './decode-check-request.js'
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
/** The generic path the server used before: our proto/ via proto-loader (protobufjs). */
const ours = codecOf(loadProtos())
/** Envoy's official protos: what real Envoy bytes look like. */
const official = codecOf(officialAuthDefinition())

const NOW = 1_700_000_000_123

/** The previous server path: generic decode, UNDECODABLE on a throw, then fromCheckRequest. */
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

/** Comparable form: Maps as ordered entry lists, body as hex, a generated UUID masked. */
function comparable(r: RequestParseResult): unknown {
  if (!r.ok) return { ...r, requestId: UUID.test(r.requestId) ? '<uuid>' : r.requestId }
  const q = r.request
  return {
    ...q,
    requestId: UUID.test(q.requestId) ? '<uuid>' : q.requestId,
    headers: [...q.headers],
    contextExtensions: [...q.contextExtensions],
    body: q.body === undefined ? undefined : q.body.toString('hex'),
  }
}

function expectSame(bytes: Buffer, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): boolean {
  const fast = decodeCheckRequest(bytes, limits, NOW)
  const slow = generic(bytes, limits)
  expect(comparable(fast), bytes.toString('hex')).toEqual(comparable(slow))
  return fast.ok
}

// ---------------------------------------------------------------------------------------------
// Wire-level generator: builds CheckRequest bytes field by field from the schema, so it can also
// write what no encoder writes: unknown fields of every wire type (groups included), known fields
// with the wrong wire type, repeated singular messages, map entries missing a key or value or
// carrying extra fields, strings that are not UTF-8.
// ---------------------------------------------------------------------------------------------

type Kind = 'str' | 'bytes' | 'varint' | 'f64' | 'f32' | `msg:${string}` | `map:${string}`
const SCHEMA: Record<string, Record<number, Kind>> = {
  CheckRequest: { 1: 'msg:AttributeContext' },
  AttributeContext: {
    1: 'msg:Peer',
    2: 'msg:Peer',
    4: 'msg:Request',
    10: 'map:str',
    11: 'msg:Metadata',
    12: 'msg:TLSSession',
    13: 'msg:Metadata',
  },
  Peer: { 1: 'msg:Address', 2: 'str', 3: 'map:str', 4: 'str', 5: 'str' },
  Address: { 1: 'msg:SocketAddress', 2: 'msg:Pipe', 3: 'msg:EnvoyInternalAddress' },
  SocketAddress: { 1: 'varint', 2: 'str', 3: 'varint', 4: 'str', 5: 'str', 6: 'varint' },
  Pipe: { 1: 'str', 2: 'varint' },
  EnvoyInternalAddress: { 1: 'str', 2: 'str' },
  Request: { 1: 'msg:Timestamp', 2: 'msg:HttpRequest' },
  Timestamp: { 1: 'varint', 2: 'varint' },
  HttpRequest: {
    1: 'str',
    2: 'str',
    3: 'map:str',
    4: 'str',
    5: 'str',
    6: 'str',
    7: 'str',
    8: 'str',
    9: 'varint',
    10: 'str',
    11: 'str',
    12: 'bytes',
    13: 'msg:HeaderMap',
  },
  HeaderMap: { 1: 'msg:HeaderValue' },
  HeaderValue: { 1: 'str', 2: 'str', 3: 'bytes' },
  Metadata: { 1: 'map:Struct', 2: 'map:Any' },
  Struct: { 1: 'map:Value' },
  Value: { 1: 'varint', 2: 'f64', 3: 'str', 4: 'varint', 5: 'msg:Struct', 6: 'msg:ListValue' },
  ListValue: { 1: 'msg:Value' },
  Any: { 1: 'str', 2: 'bytes' },
  TLSSession: { 1: 'str' },
}

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
  if (r < 0.9) return randomBytes(g, 12)
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
    // The known field number with a random wire type: protobufjs reads it as the declared type.
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
  if (kind === 'varint')
    return [...tag(num, 0), ...varint(g.rnd() < g.chaos ? 2 ** 40 : int(g, 70000))]
  if (kind === 'f64') return [...tag(num, 1), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
  if (kind === 'f32') return [...tag(num, 5), 0, 0, 0x80, 0x3f]
  if (kind.startsWith('msg:')) return len(num, message(g, kind.slice(4), depth + 1))
  if (kind.startsWith('map:')) {
    const valueKind = kind.slice(4)
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

function message(g: Gen, type: string, depth: number): number[] {
  const schema = SCHEMA[type]!
  const nums = Object.keys(schema).map(Number)
  const out: number[] = []
  // Deep Struct/Value nesting is cut short so cases stay small; depth-limit cases are separate.
  const count =
    depth > 6 ? int(g, 2) : int(g, type === 'HttpRequest' || type === 'HeaderMap' ? 12 : 5)
  for (let i = 0; i < count; i++) {
    if (g.rnd() < g.chaos) out.push(...unknownField(g, 0))
    else {
      const num = pick(g, nums)
      out.push(...field(g, num, schema[num]!, depth))
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
    ...message(g, 'AttributeContext', 1),
    ...len(4, [...message(g, 'Request', 2), ...len(2, http)]),
  ]
  if (g.rnd() < 0.3) attrs.push(...message(g, 'AttributeContext', 1))
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

describe('decodeCheckRequest', () => {
  it('equals the generic decode + fromCheckRequest on Envoy-shaped requests encoded with the official protos (5,000 cases)', () => {
    let ok = 0
    fc.assert(
      fc.property(checkRequest, limitsArb, (req, limits) => {
        if (expectSame(official.requestSerialize(req), limits)) ok++
      }),
      { numRuns: 5000 },
    )
    // The generator must often produce translatable requests, or the equality would be vacuous.
    console.info(`official-proto cases: ${ok} translated of 5000`)
    expect(ok).toBeGreaterThan(1000)
  })

  it('equals the generic path on wire-built requests with unknown fields, groups, wrong wire types and repeated messages (5,000 cases)', () => {
    const outcomes = { ok: 0, rejected: 0, undecodable: 0 }
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(0, 0, 0.02, 0.05, 0.2),
        limitsArb,
        (seed, chaos, limits) => {
          const bytes = wireCase(seed, chaos)
          const r = decodeCheckRequest(bytes, limits, NOW)
          expectSame(bytes, limits)
          outcomes[r.ok ? 'ok' : r === UNDECODABLE_RESULT ? 'undecodable' : 'rejected']++
        },
      ),
      { numRuns: 5000 },
    )
    // Every branch of the comparison was exercised many times.
    console.info('wire-built cases:', outcomes)
    for (const n of Object.values(outcomes)) expect(n).toBeGreaterThan(200)
  })

  it('agrees with the generic path on truncated and corrupted encodings (10,000 cases)', () => {
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
          expectSame(b)
          if (decodeCheckRequest(b, DEFAULT_REQUEST_LIMITS, NOW) === UNDECODABLE_RESULT)
            undecodable++
        },
      ),
      { numRuns: 10_000 },
    )
    expect(undecodable).toBeGreaterThan(1000)
  })

  it('agrees on every prefix of a full request (each truncation point)', () => {
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
    for (let n = 0; n <= full.length; n++) expectSame(full.subarray(0, n))
    expect(decodeCheckRequest(full, DEFAULT_REQUEST_LIMITS, NOW).ok).toBe(true)
  })

  it('orders map keys as the generic decoder object does: array-index keys first, duplicates last-wins at first position, __proto__ kept', () => {
    // decodeCheckRequest reads map fields into Maps; fromCheckRequest must list them in the
    // object's order, or header joins and context extensions would differ.
    const entry = (k: string, v: string): number[] =>
      len(3, [...len(1, [...Buffer.from(k)]), ...len(2, [...Buffer.from(v)])])
    const ext = (k: string, v: string): number[] =>
      len(10, [...len(1, [...Buffer.from(k)]), ...len(2, [...Buffer.from(v)])])
    const http = [
      ...len(2, [...Buffer.from('GET')]),
      ...len(4, [...Buffer.from('/p')]),
      ...entry('b', '1'),
      ...entry('10', 'ten'),
      ...entry('__proto__', 'p'),
      ...entry('2', 'two'),
      ...entry('b', '2'),
      ...entry('4294967295', 'not an index'),
      ...entry('B', '3'),
      ...entry('07', 'not an index either'),
    ]
    const attrs = [
      ...len(4, len(2, http)),
      ...ext('z', '1'),
      ...ext('3', 'three'),
      ...ext('a', '2'),
      ...ext('z', '4'),
    ]
    const bytes = Buffer.from(len(1, attrs))
    expect(expectSame(bytes)).toBe(true)
    const got = decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, NOW)
    if (!got.ok) throw new Error('expected ok')
    expect([...got.request.headers.keys()]).toEqual([
      '2',
      '10',
      'b',
      '__proto__',
      '4294967295',
      '07',
    ])
    expect(got.request.headers.get('b')).toBe('2,3')
    expect([...got.request.contextExtensions]).toEqual([
      ['3', 'three'],
      ['z', '4'],
      ['a', '2'],
    ])
  })

  it('agrees on nesting-depth limits (Struct nesting around protobufjs recursionLimit 100)', () => {
    for (const depth of [40, 47, 48, 49, 50, 51, 60]) {
      // Struct → Value → Struct ... inside metadata_context.filter_metadata.
      let value: number[] = len(3, [...Buffer.from('leaf')])
      for (let i = 0; i < depth; i++) value = len(5, len(1, [...len(1, [0x6b]), ...len(2, value)]))
      const entry = [...len(1, [0x6e]), ...len(2, len(1, [...len(1, [0x6b]), ...len(2, value)]))]
      const attrs = [
        ...len(11, len(1, entry)),
        ...len(4, len(2, [...len(2, [...Buffer.from('GET')]), ...len(4, [0x2f])])),
      ]
      expectSame(Buffer.from(len(1, attrs)))
    }
  })

  it('keeps invalid UTF-8 in string fields as U+FFFD like the generic decoder, and rejects it in raw_value', () => {
    const req = (headerValue: number[]): Buffer =>
      Buffer.from(
        len(
          1,
          len(
            4,
            len(2, [
              ...len(2, [...Buffer.from('GET')]),
              ...len(4, [0x2f]),
              ...len(3, [...len(1, [0x78]), ...len(2, headerValue)]),
              ...len(13, len(1, [...len(1, [0x79]), ...len(3, headerValue)])),
            ]),
          ),
        ),
      )
    const bad = [0x61, 0xff, 0xc3]
    expectSame(req(bad))
    expect(decodeCheckRequest(req(bad), DEFAULT_REQUEST_LIMITS, NOW)).toMatchObject({
      ok: false,
      code: 'ERR_REQUEST_MALFORMED',
    })
    expectSame(req([0x61]))
  })

  it('answers the undecodable denial for bytes that are not a CheckRequest, and never throws', () => {
    for (const b of [
      [0x0a, 0x05, 0x01],
      [0x0f],
      [0x0e],
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    ]) {
      expect(decodeCheckRequest(Buffer.from(b))).toBe(UNDECODABLE_RESULT)
      expectSame(Buffer.from(b))
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
        expectSame(Buffer.from(a))
      }),
      { numRuns: 2000 },
    )
  })

  it('reads a Uint8Array that is not a Buffer the same way (BufferReader semantics)', () => {
    const b = official.requestSerialize({
      attributes: { request: { http: { method: 'GET', path: '/', headers: { a: 'x\u00ff' } } } },
    })
    const view = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    expect(comparable(decodeCheckRequest(view, DEFAULT_REQUEST_LIMITS, NOW))).toEqual(
      comparable(generic(b, DEFAULT_REQUEST_LIMITS)),
    )
  })
})
