import { describe, expect, it } from 'vitest'
import { buildConditionContext, withPrincipalKeys } from './condition-context.js'
import type { RequestContext } from '../request/request-context.js'

const req = (over: Partial<RequestContext> = {}): RequestContext => ({
  requestId: 'r1',
  method: 'GET',
  path: '/x',
  rawQuery: '',
  authority: 'a.example.com',
  host: 'a.example.com',
  scheme: 'https',
  protocol: 'HTTP/2',
  headers: new Map([
    ['referer', 'https://shop.example.com/cart'],
    ['user-agent', 'curl/8.0'],
  ]),
  body: undefined,
  bodyPartial: false,
  sourceIp: '10.1.2.3',
  sourcePrincipal: 'spiffe://cluster.local/ns/web/sa/frontend',
  contextExtensions: new Map(),
  timeMs: Date.UTC(2026, 10, 30, 12, 0, 0, 123),
  ...over,
})

const source = {
  principal: 'spiffe://cluster.local/ns/web/sa/frontend',
  namespace: 'web',
  serviceAccount: 'frontend',
  endpointName: 'frontend',
}

describe('condition keys every policy sees', () => {
  it('fills every request key for a regional API; aws:SourceIp present, VPC keys absent', () => {
    const ctx = buildConditionContext(req(), false, source)
    expect(Object.fromEntries(ctx)).toEqual({
      'aws:currenttime': '2026-11-30T12:00:00Z',
      'aws:epochtime': String(Math.floor(Date.UTC(2026, 10, 30, 12, 0, 0) / 1000)),
      'aws:securetransport': 'true',
      'aws:referer': 'https://shop.example.com/cart',
      'aws:useragent': 'curl/8.0',
      'aws:sourceip': '10.1.2.3',
      'portcullis:sourcenamespace': 'web',
      'portcullis:sourceserviceaccount': 'frontend',
      'portcullis:sourceprincipal': 'spiffe://cluster.local/ns/web/sa/frontend',
    })
  })

  it('for a private API: aws:SourceIp is absent, the client IP is aws:VpcSourceIp, endpoint keys set', () => {
    const ctx = buildConditionContext(req(), true, source)
    expect(ctx.has('aws:sourceip')).toBe(false)
    expect(ctx.get('aws:vpcsourceip')).toBe('10.1.2.3')
    expect(ctx.get('aws:sourcevpce')).toBe('frontend')
    expect(ctx.get('aws:sourcevpc')).toBe('web')
  })

  it('leaves keys absent when the request does not carry them (absence matters in IAM)', () => {
    const ctx = buildConditionContext(
      req({ headers: new Map(), sourceIp: undefined, sourcePrincipal: undefined, scheme: 'http' }),
      false,
      {
        principal: undefined,
        namespace: undefined,
        serviceAccount: undefined,
        endpointName: undefined,
      },
    )
    expect([...ctx.keys()].sort()).toEqual([
      'aws:currenttime',
      'aws:epochtime',
      'aws:securetransport',
    ])
    expect(ctx.get('aws:securetransport')).toBe('false')
  })

  it('portcullis:SourcePrincipal comes from the attribution, not the raw request principal', () => {
    // A foreign or malformed SPIFFE id reaches the request but identifies nothing (identifyPeer).
    const ctx = buildConditionContext(
      req({ sourcePrincipal: 'spiffe://other.example/ns/web/sa/frontend' }),
      false,
      {
        principal: undefined,
        namespace: undefined,
        serviceAccount: undefined,
        endpointName: undefined,
      },
    )
    expect(ctx.has('portcullis:sourceprincipal')).toBe(false)
    expect(ctx.has('portcullis:sourcenamespace')).toBe(false)
  })

  it('adds principal keys on a copy, leaving the shared base untouched', () => {
    const base = buildConditionContext(req(), false, source)
    const withP = withPrincipalKeys(base, new Map([['aws:username', 'alice']]))
    expect(withP.get('aws:username')).toBe('alice')
    expect(base.has('aws:username')).toBe(false)
  })
})
