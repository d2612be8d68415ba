/**
 * The SigV4 credential (`AKID/date/region/service/aws4_request`): split into its parts and its
 * scope checked against the configured region and service and the request date, with AWS's texts.
 *
 * @module
 */
import {
  SIGV4_MESSAGES,
  sigV4Failure,
  type SigV4ErrorCode,
  type SigV4Failure,
} from './sigv4-result.js'
import { SIGV4_TERMINATOR } from './string-to-sign.js'

/** `text[at, at + length)` equals `other[0, length)` (char codes; no substring, no startsWith). */
function sameAt(text: string, at: number, other: string, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(at + i) !== other.charCodeAt(i)) return false
  }
  return true
}

export type CredentialScopeResult =
  | {
      readonly ok: true
      readonly accessKeyId: string
      readonly date: string
      /** `date/region/service/aws4_request`: the scope line of the string to sign. */
      readonly scope: string
    }
  | { readonly ok: false; readonly failure: SigV4Failure }

/**
 * `AKID/YYYYMMDD/region/service/aws4_request`, trailing slashes ignored (as AWS does). All scope
 * errors are reported together in one message, as AWS does; the code names the first one.
 *
 * @param amzDate the request timestamp in ISO basic form (its first 8 characters are the date the
 *   scope must name).
 * @param region the region and service the scope must name (the verifier's configuration).
 */
export function checkCredentialScope(
  credential: string,
  amzDate: string,
  region: string,
  service: string,
): CredentialScopeResult {
  // Trailing slashes are ignored; then exactly four more slashes split the five parts.
  let end = credential.length
  while (end > 0 && credential.charCodeAt(end - 1) === 0x2f) end--
  const s1 = credential.indexOf('/')
  const s2 = s1 < 0 ? -1 : credential.indexOf('/', s1 + 1)
  const s3 = s2 < 0 ? -1 : credential.indexOf('/', s2 + 1)
  const s4 = s3 < 0 ? -1 : credential.indexOf('/', s3 + 1)
  const s5 = s4 < 0 ? -1 : credential.indexOf('/', s4 + 1)
  if (s4 < 0 || s4 >= end || (s5 >= 0 && s5 < end)) {
    return {
      ok: false,
      failure: sigV4Failure(
        'ERR_SIGV4_MALFORMED_CREDENTIAL',
        'IncompleteSignatureException',
        SIGV4_MESSAGES.malformedCredential(credential),
      ),
    }
  }
  const accessKeyId = credential.slice(0, s1)
  // The common case first: everything matches, no part and no message to build.
  if (
    s2 === s1 + 9 &&
    sameAt(credential, s1 + 1, amzDate, 8) &&
    s3 === s2 + 1 + region.length &&
    sameAt(credential, s2 + 1, region, region.length) &&
    s4 === s3 + 1 + service.length &&
    sameAt(credential, s3 + 1, service, service.length) &&
    end === s4 + 1 + SIGV4_TERMINATOR.length &&
    sameAt(credential, s4 + 1, SIGV4_TERMINATOR, SIGV4_TERMINATOR.length)
  ) {
    return {
      ok: true,
      accessKeyId,
      date: credential.slice(s1 + 1, s2),
      scope: credential.slice(s1 + 1, end),
    }
  }
  const date = credential.slice(s1 + 1, s2)
  const scopeRegion = credential.slice(s2 + 1, s3)
  const scopeService = credential.slice(s3 + 1, s4)
  const terminator = credential.slice(s4 + 1, end)
  const timestampDate = amzDate.slice(0, 8)
  let code: SigV4ErrorCode | undefined
  let message = ''
  if (scopeRegion !== region) {
    code ??= 'ERR_SIGV4_WRONG_REGION'
    message += SIGV4_MESSAGES.wrongRegion(scopeRegion)
  }
  if (scopeService !== service) {
    code ??= 'ERR_SIGV4_WRONG_SERVICE'
    message += SIGV4_MESSAGES.wrongService(service)
  }
  if (terminator !== SIGV4_TERMINATOR) {
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
  return { ok: true, accessKeyId, date, scope: credential.slice(s1 + 1, end) }
}
