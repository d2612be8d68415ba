/**
 * Stateless session credentials. The session token is the session itself, sealed with
 * AES-256-GCM under a key of the ring: role, session name, provider, subject, audience, times,
 * session policy and the access key id it belongs to. The secret access key is not in it: it is
 * HMAC(key, access key id), so a replica holding the ring re-derives it and nothing is stored, and
 * a token without its secret cannot sign.
 *
 * Wire form (base64url, no padding): version 1 | key id length | key id | 12-byte IV | ciphertext |
 * 16-byte tag. The version and key id are authenticated as associated data, so a token re-labelled
 * with another key id fails like a forged one.
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'

import type { SessionKeyRing } from './session-keys.js'
import type { ProblemCode } from '../api/decision-codes.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
/** Plaintext flag: the body is raw DEFLATE. */
const DEFLATED = 1
/** Bodies longer than this (a session policy, mostly) are compressed. */
const COMPRESS_OVER = 256
/** Refused before any decoding: far above any token this module seals. */
export const MAX_SESSION_TOKEN_CHARS = 8192
const MAX_PLAINTEXT_BYTES = 16 * 1024

/** What a session token carries. Times are epoch seconds. */
export interface SessionClaims {
  /** `arn:aws:iam::<acct>:role/<name>`. */
  readonly roleArn: string
  readonly sessionName: string
  /** Provider name as in trust policies (issuer without `https://`). */
  readonly provider: string
  /** `sub` of the web identity token. */
  readonly subject: string
  /** The `aud` that matched the provider's client id list. */
  readonly audience: string
  readonly issuedAt: number
  readonly expiresAt: number
  /** Session policy (IAM JSON text), narrowing the role's identity policies. */
  readonly sessionPolicy?: string | undefined
  /** The `ASIA…` key id the token is bound to. */
  readonly accessKeyId: string
}

export interface IssuedSession {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  readonly claims: SessionClaims
}

/**
 * Why a session token does not open (meanings in `src/api/decision-codes.ts`): not a token this
 * module could have sealed; sealed under a key id the ring does not hold; or its tag does not
 * verify (tampered, or another key with that id).
 */
export type SessionTokenErrorCode = Extract<
  ProblemCode,
  'ERR_STS_TOKEN_MALFORMED' | 'ERR_STS_TOKEN_UNKNOWN_KEY' | 'ERR_STS_TOKEN_INVALID'
>

export type OpenSessionResult =
  | {
      readonly ok: true
      readonly claims: SessionClaims
      readonly secretAccessKey: string
      /** Id of the key that sealed it. */
      readonly keyId: string
    }
  | { readonly ok: false; readonly code: SessionTokenErrorCode }

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** `ASIA` and 16 base32 characters (80 random bits), the shape of STS key ids. */
export function newSessionAccessKeyId(): string {
  const bytes = randomBytes(10)
  let bits = 0
  let value = 0
  let out = 'ASIA'
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET.charAt((value >>> (bits - 5)) & 31)
      bits -= 5
    }
  }
  return out
}

/** 40 characters like an AWS secret access key, bound to the key id by the ring's key. */
function deriveSecret(key: KeyObject, accessKeyId: string): string {
  return createHmac('sha256', key)
    .update(`secret-access-key\0${accessKeyId}`, 'utf8')
    .digest()
    .subarray(0, 30)
    .toString('base64')
}

interface WireClaims {
  r: string
  n: string
  p: string
  s: string
  a: string
  i: number
  e: number
  k: string
  pol?: string
}

function toWire(c: SessionClaims): WireClaims {
  const w: WireClaims = {
    r: c.roleArn,
    n: c.sessionName,
    p: c.provider,
    s: c.subject,
    a: c.audience,
    i: c.issuedAt,
    e: c.expiresAt,
    k: c.accessKeyId,
  }
  if (c.sessionPolicy !== undefined) w.pol = c.sessionPolicy
  return w
}

function fromWire(raw: unknown): SessionClaims | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const w = raw as Record<string, unknown>
  const str = (k: string): string | undefined => (typeof w[k] === 'string' ? w[k] : undefined)
  const num = (k: string): number | undefined =>
    typeof w[k] === 'number' && Number.isSafeInteger(w[k]) ? w[k] : undefined
  const [r, n, p, s, a, k] = [str('r'), str('n'), str('p'), str('s'), str('a'), str('k')]
  const [i, e] = [num('i'), num('e')]
  if (
    r === undefined ||
    n === undefined ||
    p === undefined ||
    s === undefined ||
    a === undefined ||
    k === undefined ||
    i === undefined ||
    e === undefined
  ) {
    return undefined
  }
  const pol = w['pol']
  if (pol !== undefined && typeof pol !== 'string') return undefined
  return {
    roleArn: r,
    sessionName: n,
    provider: p,
    subject: s,
    audience: a,
    issuedAt: i,
    expiresAt: e,
    accessKeyId: k,
    sessionPolicy: pol,
  }
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'utf8')
  return Buffer.concat([Buffer.from([VERSION, id.length]), id])
}

/** Mints a session: a fresh access key id, its derived secret, and the sealed token. */
export function issueSession(
  ring: SessionKeyRing,
  claims: Omit<SessionClaims, 'accessKeyId'>,
): IssuedSession {
  const accessKeyId = newSessionAccessKeyId()
  const full: SessionClaims = { ...claims, accessKeyId }
  const key = ring.active
  const json = Buffer.from(JSON.stringify(toWire(full)), 'utf8')
  const body = json.length > COMPRESS_OVER ? deflateRawSync(json) : json
  const flags = body === json ? 0 : DEFLATED
  const aad = header(key.id)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv)
  cipher.setAAD(aad)
  const ct = Buffer.concat([
    cipher.update(Buffer.from([flags])),
    cipher.update(body),
    cipher.final(),
  ])
  const token = Buffer.concat([aad, iv, ct, cipher.getAuthTag()]).toString('base64url')
  return {
    accessKeyId,
    secretAccessKey: deriveSecret(key.secretDerivation, accessKeyId),
    sessionToken: token,
    claims: full,
  }
}

const MALFORMED = Object.freeze({ ok: false, code: 'ERR_STS_TOKEN_MALFORMED' } as const)
const UNKNOWN_KEY = Object.freeze({ ok: false, code: 'ERR_STS_TOKEN_UNKNOWN_KEY' } as const)
const INVALID = Object.freeze({ ok: false, code: 'ERR_STS_TOKEN_INVALID' } as const)
const BASE64URL = /^[A-Za-z0-9_-]+$/

/**
 * Opens a token: authenticity and shape only. Expiry and the access key binding are the caller's
 * checks (a cache of opened tokens must re-check expiry on every use anyway). Never throws.
 */
export function openSessionToken(ring: SessionKeyRing, token: string): OpenSessionResult {
  try {
    if (token.length === 0 || token.length > MAX_SESSION_TOKEN_CHARS || !BASE64URL.test(token)) {
      return MALFORMED
    }
    const bytes = Buffer.from(token, 'base64url')
    if (bytes.length < 2 || bytes[0] !== VERSION) return MALFORMED
    const idLength = bytes[1] as number
    const bodyStart = 2 + idLength + IV_BYTES
    if (bytes.length < bodyStart + 1 + TAG_BYTES) return MALFORMED
    const keyId = bytes.toString('utf8', 2, 2 + idLength)
    const key = ring.byId.get(keyId)
    if (key === undefined) return UNKNOWN_KEY
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key.encryption,
      bytes.subarray(2 + idLength, bodyStart),
    )
    decipher.setAAD(bytes.subarray(0, 2 + idLength))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    let plain: Buffer
    try {
      plain = Buffer.concat([
        decipher.update(bytes.subarray(bodyStart, bytes.length - TAG_BYTES)),
        decipher.final(),
      ])
    } catch {
      return INVALID
    }
    // Authentic from here on: only this module's own output can reach the parsing below.
    const body =
      plain[0] === DEFLATED
        ? inflateRawSync(plain.subarray(1), { maxOutputLength: MAX_PLAINTEXT_BYTES })
        : plain.subarray(1)
    const claims = fromWire(JSON.parse(body.toString('utf8')))
    if (claims === undefined) return MALFORMED
    return {
      ok: true,
      claims,
      secretAccessKey: deriveSecret(key.secretDerivation, claims.accessKeyId),
      keyId,
    }
  } catch {
    return MALFORMED
  }
}
