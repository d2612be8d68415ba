/** Presence detection routes each request to the right authenticator. @module */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { makeRequest } from '../../../test/integration/sigv4-support.js'
import { detectSigV4 } from './detect-sigv4.js'

const SIGV4 =
  'AWS4-HMAC-SHA256 Credential=AKID/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00'

describe('detectSigV4', () => {
  it.each([
    [{}, 'none'],
    [{ headers: [['authorization', SIGV4]] }, 'header'],
    [{ headers: [['authorization', '   ']] }, 'none'],
    [{ rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00' }, 'query'],
    [{ rawQuery: 'X%2DAmz%2DCredential=x' }, 'query'],
    [{ rawQuery: 'x-amz-algorithm=AWS4-HMAC-SHA256' }, 'none'],
    [{ rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: [['authorization', SIGV4]] }, 'both'],
    [{ rawQuery: 'X-Amz-Signature=00', headers: [['authorization', 'Bearer t']] }, 'both'],
    [{ headers: [['authorization', 'Bearer eyJ.x.y']] }, 'other-authorization'],
    [
      { headers: [['authorization', 'AWS4-ECDSA-P256-SHA256 Credential=x']] },
      'other-authorization',
    ],
    [{ headers: [['authorization', 'aws4-hmac-sha256 Credential=x']] }, 'other-authorization'],
    // Two Authorization headers joined by the proxy: the SigV4 one must still be verified.
    [{ headers: [['authorization', `Bearer t,${SIGV4}`]] }, 'header'],
  ] as const)('%j → %s', (parts, expected) => {
    expect(detectSigV4(makeRequest(parts))).toBe(expected)
  })

  it('header exactly when the value names AWS4-HMAC-SHA256, wherever and however spaced', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'AWS4-HMAC-SHA256',
        'AWS4-HMAC-SHA2566',
        'AWS4-HMAC-SHA25',
        'Credential=x',
        ',',
      ),
      fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2003', '\ufeff', '\u0085', '\u200b'),
      fc.string({ maxLength: 3 }),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const authorization = pieces.join('')
        if (authorization.trim() === '') return
        const expected = authorization.includes('AWS4-HMAC-SHA256')
          ? 'header'
          : 'other-authorization'
        expect(detectSigV4(makeRequest({ headers: [['authorization', authorization]] }))).toBe(
          expected,
        )
      }),
      { numRuns: 3000 },
    )
  })
})
