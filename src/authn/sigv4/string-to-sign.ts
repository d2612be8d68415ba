/**
 * The SigV4 string to sign and the credential scope it names.
 *
 * @module
 */
import * as crypto from 'node:crypto'

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256'
export const SIGV4_TERMINATOR = 'aws4_request'

/** `<YYYYMMDD>/<region>/<service>/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/${SIGV4_TERMINATOR}`
}

/**
 * `crypto.hash` (Node >= 20.12) hashes in one call, without a Hash object: about half the cost of
 * `createHash().update().digest()` for the short inputs of a canonical request.
 */
const oneShotHash: typeof crypto.hash | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined

/** Lower-case hex SHA-256 (strings hashed as UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash !== undefined
    ? oneShotHash('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex')
}

/**
 * `AWS4-HMAC-SHA256 \n <timestamp> \n <scope> \n hex(SHA256(canonicalRequest))`, no trailing
 * newline. `timestamp` is the ISO 8601 basic form (`20150830T123600Z`).
 */
export function stringToSign(
  timestamp: string,
  scope: string,
  canonicalRequestText: string,
): string {
  return `${SIGV4_ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonicalRequestText)}`
}
