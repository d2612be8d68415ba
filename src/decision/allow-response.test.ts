import { describe, expect, it } from 'vitest'
import type { RequestContext } from '../request/request-context.js'
import { allowOutcome, NO_CONTEXT } from './allow-response.js'

const req = (headers: Record<string, string> = {}): RequestContext => ({
  requestId: 'r-1',
  method: 'GET',
  path: '/',
  rawQuery: '',
  authority: 'a',
  host: 'a',
  scheme: 'https',
  protocol: 'HTTP/2',
  headers: new Map(Object.entries(headers)),
  body: undefined,
  bodyPartial: false,
  sourceIp: '203.0.113.1',
  sourcePrincipal: undefined,
  contextExtensions: new Map(),
  timeMs: 0,
})

describe('allowOutcome', () => {
  it('sets principal and context headers (token-safe names, control characters encoded, never raw) and removes only client copies it does not set', () => {
    const o = allowOutcome(
      req({ 'x-portcullis-principal': 'forged', 'x-portcullis-role': 'admin', accept: '*/*' }),
      { principal: 'alice', context: { 'Tier Level': 'gold\r\nx-evil: 1' } },
      'ALLOW_AUTHORIZER',
      'shop/petstore',
    )
    expect(o.upstreamHeaders).toEqual([
      { name: 'x-portcullis-principal', value: 'alice' },
      { name: 'x-portcullis-context-tier-level', value: "UTF-8''gold%0D%0Ax-evil%3A%201" },
    ])
    expect(o.headersToRemove).toEqual(['x-portcullis-role'])
    expect(o.metadata).toEqual({ decision_id: 'r-1', principal: 'alice' })
  })

  it('encodes non-Latin principals and context values, in every header list shape (principal only, reusable, one-off)', () => {
    const principal = '张伟'
    const context = { name: 'Łukasz 🦊' }
    const encodedPrincipal = "UTF-8''%E5%BC%A0%E4%BC%9F"
    const encodedName = "UTF-8''%C5%81ukasz%20%F0%9F%A6%8A"
    for (const identity of [
      { principal, context: {} },
      { principal, context },
      { principal, context, reusable: false },
    ]) {
      const o = allowOutcome(req(), identity, 'X', undefined)
      expect(o.upstreamHeaders[0]).toEqual({
        name: 'x-portcullis-principal',
        value: encodedPrincipal,
      })
      if (identity.context === context) {
        expect(o.upstreamHeaders[1]).toEqual({
          name: 'x-portcullis-context-name',
          value: encodedName,
        })
      }
      // Metadata is a protobuf string (UTF-8 on the wire): the principal as it is.
      expect(o.metadata.principal).toBe(principal)
    }
  })

  it('removes client-sent underscore spellings (x_portcullis_*, mixed), which CGI/WSGI/PHP read as x-portcullis-*', () => {
    const o = allowOutcome(
      req({
        x_portcullis_principal: 'forged',
        'x_portcullis-context-team': 'forged',
        'x-portcullis_role': 'admin',
        x_portcullisx: 'kept: another name',
        'x-portcullisfoo': 'kept: another name',
        x_port: 'kept',
      }),
      { principal: 'alice', context: { team: 'pets' } },
      'X',
      undefined,
    )
    expect(o.headersToRemove).toEqual([
      'x_portcullis_principal',
      'x_portcullis-context-team',
      'x-portcullis_role',
    ])
  })

  it('builds a reusable identity header list once (same frozen array for the same context object), per principal', () => {
    const context = { tier: 'gold' }
    const a = allowOutcome(req(), { principal: 'alice', context }, 'X', undefined)
    const b = allowOutcome(req(), { principal: 'alice', context }, 'X', undefined)
    expect(b.upstreamHeaders).toBe(a.upstreamHeaders)
    expect(Object.isFrozen(a.upstreamHeaders)).toBe(true)
    // Same context object, other principal: its own list, never alice's.
    const c = allowOutcome(req(), { principal: 'bob', context }, 'X', undefined)
    expect(c.upstreamHeaders[0]).toEqual({ name: 'x-portcullis-principal', value: 'bob' })
  })

  it('builds a one-off identity (reusable: false) plainly: a fresh unfrozen list, which no encoder or validator cache keeps', () => {
    const context = { tier: 'gold' }
    const a = allowOutcome(req(), { principal: 'alice', context, reusable: false }, 'X', undefined)
    const b = allowOutcome(req(), { principal: 'alice', context, reusable: false }, 'X', undefined)
    expect(a.upstreamHeaders).toEqual(b.upstreamHeaders)
    expect(a.upstreamHeaders).not.toBe(b.upstreamHeaders)
    expect(Object.isFrozen(a.upstreamHeaders)).toBe(false)
  })

  it('shares one list per principal for identities without context, and none without a principal', () => {
    const a = allowOutcome(
      req(),
      { principal: 'arn:aws:iam::1:user/a', context: {} },
      'X',
      undefined,
    )
    const b = allowOutcome(
      req(),
      { principal: 'arn:aws:iam::1:user/a', context: {} },
      'X',
      undefined,
    )
    expect(b.upstreamHeaders).toBe(a.upstreamHeaders)
    const none = allowOutcome(req(), { principal: undefined, context: NO_CONTEXT }, 'X', undefined)
    expect(none.upstreamHeaders).toEqual([])
    expect(none.headersToRemove).toEqual([])
  })
})
