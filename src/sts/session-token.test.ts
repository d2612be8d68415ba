import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { parseSessionKeyRing, sessionKeyRingFrom, type SessionKeyRing } from './session-keys.js'
import {
  issueSession,
  MAX_SESSION_TOKEN_CHARS,
  newSessionAccessKeyId,
  openSessionToken,
} from './session-token.js'

const SECRET_A = randomBytes(32).toString('base64')
const SECRET_B = randomBytes(32).toString('base64')

function ring(keys: Record<string, string>, active: string): SessionKeyRing {
  const r = sessionKeyRingFrom({
    keys: Object.entries(keys).map(([id, secret]) => ({ id, secret })),
    active,
  })
  if (!r.ok) throw new Error(r.error)
  return r.ring
}

const CLAIMS = {
  roleArn: 'arn:aws:iam::111122223333:role/reporter',
  sessionName: 'batch-1',
  provider: 'kubernetes.default.svc.cluster.local',
  subject: 'system:serviceaccount:batch:reporter',
  audience: 'sts.amazonaws.com',
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_003_600,
}

describe('session key ring', () => {
  it('parses JSON and YAML documents and names the active key', () => {
    const json = parseSessionKeyRing(
      JSON.stringify({ keys: [{ id: 'k1', secret: SECRET_A }], active: 'k1' }),
    )
    const yaml = parseSessionKeyRing(
      `keys:\n  - id: k1\n    secret: ${SECRET_A}\n  - id: k2\n    secret: ${SECRET_B}\nactive: k2\n`,
    )
    expect(json.ok && json.ring.active.id).toBe('k1')
    expect(yaml.ok && yaml.ring.active.id).toBe('k2')
  })

  it.each([
    ['no keys', { keys: [], active: 'k1' }, 'keys: must list'],
    ['short secret', { keys: [{ id: 'k1', secret: 'AAAA' }], active: 'k1' }, 'keys[0].secret'],
    ['bad id', { keys: [{ id: 'a.b', secret: SECRET_A }], active: 'a.b' }, 'keys[0].id'],
    [
      'duplicate id',
      {
        keys: [
          { id: 'k1', secret: SECRET_A },
          { id: 'k1', secret: SECRET_B },
        ],
        active: 'k1',
      },
      'duplicate',
    ],
    ['unknown active', { keys: [{ id: 'k1', secret: SECRET_A }], active: 'k9' }, 'active'],
  ])('refuses %s with a message that never quotes a secret', (_name, doc, message) => {
    const r = sessionKeyRingFrom(doc)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error).toContain(message)
      expect(r.error).not.toContain(SECRET_A)
    }
  })

  it('refuses unparsable text without echoing it', () => {
    const r = parseSessionKeyRing(`keys: [{id: k1, secret: ${SECRET_A}`)
    expect(r).toEqual({ ok: false, error: 'not valid JSON or YAML' })
  })
})

describe('session token codec', () => {
  const r1 = ring({ k1: SECRET_A }, 'k1')

  it('access key ids have the STS shape ASIA + 16 base32 characters', () => {
    for (let i = 0; i < 50; i++) expect(newSessionAccessKeyId()).toMatch(/^ASIA[A-Z2-7]{16}$/)
  })

  it('round-trips the claims and re-derives the same secret access key', () => {
    const s = issueSession(r1, CLAIMS)
    expect(s.secretAccessKey).toHaveLength(40)
    const opened = openSessionToken(r1, s.sessionToken)
    expect(opened).toEqual({
      ok: true,
      claims: { ...CLAIMS, accessKeyId: s.accessKeyId, sessionPolicy: undefined },
      secretAccessKey: s.secretAccessKey,
      keyId: 'k1',
    })
  })

  it('the token reveals neither the claims nor the secret in clear', () => {
    const s = issueSession(r1, CLAIMS)
    const raw = Buffer.from(s.sessionToken, 'base64url').toString('latin1')
    expect(raw).not.toContain('reporter')
    expect(raw).not.toContain(s.accessKeyId)
    expect(raw).not.toContain(s.secretAccessKey)
  })

  it('a large session policy is compressed and comes back unchanged', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: Array.from({ length: 20 }, (_, i) => ({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `arn:aws:execute-api:us-east-1:111122223333:api${i}/prod/GET/*`,
      })),
    })
    const s = issueSession(r1, { ...CLAIMS, sessionPolicy: policy })
    expect(s.sessionToken.length).toBeLessThan(policy.length)
    const opened = openSessionToken(r1, s.sessionToken)
    expect(opened.ok && opened.claims.sessionPolicy).toBe(policy)
  })

  it('every flipped byte is refused (tamper)', () => {
    const s = issueSession(r1, CLAIMS)
    const bytes = Buffer.from(s.sessionToken, 'base64url')
    for (let i = 0; i < bytes.length; i++) {
      const t = Buffer.from(bytes)
      t[i] = (t[i] as number) ^ 0x01
      const opened = openSessionToken(r1, t.toString('base64url'))
      expect(opened.ok, `byte ${i}`).toBe(false)
    }
  })

  it('a token sealed by another installation under the same key id is invalid (foreign key)', () => {
    const foreign = issueSession(ring({ k1: SECRET_B }, 'k1'), CLAIMS)
    expect(openSessionToken(r1, foreign.sessionToken)).toEqual({
      ok: false,
      code: 'ERR_STS_TOKEN_INVALID',
    })
  })

  it('a token under a key id the ring does not hold is refused as unknown key', () => {
    const other = issueSession(ring({ k2: SECRET_A }, 'k2'), CLAIMS)
    expect(openSessionToken(r1, other.sessionToken)).toEqual({
      ok: false,
      code: 'ERR_STS_TOKEN_UNKNOWN_KEY',
    })
  })

  it('re-labelling a token with another held key id fails authentication (wrong key id)', () => {
    const both = ring({ k1: SECRET_A, k2: SECRET_B }, 'k1')
    const s = issueSession(both, CLAIMS)
    const bytes = Buffer.from(s.sessionToken, 'base64url')
    bytes.write('k2', 2, 'utf8')
    expect(openSessionToken(both, bytes.toString('base64url'))).toEqual({
      ok: false,
      code: 'ERR_STS_TOKEN_INVALID',
    })
  })

  it('rotation: a new active key seals, the old one still opens live sessions', () => {
    const old = issueSession(r1, CLAIMS)
    const rotated = ring({ k1: SECRET_A, k2: SECRET_B }, 'k2')
    const fresh = issueSession(rotated, CLAIMS)
    const a = openSessionToken(rotated, old.sessionToken)
    const b = openSessionToken(rotated, fresh.sessionToken)
    expect(a.ok && a.keyId).toBe('k1')
    expect(a.ok && a.secretAccessKey).toBe(old.secretAccessKey)
    expect(b.ok && b.keyId).toBe('k2')
    // Once k1 is dropped, its sessions end.
    expect(openSessionToken(ring({ k2: SECRET_B }, 'k2'), old.sessionToken).ok).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/=='],
    ['too long', 'A'.repeat(MAX_SESSION_TOKEN_CHARS + 1)],
    ['wrong version', Buffer.from([2, 0, ...randomBytes(40)]).toString('base64url')],
    ['truncated', Buffer.from([1, 2, 0x6b, 0x31, 1, 2, 3]).toString('base64url')],
    ['an AWS-looking token', 'FwoGZXIvYXdzEBYaDH' + 'x'.repeat(100)],
  ])('refuses a malformed token (%s) without throwing', (_name, token) => {
    const opened = openSessionToken(r1, token)
    expect(opened.ok).toBe(false)
  })
})
