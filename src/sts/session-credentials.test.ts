import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import type { CompiledPrincipal } from '../compile/snapshot.js'
import { SessionCredentials } from './session-credentials.js'
import { sessionKeyRingFrom, type SessionKeyRing } from './session-keys.js'
import { issueSession } from './session-token.js'
import { roleIdFor, type StsDirectory } from '../compile/sts-directory.js'
import { compilePolicy } from '../policy/index.js'

function compilePolicyOrThrow() {
  const c = compilePolicy(
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    { kind: 'identity' },
  )
  if (!c.ok) throw new Error('policy')
  return c.policy
}

const ROLE = 'arn:aws:iam::111122223333:role/reporter'

function ring(secret: string, id = 'k1'): SessionKeyRing {
  const r = sessionKeyRingFrom({ keys: [{ id, secret }], active: id })
  if (!r.ok) throw new Error(r.error)
  return r.ring
}

function directory(over: Partial<CompiledPrincipal> = {}): StsDirectory {
  const principal: CompiledPrincipal = {
    ref: 'shop/reporter',
    arn: ROLE,
    accountId: '111122223333',
    conditionKeys: new Map([
      ['aws:principaltag/team', 'data'],
      ['aws:username', 'must-not-leak'],
    ]),
    policies: [],
    ...over,
  }
  return {
    providers: new Map(),
    roles: new Map([
      [
        ROLE,
        {
          arn: ROLE,
          accountId: '111122223333',
          name: 'reporter',
          roleId: roleIdFor(ROLE),
          trust: undefined,
          maxSessionDuration: 3600,
          principal,
        },
      ],
    ]),
  }
}

const NOW = 1_700_000_000
const claims = {
  roleArn: ROLE,
  sessionName: 's1',
  provider: 'issuer.example',
  subject: 'sub-1',
  audience: 'aud-1',
  issuedAt: NOW,
  expiresAt: NOW + 900,
}

describe('SessionCredentials', () => {
  const secret = randomBytes(32).toString('base64')
  const r = ring(secret)
  const dir = directory()

  it("carries the role's identity policies and its candidate ones to the session principal", () => {
    const live = [{ label: 'inline:live', policy: compilePolicyOrThrow() }]
    const trial = [{ label: 'inline:trial', policy: compilePolicyOrThrow() }]
    const s = issueSession(r, claims)
    const rec = new SessionCredentials(() => r).resolve(
      s.sessionToken,
      s.accessKeyId,
      NOW * 1000,
      directory({ policies: live, candidatePolicies: trial }),
    )
    if (typeof rec === 'string') throw new Error(rec)
    expect(rec.principal.policies).toBe(live)
    expect(rec.principal.candidatePolicies).toBe(trial)
  })

  it('resolves a session to the assumed-role principal with the session condition keys', () => {
    const s = issueSession(r, claims)
    const rec = new SessionCredentials(() => r).resolve(
      s.sessionToken,
      s.accessKeyId,
      NOW * 1000,
      dir,
    )
    if (typeof rec === 'string') throw new Error(rec)
    expect(rec.secretAccessKey).toBe(s.secretAccessKey)
    expect(rec.principal.arn).toBe('arn:aws:sts::111122223333:assumed-role/reporter/s1')
    expect(Object.fromEntries(rec.principal.conditionKeys)).toEqual({
      'aws:principaltag/team': 'data',
      'aws:principalarn': ROLE,
      'aws:principalaccount': '111122223333',
      'aws:principaltype': 'AssumedRole',
      'aws:userid': `${roleIdFor(ROLE)}:s1`,
      'aws:tokenissuetime': '2023-11-14T22:13:20Z',
      'aws:federatedprovider': 'arn:aws:iam::111122223333:oidc-provider/issuer.example',
    })
  })

  it('is expired from expiresAt on, also when served from the cache', () => {
    const s = issueSession(r, claims)
    const sessions = new SessionCredentials(() => r)
    expect(typeof sessions.resolve(s.sessionToken, s.accessKeyId, NOW * 1000, dir)).toBe('object')
    expect(sessions.resolve(s.sessionToken, s.accessKeyId, (NOW + 900) * 1000, dir)).toBe('expired')
  })

  it('is invalid with another access key id, without a ring, or once its role is gone', () => {
    const s = issueSession(r, claims)
    const sessions = new SessionCredentials(() => r)
    expect(sessions.resolve(s.sessionToken, 'ASIAAAAAAAAAAAAAAAAA', NOW * 1000, dir)).toBe(
      'invalid',
    )
    expect(
      new SessionCredentials(() => undefined).resolve(
        s.sessionToken,
        s.accessKeyId,
        NOW * 1000,
        dir,
      ),
    ).toBe('invalid')
    expect(
      sessions.resolve(s.sessionToken, s.accessKeyId, NOW * 1000, {
        providers: new Map(),
        roles: new Map(),
      }),
    ).toBe('invalid')
  })

  it('a new ring without the sealing key ends cached sessions at once', () => {
    const s = issueSession(r, claims)
    let current = r
    const sessions = new SessionCredentials(() => current)
    expect(typeof sessions.resolve(s.sessionToken, s.accessKeyId, NOW * 1000, dir)).toBe('object')
    current = ring(randomBytes(32).toString('base64'), 'k2')
    expect(sessions.resolve(s.sessionToken, s.accessKeyId, NOW * 1000, dir)).toBe('invalid')
  })

  it('carries the session policy, compiled, as the principal sessionPolicy', () => {
    const s = issueSession(r, {
      ...claims,
      sessionPolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
      }),
    })
    const rec = new SessionCredentials(() => r).resolve(
      s.sessionToken,
      s.accessKeyId,
      NOW * 1000,
      dir,
    )
    if (typeof rec === 'string') throw new Error(rec)
    expect(rec.principal.sessionPolicy?.label).toBe('session-policy')
  })
})
