import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CheckOutcome } from '../decision/check-outcome.js'
import { BOUNDARY_DENIALS } from './boundary-deny.js'
import { encodeCheckResponse } from './encode-check-response.js'
import { loadProtos } from './load-protos.js'
import { toCheckResponse } from './to-check-response.js'

interface MethodCodec {
  responseSerialize(v: unknown): Buffer
  responseDeserialize(b: Buffer): unknown
}
const codec = (
  loadProtos()['envoy.service.auth.v3.Authorization'] as unknown as Record<string, MethodCodec>
).Check!

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
const value = fc.string({ unit: 'grapheme', maxLength: 40 })
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

describe('encodeCheckResponse', () => {
  it('produces the same bytes as the generic protobuf encoder, decoding to the same message (property)', () => {
    fc.assert(
      fc.property(outcome, fc.string({ maxLength: 20 }), (o, requestId) => {
        const wire = toCheckResponse(o, requestId)
        const ours = encodeCheckResponse(wire)
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
      expect(encodeCheckResponse(wire).equals(codec.responseSerialize(wire))).toBe(true)
    }
  })
})
