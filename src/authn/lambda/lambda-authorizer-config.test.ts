import { describe, expect, it } from 'vitest'
import {
  compileLambdaAuthorizerConfig,
  compileValidationRegex,
  parseIdentitySource,
} from './lambda-authorizer-config.js'

describe('parseIdentitySource', () => {
  it('TOKEN: one REST header source, name lower-cased for lookup', () => {
    expect(parseIdentitySource('method.request.header.Authorization', 'TOKEN')).toEqual({
      ok: true,
      sources: [{ kind: 'header', name: 'authorization', syntax: 'rest' }],
    })
  })

  it('TOKEN: refuses zero, several or non-header sources', () => {
    expect(parseIdentitySource('', 'TOKEN').ok).toBe(false)
    expect(
      parseIdentitySource('method.request.header.A, method.request.header.B', 'TOKEN').ok,
    ).toBe(false)
    expect(parseIdentitySource('method.request.querystring.token', 'TOKEN').ok).toBe(false)
  })

  it('REQUEST: the AWS console example list, in order, query and stage names case kept', () => {
    const r = parseIdentitySource(
      'method.request.header.HeaderAuth1, method.request.querystring.QueryString1, stageVariables.StageVar1, context.httpMethod',
      'REQUEST',
    )
    expect(r).toEqual({
      ok: true,
      sources: [
        { kind: 'header', name: 'headerauth1', syntax: 'rest' },
        { kind: 'querystring', name: 'QueryString1', syntax: 'rest' },
        { kind: 'stageVariable', name: 'StageVar1', syntax: 'rest' },
        { kind: 'context', name: 'httpMethod', syntax: 'rest' },
      ],
    })
  })

  it('REQUEST: HTTP API selection expressions', () => {
    const r = parseIdentitySource(
      '$request.header.Authorization,$request.querystring.id,$stageVariables.env,$context.routeKey',
      'REQUEST',
    )
    expect(r.ok && r.sources.map((s) => [s.kind, s.name, s.syntax])).toEqual([
      ['header', 'authorization', 'http'],
      ['querystring', 'id', 'http'],
      ['stageVariable', 'env', 'http'],
      ['context', 'routeKey', 'http'],
    ])
  })

  it('REQUEST: empty is allowed (no identity required, nothing cached)', () => {
    expect(parseIdentitySource(undefined, 'REQUEST')).toEqual({ ok: true, sources: [] })
  })

  it('refuses unknown prefixes, empty names, unknown context variables and mixed syntaxes', () => {
    for (const bad of [
      'method.request.path.petId',
      'header.Authorization',
      'method.request.header.',
      'method.request.header.Bad Name',
      'context.noSuchVariable',
      'method.request.header.A, $request.header.B',
    ]) {
      const r = parseIdentitySource(bad, 'REQUEST')
      expect(r.ok, bad).toBe(false)
      expect(!r.ok && r.error.length > 0).toBe(true)
    }
  })
})

describe('compileValidationRegex matches the whole value (Java String.matches semantics)', () => {
  it('matches the whole value, not a substring', () => {
    const r = compileValidationRegex('Bearer .+')
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.regex.test('Bearer abc')).toBe(true)
    expect(r.regex.test('xBearer abc')).toBe(false)
    expect(r.regex.test('Bearer ')).toBe(false)
  })

  it('alternations are anchored as a whole (a|b must not become ^a|b$)', () => {
    const r = compileValidationRegex('allow|deny')
    if (!r.ok) throw new Error(r.error)
    expect(r.regex.test('allow')).toBe(true)
    expect(r.regex.test('allowX')).toBe(false)
    expect(r.regex.test('Xdeny')).toBe(false)
  })

  it("AWS's own example ^x-[a-z]+ still works when already anchored", () => {
    const r = compileValidationRegex('^x-[a-z]+')
    if (!r.ok) throw new Error(r.error)
    expect(r.regex.test('x-abc')).toBe(true)
    expect(r.regex.test('x-abc1')).toBe(false)
  })

  it('an invalid expression is a config error, not an exception', () => {
    const r = compileValidationRegex('([a-')
    expect(r.ok).toBe(false)
  })
})

describe('compileLambdaAuthorizerConfig', () => {
  const token = {
    type: 'TOKEN' as const,
    authorizerUri: 'http://token-auth.shop.svc.cluster.local:8080/',
    identitySource: 'method.request.header.Authorization',
    identityValidationExpression: 'Bearer .+',
  }

  it('applies the documented defaults (TTL 300, timeout 3000, payload 1.0)', () => {
    const r = compileLambdaAuthorizerConfig('shop/token-auth', token)
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    expect(r.config).toMatchObject({
      id: 'shop/token-auth',
      type: 'TOKEN',
      ttlSeconds: 300,
      timeoutMs: 3000,
      payloadFormatVersion: '1.0',
      enableSimpleResponses: false,
      maxConcurrency: 64,
      maxResponseBytes: 65536,
    })
    expect(r.config.validationRegex?.test('Bearer x')).toBe(true)
    expect(Object.isFrozen(r.config)).toBe(true)
  })

  it('revision is stable for equal specs (any key order) and changes with any field', () => {
    const a = compileLambdaAuthorizerConfig('shop/a', token)
    const b = compileLambdaAuthorizerConfig('shop/a', {
      identityValidationExpression: 'Bearer .+',
      identitySource: 'method.request.header.Authorization',
      authorizerUri: 'http://token-auth.shop.svc.cluster.local:8080/',
      type: 'TOKEN',
    })
    const c = compileLambdaAuthorizerConfig('shop/a', {
      ...token,
      authorizerResultTtlInSeconds: 60,
    })
    if (!a.ok || !b.ok || !c.ok) throw new Error('compile failed')
    expect(a.config.revision).toBe(b.config.revision)
    expect(c.config.revision).not.toBe(a.config.revision)
  })

  it('collects every problem with its field path', () => {
    const r = compileLambdaAuthorizerConfig('shop/bad', {
      type: 'REQUEST',
      authorizerUri: 'ftp://x/',
      identitySource: 'nope.x',
      identityValidationExpression: 'x',
      authorizerResultTtlInSeconds: 3601,
      timeoutMillis: 0,
      payloadFormatVersion: '1.0',
      enableSimpleResponses: true,
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.map((e) => e.path).sort()).toEqual([
      'authorizerResultTtlInSeconds',
      'authorizerUri',
      'enableSimpleResponses',
      'identitySource',
      'identityValidationExpression',
      'timeoutMillis',
    ])
  })

  it('TOKEN authorizers have no payload 2.0 (HTTP APIs only have REQUEST authorizers)', () => {
    const r = compileLambdaAuthorizerConfig('s/a', { ...token, payloadFormatVersion: '2.0' })
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(['payloadFormatVersion'])
  })

  it('refuses credentials in the URI and accepts TTL 0 (caching off)', () => {
    const creds = compileLambdaAuthorizerConfig('s/a', { ...token, authorizerUri: 'http://u:p@h/' })
    expect(creds.ok).toBe(false)
    const zero = compileLambdaAuthorizerConfig('s/a', { ...token, authorizerResultTtlInSeconds: 0 })
    expect(zero.ok && zero.config.ttlSeconds).toBe(0)
  })
})
