import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  compileAuthorizerPolicy,
  decisionFor,
} from '../../../test/helpers/lambda-authorizer-peer.js'
import {
  compileLambdaAuthorizerConfig,
  type LambdaAuthorizerSpecInput,
} from './lambda-authorizer-config.js'
import { parseAuthorizerResponse } from './parse-authorizer-response.js'

// The real policy compiler (src/policy), bound with {kind: 'authorizer'}.
function config(spec: Partial<LambdaAuthorizerSpecInput> = {}) {
  const r = compileLambdaAuthorizerConfig('shop/a', {
    type: 'TOKEN',
    authorizerUri: 'http://127.0.0.1:1/',
    identitySource: 'method.request.header.Authorization',
    ...spec,
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.config
}
const v2simple = config({
  type: 'REQUEST',
  identitySource: '$request.header.Authorization',
  payloadFormatVersion: '2.0',
  enableSimpleResponses: true,
})
const v2policy = config({
  type: 'REQUEST',
  identitySource: '$request.header.Authorization',
  payloadFormatVersion: '2.0',
})

const policy = {
  Version: '2012-10-17',
  Statement: [
    {
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: 'arn:aws:execute-api:us-east-1:111122223333:*',
    },
  ],
}
const parse = (body: unknown, status = 200, c = config(), headers: Record<string, string> = {}) =>
  parseAuthorizerResponse(
    c,
    status,
    headers,
    Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    compileAuthorizerPolicy,
  )

describe('parseAuthorizerResponse: success', () => {
  it("AWS's documented output (test/fixtures/lambda/policy-response.json) is accepted as is", () => {
    const fixture = JSON.parse(
      readFileSync(
        new URL('../../../test/fixtures/lambda/policy-response.json', import.meta.url),
        'utf8',
      ),
    ) as { event: unknown }
    const out = parse(fixture.event)
    expect(out).toMatchObject({
      kind: 'policy',
      principalId: 'yyyyyyyy',
      context: { stringKey: 'value', numberKey: '1', booleanKey: 'true' },
      usageIdentifierKey: '{api-key}',
      cached: false,
    })
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request'
    expect(out.kind === 'policy' && decisionFor(out.policy, arn)).toBe('Allow')
  })

  it('number and boolean context values are stringified (AWS example numberKey: 1, booleanKey: true)', () => {
    const out = parse({
      principalId: 'u',
      policyDocument: policy,
      context: { stringKey: 'value', numberKey: 1, booleanKey: true, float: 1.5, neg: -2 },
    })
    expect(out).toMatchObject({
      kind: 'policy',
      context: { stringKey: 'value', numberKey: '1', booleanKey: 'true', float: '1.5', neg: '-2' },
    })
    // The compiled policy is the engine's: it evaluates against any methodArn.
    expect(
      out.kind === 'policy' &&
        decisionFor(out.policy, 'arn:aws:execute-api:us-east-1:111122223333:a/s/GET/x'),
    ).toBe('Allow')
  })

  it('context and usageIdentifierKey are optional; extra top-level keys are ignored', () => {
    expect(parse({ principalId: 'u', policyDocument: policy, extra: 1 })).toMatchObject({
      kind: 'policy',
      context: {},
      usageIdentifierKey: undefined,
    })
  })

  it('payload 2.0 simple response, nested context JSON-encoded (HTTP API doc example)', () => {
    const out = parse(
      {
        isAuthorized: true,
        context: {
          stringKey: 'value',
          numberKey: 1,
          booleanKey: true,
          arrayKey: ['value1', 'value2'],
          mapKey: { value1: 'value2' },
        },
      },
      200,
      v2simple,
    )
    expect(out).toEqual({
      kind: 'simple',
      isAuthorized: true,
      cached: false,
      context: {
        stringKey: 'value',
        numberKey: '1',
        booleanKey: 'true',
        arrayKey: '["value1","value2"]',
        mapKey: '{"value1":"value2"}',
      },
    })
    expect(parse({ isAuthorized: false }, 200, v2simple)).toMatchObject({
      kind: 'simple',
      isAuthorized: false,
    })
  })

  it('payload 2.0 without simple responses expects the IAM policy form', () => {
    expect(
      parse({ principalId: 'abcdef', policyDocument: policy, context: { a: [1] } }, 200, v2policy),
    ).toMatchObject({
      kind: 'policy',
      context: { a: '[1]' },
    })
    expect(parse({ isAuthorized: true }, 200, v2policy)).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_BAD_RESPONSE',
    })
  })
})

describe('parseAuthorizerResponse: Unauthorized', () => {
  it('HTTP 401, whatever the body', () => {
    expect(parse('nope', 401)).toEqual({ kind: 'unauthorized', reason: 'authorizer_unauthorized' })
  })
  it('Lambda error shape errorMessage "Unauthorized" with 200 (runtime interface emulator)', () => {
    expect(parse({ errorMessage: 'Unauthorized', errorType: 'Error' })).toEqual({
      kind: 'unauthorized',
      reason: 'authorizer_unauthorized',
    })
  })
  it('the match is exact: "unauthorized" or "Unauthorized!" is a function error (500)', () => {
    expect(parse({ errorMessage: 'unauthorized', errorType: 'Error' })).toMatchObject({
      kind: 'error',
      code: 'ERR_LAMBDA_FUNCTION_ERROR',
    })
    expect(parse({ errorMessage: 'Unauthorized!' })).toMatchObject({ kind: 'error' })
  })
})

describe('parseAuthorizerResponse: fail closed', () => {
  const cases: [string, unknown, number, string][] = [
    ['HTTP 500', { principalId: 'u', policyDocument: policy }, 500, 'ERR_LAMBDA_STATUS'],
    ['HTTP 403', '', 403, 'ERR_LAMBDA_STATUS'],
    ['HTTP 302', '', 302, 'ERR_LAMBDA_STATUS'],
    ['non-JSON body', 'allow', 200, 'ERR_LAMBDA_BAD_RESPONSE'],
    ['JSON array', [1], 200, 'ERR_LAMBDA_BAD_RESPONSE'],
    ['JSON string', '"Allow"', 200, 'ERR_LAMBDA_BAD_RESPONSE'],
    ['missing principalId', { policyDocument: policy }, 200, 'ERR_LAMBDA_BAD_RESPONSE'],
    [
      'numeric principalId',
      { principalId: 5, policyDocument: policy },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'principalId with CRLF',
      { principalId: 'a\r\nb', policyDocument: policy },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    ['missing policyDocument', { principalId: 'u' }, 200, 'ERR_LAMBDA_BAD_RESPONSE'],
    [
      'policyDocument as a string',
      { principalId: 'u', policyDocument: JSON.stringify(policy) },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'policy that does not compile',
      {
        principalId: 'u',
        policyDocument: { Statement: [{ Effect: 'Maybe', Action: 'x', Resource: 'y' }] },
      },
      200,
      'ERR_LAMBDA_POLICY_INVALID',
    ],
    [
      'context object value (REST)',
      { principalId: 'u', policyDocument: policy, context: { a: { b: 1 } } },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'context array value (REST)',
      { principalId: 'u', policyDocument: policy, context: { a: [1] } },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'context null value',
      { principalId: 'u', policyDocument: policy, context: { a: null } },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'context not an object',
      { principalId: 'u', policyDocument: policy, context: 'x' },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'context key not a header token',
      { principalId: 'u', policyDocument: policy, context: { 'a b': 'x' } },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'context value with newline',
      { principalId: 'u', policyDocument: policy, context: { a: 'x\ny' } },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'numeric usageIdentifierKey',
      { principalId: 'u', policyDocument: policy, usageIdentifierKey: 1 },
      200,
      'ERR_LAMBDA_BAD_RESPONSE',
    ],
    [
      'Lambda function error',
      { errorMessage: 'Error: Invalid token', errorType: 'Error' },
      200,
      'ERR_LAMBDA_FUNCTION_ERROR',
    ],
  ]
  for (const [name, body, status, code] of cases) {
    it(`${name} → ${code}`, () => {
      expect(parse(body, status)).toMatchObject({ kind: 'error', code })
    })
  }

  it('X-Amz-Function-Error header marks a function error even with a policy-looking body', () => {
    expect(
      parse({ principalId: 'u', policyDocument: policy }, 200, config(), {
        'x-amz-function-error': 'Unhandled',
      }),
    ).toMatchObject({ kind: 'error', code: 'ERR_LAMBDA_FUNCTION_ERROR' })
  })

  it('a function error detail carries the error type, never the message (may echo the token)', () => {
    const out = parse({ errorMessage: 'bad token secret-123', errorType: 'TokenError' })
    expect(out.kind === 'error' && out.detail).toContain('TokenError')
    expect(out.kind === 'error' && out.detail).not.toContain('secret-123')
  })

  it('a throwing policy compiler is an error outcome, not an exception', () => {
    const out = parseAuthorizerResponse(
      config(),
      200,
      {},
      Buffer.from(JSON.stringify({ principalId: 'u', policyDocument: policy })),
      () => {
        throw new Error('boom')
      },
    )
    expect(out).toMatchObject({ kind: 'error', code: 'ERR_LAMBDA_POLICY_INVALID' })
  })
})
