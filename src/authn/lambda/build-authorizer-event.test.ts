import { describe, expect, it } from 'vitest'
import { authorizerRequest, requestContext } from '../../../test/helpers/lambda-authorizer-peer.js'
import { buildAuthorizerEvent } from './build-authorizer-event.js'
import {
  compileLambdaAuthorizerConfig,
  type LambdaAuthorizerSpecInput,
} from './lambda-authorizer-config.js'
import { clfTime } from './request-facts.js'

function config(spec: Partial<LambdaAuthorizerSpecInput>) {
  const r = compileLambdaAuthorizerConfig('shop/a', {
    type: 'REQUEST',
    authorizerUri: 'http://127.0.0.1:1/',
    ...spec,
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}

const input = authorizerRequest({
  req: requestContext({
    method: 'GET',
    path: '/pets/caf%C3%A9',
    rawQuery: 'a=1&a=2&b=x+y&c=%ZZ',
    authority: 'petstore.example.com:8443',
    headers: { 'X-Api-Key': 'k1', 'User-Agent': 'curl/8', Cookie: 'a=1; b=2' },
  }),
})

describe('buildAuthorizerEvent', () => {
  it('TOKEN: exactly {type, authorizationToken, methodArn}', () => {
    const c = config({ type: 'TOKEN', identitySource: 'method.request.header.Authorization' })
    expect(buildAuthorizerEvent(c, input, ['tok'])).toEqual({
      type: 'TOKEN',
      authorizationToken: 'tok',
      methodArn: input.methodArn,
    })
  })

  it('REST 1.0: last/multi query values, decoded path, Host from :authority, identity fields', () => {
    const e = buildAuthorizerEvent(config({}), input, [])
    expect(e['path']).toBe('/pets/café')
    expect(e['queryStringParameters']).toEqual({ a: '2', b: 'x y', c: '%ZZ' })
    expect(e['multiValueQueryStringParameters']).toEqual({ a: ['1', '2'], b: ['x y'], c: ['%ZZ'] })
    expect((e['headers'] as Record<string, string>)['host']).toBe('petstore.example.com:8443')
    expect((e['multiValueHeaders'] as Record<string, string[]>)['cookie']).toEqual(['a=1; b=2'])
    const ctx = e['requestContext'] as Record<string, unknown>
    expect(ctx['identity']).toEqual({ apiKey: 'k1', sourceIp: '192.0.2.10', userAgent: 'curl/8' })
    expect(ctx['requestTime']).toBe('02/Jan/2024:03:04:05 +0000')
    expect(ctx['domainPrefix']).toBe('petstore')
    expect(e).not.toHaveProperty('version')
  })

  it('HTTP API 1.0 ($request.* sources): version, identitySource and authorizationToken joined', () => {
    const c = config({ identitySource: '$request.header.X-Api-Key, $request.querystring.b' })
    const e = buildAuthorizerEvent(c, input, ['k1', 'x y'])
    expect(e['version']).toBe('1.0')
    expect(e['identitySource']).toBe('k1,x y')
    expect(e['authorizationToken']).toBe('k1,x y')
  })

  it('2.0: comma-joined query, cookies split out of headers, raw path kept', () => {
    const c = config({ identitySource: '$request.header.X-Api-Key', payloadFormatVersion: '2.0' })
    const e = buildAuthorizerEvent(c, input, ['k1'])
    expect(e['rawPath']).toBe('/pets/caf%C3%A9')
    expect(e['rawQueryString']).toBe('a=1&a=2&b=x+y&c=%ZZ')
    expect(e['queryStringParameters']).toEqual({ a: '1,2', b: 'x y', c: '%ZZ' })
    expect(e['cookies']).toEqual(['a=1', 'b=2'])
    expect(e['headers']).not.toHaveProperty('cookie')
    expect(e['identitySource']).toEqual(['k1'])
    expect((e['requestContext'] as { http: { path: string } }).http.path).toBe('/pets/café')
  })

  it('clfTime pads and uses UTC', () => {
    expect(clfTime(Date.UTC(2020, 2, 4, 9, 3, 8))).toBe('04/Mar/2020:09:03:08 +0000')
  })
})
