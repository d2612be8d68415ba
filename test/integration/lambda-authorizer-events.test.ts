/**
 * The events Portcullis POSTs to a custom authorizer, captured by a real HTTP server, compared
 * field by field with AWS's documented examples (test/fixtures/lambda/*.json, sources inside).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  compileLambdaAuthorizerConfig,
  LambdaAuthorizerRuntime,
  type LambdaAuthorizerSpecInput,
} from '../../src/authn/lambda/index.js'
import { compareToAwsExample } from '../helpers/compare-to-aws-example.js'
import {
  authorizerRequest,
  requestContext,
  compileAuthorizerPolicy,
  startAuthorizerPeer,
  type AuthorizerPeer,
} from '../helpers/lambda-authorizer-peer.js'

function fixture(name: string): Record<string, unknown> {
  const f = JSON.parse(
    readFileSync(new URL(`../fixtures/lambda/${name}`, import.meta.url), 'utf8'),
  ) as {
    event: Record<string, unknown>
  }
  return f.event
}

let peer: AuthorizerPeer
const runtime = new LambdaAuthorizerRuntime({ compilePolicy: compileAuthorizerPolicy })
beforeAll(async () => {
  peer = await startAuthorizerPeer(() => ({ status: 401, body: { message: 'Unauthorized' } }))
})
afterAll(async () => {
  runtime.close()
  await peer.close()
})

function config(spec: Partial<LambdaAuthorizerSpecInput>) {
  const r = compileLambdaAuthorizerConfig('shop/events', {
    type: 'REQUEST',
    authorizerUri: peer.url,
    authorizerResultTtlInSeconds: 0,
    ...spec,
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}

/** Runs one authorization and returns the event the peer received. */
async function capture(
  spec: Partial<LambdaAuthorizerSpecInput>,
  input: ReturnType<typeof authorizerRequest>,
) {
  const before = peer.events.length
  const out = await runtime.authorize(config(spec), input)
  expect(out).toEqual({ kind: 'unauthorized', reason: 'authorizer_unauthorized' })
  expect(peer.events.length).toBe(before + 1)
  return peer.events[before] as Record<string, unknown>
}

describe('authorizer events vs AWS documented examples', () => {
  it('TOKEN event equals the documented example exactly', async () => {
    const expected = fixture('token-event.json')
    const event = await capture(
      { type: 'TOKEN', identitySource: 'method.request.header.Authorization' },
      authorizerRequest({
        req: requestContext({ headers: { Authorization: 'allow' } }),
        methodArn: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/',
      }),
    )
    expect(event).toEqual(expected)
  })

  it('REST REQUEST event (payload 1.0, method.request.* sources) matches field by field', async () => {
    const expected = fixture('rest-request-event.json')
    const headers = expected['headers'] as Record<string, string>
    const { Host: host, ...rest } = headers
    const event = await capture(
      {
        identitySource:
          'method.request.header.HeaderAuth1, method.request.querystring.QueryString1, stageVariables.StageVar1',
      },
      authorizerRequest({
        req: requestContext({
          method: 'GET',
          path: '/request',
          rawQuery: 'QueryString1=queryValue1',
          authority: host ?? '',
          headers: rest,
          sourceIp: '203.0.113.9',
        }),
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request',
        accountId: '123456789012',
        apiId: 's4x3opwd6i',
        stage: 'test',
        resourcePath: '/request',
        pathParameters: {},
        stageVariables: { StageVar1: 'stageValue1' },
        domainName: 's4x3opwd6i.execute-api.us-east-1.amazonaws.com',
      }),
    )
    const report = compareToAwsExample(expected, event, {
      openMaps: ['headers', 'multiValueHeaders'],
      // API Gateway's resource ids are random; ours are derived from API and path.
      typeOnly: ['requestContext.resourceId'],
      // The example's apiKey is a placeholder; ours is the x-api-key header, here absent → null.
      allowedMissing: [],
    })
    expect(report.missing).toEqual([])
    expect(report.mismatched).toEqual(['requestContext.identity.apiKey: expected string, got null'])
    // Extras: $context fields real REST events also carry (requestContext "may add new keys").
    expect(report.extra.sort()).toEqual([
      'requestContext.domainName',
      'requestContext.domainPrefix',
      'requestContext.identity.userAgent',
      'requestContext.protocol',
      'requestContext.requestTime',
      'requestContext.requestTimeEpoch',
    ])
    // REST events have no version / identitySource / authorizationToken (HTTP API 1.0 events do).
    expect(event).not.toHaveProperty('version')
    expect(event).not.toHaveProperty('authorizationToken')
    expect((event['requestContext'] as Record<string, unknown>)['resourceId']).toMatch(
      /^[0-9a-z]{6}$/,
    )
  })

  it('HTTP API REQUEST event, payload 1.0 ($request.* sources) matches field by field', async () => {
    const expected = fixture('http-v1-request-event.json')
    const event = await capture(
      { identitySource: '$request.header.X-User, $request.header.X-Id' },
      authorizerRequest({
        req: requestContext({
          method: 'GET',
          path: '/request',
          rawQuery: 'QueryString1=queryValue1',
          headers: {
            ...(expected['headers'] as Record<string, string>),
            'x-user': 'user1',
            'x-id': '123',
            'x-api-key': 'key-1',
          },
        }),
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
        accountId: '123456789012',
        apiId: 'abcdef123',
        stage: 'test',
        resourcePath: '/request',
        pathParameters: {},
        stageVariables: { StageVar1: 'stageValue1' },
      }),
    )
    const report = compareToAwsExample(expected, event, {
      openMaps: ['headers'],
      typeOnly: ['requestContext.resourceId'],
      // No client certificate reaches us through RequestContext.
      allowedMissing: ['requestContext.identity.clientCert'],
    })
    expect(report.missing).toEqual([])
    expect(report.mismatched).toEqual([])
    expect(report.extra.sort()).toEqual([
      'multiValueHeaders',
      'multiValueQueryStringParameters',
      'requestContext.domainName',
      'requestContext.domainPrefix',
      'requestContext.identity.userAgent',
      'requestContext.protocol',
      'requestContext.requestTime',
      'requestContext.requestTimeEpoch',
    ])
  })

  it('HTTP API REQUEST event, payload 2.0 matches field by field, no extra fields', async () => {
    const expected = fixture('http-v2-request-event.json')
    const event = await capture(
      {
        identitySource: '$request.header.X-User,$request.header.X-Id',
        payloadFormatVersion: '2.0',
      },
      authorizerRequest({
        req: requestContext({
          requestId: 'id',
          method: 'POST',
          path: '/my/path',
          rawQuery: 'parameter1=value1&parameter1=value2&parameter2=value',
          protocol: 'HTTP/1.1',
          sourceIp: 'IP',
          timeMs: 1583348638390,
          headers: {
            Header1: 'value1',
            Header2: 'value2',
            'X-User': 'user1',
            'X-Id': '123',
            Cookie: 'cookie1; cookie2',
            'User-Agent': 'agent',
          },
        }),
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
        routeKey: '$default',
        stage: '$default',
        accountId: '123456789012',
        apiId: 'api-id',
        domainName: 'id.execute-api.us-east-1.amazonaws.com',
        pathParameters: { parameter1: 'value1' },
        stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
      }),
    )
    const report = compareToAwsExample(expected, event, {
      openMaps: ['headers'],
      // AWS's example time and timeEpoch disagree (see fixture note); ours is derived from timeEpoch.
      typeOnly: ['requestContext.time'],
      allowedMissing: ['requestContext.authentication'],
    })
    expect(report).toEqual({ missing: [], mismatched: [], extra: [] })
    const ctx = event['requestContext'] as Record<string, unknown>
    expect(ctx['time']).toBe('04/Mar/2020:19:03:58 +0000')
    // Header names are lower-cased in 2.0 and the cookie header moves to `cookies`.
    expect(Object.keys(event['headers'] as object).sort()).toEqual([
      'header1',
      'header2',
      'host',
      'user-agent',
      'x-id',
      'x-user',
    ])
  })

  it('payload 2.0 omits empty cookies, query, path parameters and stage variables', async () => {
    const event = await capture(
      { identitySource: '$request.header.Authorization', payloadFormatVersion: '2.0' },
      authorizerRequest({
        req: requestContext({ headers: { authorization: 'x' } }),
        pathParameters: {},
        stageVariables: {},
      }),
    )
    for (const k of ['cookies', 'queryStringParameters', 'pathParameters', 'stageVariables']) {
      expect(event, k).not.toHaveProperty(k)
    }
    expect(event['rawQueryString']).toBe('')
    expect(event['identitySource']).toEqual(['x'])
  })
})
