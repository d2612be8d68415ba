import { describe, expect, it } from 'vitest'
import { authorizerRequest, requestContext } from '../../../test/helpers/lambda-authorizer-peer.js'
import {
  compileLambdaAuthorizerConfig,
  type LambdaAuthorizerSpecInput,
} from './lambda-authorizer-config.js'
import { resolveIdentityValues } from './resolve-identity-values.js'

function config(spec: Partial<LambdaAuthorizerSpecInput>) {
  const r = compileLambdaAuthorizerConfig('shop/a', {
    type: 'REQUEST',
    authorizerUri: 'http://127.0.0.1:1/',
    ...spec,
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}

describe('resolveIdentityValues', () => {
  it('TOKEN: header lookup is case-insensitive and the value is passed verbatim (Bearer kept)', () => {
    const c = config({ type: 'TOKEN', identitySource: 'method.request.header.AuthToken' })
    const input = authorizerRequest({
      req: requestContext({ headers: { AUTHTOKEN: 'Bearer abc' } }),
    })
    expect(resolveIdentityValues(c, input)).toEqual({ ok: true, values: ['Bearer abc'] })
  })

  it('TOKEN: absent or empty header → identity_missing', () => {
    const c = config({ type: 'TOKEN', identitySource: 'method.request.header.Authorization' })
    expect(resolveIdentityValues(c, authorizerRequest())).toEqual({
      ok: false,
      reason: 'identity_missing',
    })
    const empty = authorizerRequest({ req: requestContext({ headers: { authorization: '' } }) })
    expect(resolveIdentityValues(c, empty)).toEqual({ ok: false, reason: 'identity_missing' })
  })

  it('TOKEN: regex must match the whole value, else identity_invalid', () => {
    const c = config({
      type: 'TOKEN',
      identitySource: 'method.request.header.Authorization',
      identityValidationExpression: 'Bearer [a-z]+',
    })
    const ok = authorizerRequest({
      req: requestContext({ headers: { authorization: 'Bearer abc' } }),
    })
    const bad = authorizerRequest({
      req: requestContext({ headers: { authorization: 'Bearer abc123' } }),
    })
    expect(resolveIdentityValues(c, ok).ok).toBe(true)
    expect(resolveIdentityValues(c, bad)).toEqual({ ok: false, reason: 'identity_invalid' })
  })

  it('REQUEST: header, query string, stage variable and context variable, in configured order', () => {
    const c = config({
      identitySource:
        'method.request.header.HeaderAuth1, method.request.querystring.QueryString1, stageVariables.StageVar1, context.httpMethod',
    })
    const input = authorizerRequest({
      req: requestContext({
        method: 'GET',
        rawQuery: 'QueryString1=a&QueryString1=queryValue1',
        headers: { HeaderAuth1: 'headerValue1' },
      }),
      stageVariables: { StageVar1: 'stageValue1' },
    })
    // REST reads the last value of a repeated query parameter, as its queryStringParameters does.
    expect(resolveIdentityValues(c, input)).toEqual({
      ok: true,
      values: ['headerValue1', 'queryValue1', 'stageValue1', 'GET'],
    })
  })

  it('REQUEST (HTTP API syntax): repeated query values are comma-joined; names are case-sensitive', () => {
    const c = config({ identitySource: '$request.querystring.id' })
    const both = authorizerRequest({ req: requestContext({ rawQuery: 'id=1&id=2&ID=3' }) })
    expect(resolveIdentityValues(c, both)).toEqual({ ok: true, values: ['1,2'] })
    const upper = authorizerRequest({ req: requestContext({ rawQuery: 'ID=3' }) })
    expect(resolveIdentityValues(c, upper)).toEqual({ ok: false, reason: 'identity_missing' })
  })

  it('REQUEST: any one missing or empty source → identity_missing (no call)', () => {
    const c = config({
      identitySource: 'method.request.header.A, method.request.querystring.q, stageVariables.s',
    })
    const base = { headers: { a: 'x' }, rawQuery: 'q=1' }
    expect(
      resolveIdentityValues(
        c,
        authorizerRequest({ req: requestContext(base), stageVariables: {} }),
      ),
    ).toEqual({ ok: false, reason: 'identity_missing' })
    expect(
      resolveIdentityValues(
        c,
        authorizerRequest({
          req: requestContext({ ...base, rawQuery: 'q=' }),
          stageVariables: { s: 'v' },
        }),
      ),
    ).toEqual({ ok: false, reason: 'identity_missing' })
    expect(
      resolveIdentityValues(
        c,
        authorizerRequest({ req: requestContext(base), stageVariables: { s: 'v' } }),
      ),
    ).toEqual({ ok: true, values: ['x', '1', 'v'] })
  })

  it('REQUEST: stage variables are own properties only (no prototype lookups)', () => {
    const c = config({ identitySource: 'stageVariables.toString' })
    expect(resolveIdentityValues(c, authorizerRequest()).ok).toBe(false)
  })
})
