import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CheckOutcome } from '../decision/check-outcome.js'
import { BOUNDARY_DENIALS } from './boundary-deny.js'
import { toCheckResponse } from '../../test/helpers/check-response-wire.js'
import { EncodeLengthError, encodeOutcome, utf8Size } from './encode-check-response.js'
import { loadProtos } from '../request/load-protos.js'

interface MethodCodec {
  responseSerialize(v: unknown): Buffer
  responseDeserialize(b: Buffer): unknown
}
const codec = (
  loadProtos()['envoy.service.auth.v3.Authorization'] as unknown as Record<string, MethodCodec>
).Check!

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
// ASCII and non-ASCII, shorter and longer than the encoder's 64-character JS fast path.
const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 100 }),
  fc.string({ unit: 'grapheme', minLength: 60, maxLength: 100 }),
)
const headers = fc.array(fc.record({ name, value }), { maxLength: 5 })
const metadata = fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 5 })
const api = fc.option(fc.constantFrom('shop/petstore', 'a/b'), { nil: undefined })
const outcome: fc.Arbitrary<CheckOutcome> = fc.oneof(
  fc.record({
    allowed: fc.constant(true as const),
    upstreamHeaders: headers,
    headersToRemove: fc.array(name, { maxLength: 4 }),
    code: fc.constantFrom('ALLOW_IAM', 'ALLOW_NONE'),
    api,
    metadata,
  }),
  fc.record({
    allowed: fc.constant(false as const),
    httpStatus: fc.constantFrom(400, 401, 403, 413, 429, 500),
    grpcCode: fc.integer({ min: 1, max: 16 }),
    body: fc.oneof(value, fc.constant('')),
    headers,
    code: fc.constantFrom('ERR_A', 'ERR_B'),
    api,
    metadata,
  }),
)

describe('encodeOutcome', () => {
  it('produces the same bytes as the generic protobuf encoder, decoding to the same message (property)', () => {
    fc.assert(
      fc.property(outcome, fc.string({ maxLength: 20 }), (o, requestId) => {
        const wire = toCheckResponse(o, requestId)
        const ours = encodeOutcome(o, requestId)
        const generic = codec.responseSerialize(wire)
        expect(codec.responseDeserialize(ours)).toEqual(codec.responseDeserialize(generic))
        expect(ours.equals(generic)).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })

  it('is byte-identical to the generic encoder for the boundary denials and a typical allow', () => {
    const typical: CheckOutcome = {
      allowed: true,
      upstreamHeaders: [{ name: 'x-portcullis-principal', value: 'arn:aws:iam::1:user/ü' }],
      headersToRemove: ['x-portcullis-principal'],
      code: 'ALLOW_IAM',
      api: 'shop/petstore',
      metadata: { decision_id: 'd-1' },
    }
    for (const o of [typical, ...Object.values(BOUNDARY_DENIALS)]) {
      const wire = toCheckResponse(o, 'rid')
      expect(encodeOutcome(o, 'rid').equals(codec.responseSerialize(wire))).toBe(true)
    }
  })

  it('stays byte-identical when cached parts are reused: shared frozen header arrays across bodies, statuses and request ids (property)', () => {
    // The encoder caches ok_response bytes per header array and denied_response bytes per frozen
    // header array + status + body: a stale cache entry would show up here as different bytes.
    const pool = [
      Object.freeze([]),
      Object.freeze([Object.freeze({ name: 'x-portcullis-principal', value: 'alice' })]),
      Object.freeze([
        Object.freeze({ name: 'content-type', value: 'application/json' }),
        Object.freeze({ name: 'x-amzn-errortype', value: 'AccessDeniedException' }),
      ]),
    ]
    const shared = fc.constantFrom(...pool)
    const reused: fc.Arbitrary<CheckOutcome> = fc.oneof(
      fc.record({
        allowed: fc.constant(true as const),
        upstreamHeaders: shared,
        headersToRemove: fc.constantFrom(Object.freeze([]), ['x-portcullis-x']),
        code: fc.constantFrom('ALLOW_IAM', 'ALLOW_NONE'),
        api,
        metadata,
      }),
      fc.record({
        allowed: fc.constant(false as const),
        httpStatus: fc.constantFrom(401, 403, 500),
        grpcCode: fc.constantFrom(7, 16),
        body: fc.constantFrom('{"message":"Forbidden"}', '{"message":null}', 'ü'),
        headers: shared,
        code: fc.constantFrom('ERR_A', 'ERR_B'),
        api,
        metadata,
      }),
    )
    fc.assert(
      fc.property(reused, fc.string({ maxLength: 20 }), (o, requestId) => {
        const generic = codec.responseSerialize(toCheckResponse(o, requestId))
        expect(encodeOutcome(o, requestId).equals(generic)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})

/**
 * A header whose value gets shorter each time it is read: the encoder measures one length and
 * writes another, the sizing bug the length check exists for.
 */
function shrinkingHeader(
  name: string,
  start: number,
  unit: string,
): { name: string; value: string } {
  let n = start
  return {
    name,
    get value(): string {
      return unit.repeat(Math.max(0, n--))
    },
  }
}

describe('encodeOutcome output length', () => {
  // Long ASCII, short ASCII, and non-ASCII values take the encoder's three string paths.
  for (const [what, start, unit] of [
    ['a long ASCII value (native write)', 100, 'x'],
    ['a short ASCII value (JS loop)', 10, 'x'],
    ['a non-ASCII value', 10, 'é'],
  ] as const) {
    it(`throws, never returns a partly written pooled buffer, when ${what} is measured longer than written`, () => {
      const o: CheckOutcome = {
        allowed: true,
        upstreamHeaders: [shrinkingHeader('x-portcullis-principal', start, unit)],
        headersToRemove: [],
        code: 'ALLOW_IAM',
        api: undefined,
        metadata: {},
      }
      expect(() => encodeOutcome(o, 'rid')).toThrow(EncodeLengthError)
    })
  }

  it('throws when a value is measured shorter than written (write() would truncate silently)', () => {
    let reads = 0
    const growing = {
      name: 'content-type',
      get value(): string {
        return 'y'.repeat(100 + 10 * reads++)
      },
    }
    const o: CheckOutcome = {
      allowed: false,
      httpStatus: 403,
      grpcCode: 7,
      body: '{}',
      headers: [growing],
      code: 'ERR_A',
      api: undefined,
      metadata: {},
    }
    expect(() => encodeOutcome(o, 'rid')).toThrow(EncodeLengthError)
  })
})

describe('utf8Size', () => {
  it('equals Buffer.byteLength on any UTF-16 string, lone surrogates included (20 000 cases)', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: codeUnit, maxLength: 80 }),
          fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
        ),
        (s) => {
          expect(utf8Size(s)).toBe(Buffer.byteLength(s, 'utf8'))
        },
      ),
      { numRuns: 20_000 },
    )
  })
})
