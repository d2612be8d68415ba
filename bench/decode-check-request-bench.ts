/**
 * Micro-benchmark of the CheckRequest hot path: generic protobufjs decode + toObject +
 * fromCheckRequest (the previous server path) against decodeCheckRequest, on requests shaped like
 * Envoy's (test/helpers/envoy-client.ts buildCheckRequest, official protos). Simple loop, warmup,
 * interleaved rounds, best CPU time of 9; prints µs/op, asserts nothing.
 * Run: `npx tsx bench/decode-check-request-bench.ts`.
 *
 * @module
 */
import { decodeCheckRequest } from '../src/request/decode-check-request.js'
import { fromCheckRequest, type CheckRequestWire } from '../src/request/from-check-request.js'
import { DEFAULT_REQUEST_LIMITS } from '../src/request/request-parse-result.js'
import { loadProtos } from '../src/request/load-protos.js'
import { buildCheckRequest, officialAuthDefinition } from '../test/helpers/envoy-client.js'

interface Codec {
  requestSerialize(v: object): Buffer
  requestDeserialize(b: Buffer): unknown
}
const codecOf = (pkg: object): Codec =>
  (pkg as Record<string, Record<string, Codec>>)['envoy.service.auth.v3.Authorization']!.Check!
const ours = codecOf(loadProtos())
const official = codecOf(officialAuthDefinition())

const HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'x-forwarded-proto': 'https',
  'x-forwarded-for': '203.0.113.7',
  'x-request-id': '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
  'x-envoy-expected-rq-timeout-ms': '15000',
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  'x-amz-date': '20150830T123600Z',
}

const CASES: { name: string; bytes: Buffer }[] = [
  {
    name: 'typical (13 headers map, metadata)',
    bytes: official.requestSerialize(
      buildCheckRequest({
        method: 'PUT',
        path: '/pets/1?x=1',
        headers: HEADERS,
        contextExtensions: { 'portcullis.dev/api': 'shop/petstore' },
        metadataContext: { 'envoy.filters.http.jwt_authn': { sub: 'alice' } },
      }),
    ),
  },
  {
    name: 'header_map raw_value + 1 KiB body',
    bytes: official.requestSerialize(
      buildCheckRequest({
        method: 'POST',
        path: '/orders',
        headers: HEADERS,
        encodeRawHeaders: true,
        body: 'x'.repeat(1024),
      }),
    ),
  },
]

/** CPU time (user + system) per call of this process, so other processes on the box count less. */
function cpuMicros(fn: () => unknown, iterations: number): number {
  const start = process.cpuUsage()
  for (let i = 0; i < iterations; i++) fn()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / iterations
}

const N = 50_000
const ROUNDS = 9
for (const { name, bytes } of CASES) {
  const generic = () =>
    fromCheckRequest(
      ours.requestDeserialize(bytes) as CheckRequestWire,
      DEFAULT_REQUEST_LIMITS,
      Date.now(),
    )
  const fast = () => decodeCheckRequest(bytes, DEFAULT_REQUEST_LIMITS, Date.now())
  if (!fast().ok || !generic().ok) throw new Error(`${name}: bench request did not translate`)
  cpuMicros(generic, N) // warmup
  cpuMicros(fast, N)
  // Interleaved rounds, best of each: the box is shared, the minimum is the least disturbed.
  let g = Infinity
  let f = Infinity
  for (let round = 0; round < ROUNDS; round++) {
    g = Math.min(g, cpuMicros(generic, N))
    f = Math.min(f, cpuMicros(fast, N))
  }
  console.log(
    `${name} (${bytes.length} B): generic decode + fromCheckRequest ${g.toFixed(2)} µs/op, ` +
      `decodeCheckRequest ${f.toFixed(2)} µs/op (${(g / f).toFixed(1)}×)`,
  )
}
