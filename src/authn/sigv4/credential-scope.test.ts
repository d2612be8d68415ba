/**
 * checkCredentialScope (index scanning, no split) gives the same parts, codes and AWS texts as the
 * plain definition: strip trailing `/`, split on `/`, exactly five parts, compare each. @module
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { checkCredentialScope, type CredentialScopeResult } from './credential-scope.js'
import { SIGV4_MESSAGES, sigV4Failure, type SigV4ErrorCode } from './sigv4-result.js'

const AMZ_DATE = '20260115T120000Z'
const REGION = 'us-east-1'
const SERVICE = 'execute-api'

function reference(credential: string, amzDate: string): CredentialScopeResult {
  const parts = credential.replace(/\/+$/, '').split('/')
  if (parts.length !== 5) {
    return {
      ok: false,
      failure: sigV4Failure(
        'ERR_SIGV4_MALFORMED_CREDENTIAL',
        'IncompleteSignatureException',
        SIGV4_MESSAGES.malformedCredential(credential),
      ),
    }
  }
  const [accessKeyId, date, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ]
  const timestampDate = amzDate.slice(0, 8)
  let code: SigV4ErrorCode | undefined
  let message = ''
  if (region !== REGION) {
    code ??= 'ERR_SIGV4_WRONG_REGION'
    message += SIGV4_MESSAGES.wrongRegion(region)
  }
  if (service !== SERVICE) {
    code ??= 'ERR_SIGV4_WRONG_SERVICE'
    message += SIGV4_MESSAGES.wrongService(SERVICE)
  }
  if (terminator !== 'aws4_request') {
    code ??= 'ERR_SIGV4_WRONG_TERMINATOR'
    message += SIGV4_MESSAGES.wrongTerminator(terminator)
  }
  if (date !== timestampDate) {
    code ??= 'ERR_SIGV4_DATE_MISMATCH'
    message += SIGV4_MESSAGES.dateMismatch(date, timestampDate, amzDate)
  }
  if (code !== undefined) {
    return { ok: false, failure: sigV4Failure(code, 'InvalidSignatureException', message) }
  }
  return { ok: true, accessKeyId, date, scope: `${date}/${region}/${service}/${terminator}` }
}

describe('checkCredentialScope', () => {
  it('accepts a well-formed credential, with the scope line of the string to sign', () => {
    expect(
      checkCredentialScope(
        'AKID/20260115/us-east-1/execute-api/aws4_request//',
        AMZ_DATE,
        REGION,
        SERVICE,
      ),
    ).toEqual({
      ok: true,
      accessKeyId: 'AKID',
      date: '20260115',
      scope: '20260115/us-east-1/execute-api/aws4_request',
    })
  })

  it('equals strip + split("/") + compare on generated credentials', () => {
    const part = fc.oneof(
      fc.constantFrom(
        'AKID',
        '',
        '20260115',
        '20260116',
        '2026011',
        REGION,
        'us-east-2',
        'us-east-1x',
        SERVICE,
        'execute-ap',
        's3',
        'aws4_request',
        'aws4_requestx',
        '/',
        '//',
      ),
      fc.string({ maxLength: 4 }),
    )
    const credential = fc.oneof(
      fc.array(part, { maxLength: 8 }).map((p) => p.join('/')),
      fc
        .tuple(part, part, part, part, part, fc.constantFrom('', '/', '///'))
        .map(([a, b, c, d, e, tail]) => `${a}/${b}/${c}/${d}/${e}${tail}`),
      fc.string({ maxLength: 60 }),
    )
    const amzDate = fc.constantFrom(AMZ_DATE, '20260116T000000Z')
    fc.assert(
      fc.property(credential, amzDate, (c, d) => {
        expect(checkCredentialScope(c, d, REGION, SERVICE)).toEqual(reference(c, d))
      }),
      { numRuns: 5000 },
    )
  })
})
