/** Presence detection routes each request to the right authenticator. @module */
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
  ] as const)('%j → %s', (parts, expected) => {
    expect(detectSigV4(makeRequest(parts))).toBe(expected)
  })
})
