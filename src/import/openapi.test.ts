/**
 * OpenAPI mapping on small hand-written documents: each test names the API Gateway behaviour the
 * manifests must keep.
 */
import { describe, expect, it } from 'vitest'
import { emptyContext, resolveIntrinsics, templateContext } from './intrinsics.js'
import { mapOpenApi } from './openapi.js'
import { parseDocument } from './read-document.js'
import { ImportReport, renderReport } from './report.js'
import { toManifests } from './to-manifests.js'

const DOC = {
  openapi: '3.0.1',
  info: { title: 'Pets API' },
  'x-amazon-apigateway-api-key-source': 'HEADER',
  components: {
    securitySchemes: {
      tok: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'custom',
        'x-amazon-apigateway-authorizer': {
          type: 'token',
          authorizerUri:
            'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:checkToken/invocations',
          identityValidationExpression: '^Bearer .+$',
          authorizerResultTtlInSeconds: 60,
        },
      },
      pool: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authorizer': {
          type: 'cognito_user_pools',
          providerARNs: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123'],
        },
      },
      sigv4: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      },
      api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' },
    },
  },
  paths: {
    '/pets': { get: {}, post: { security: [{ tok: [] }] } },
    '/pets/{id}': {
      get: { security: [{ pool: ['pets/read'] }] },
      delete: { security: [{ sigv4: [], api_key: [] }] },
    },
    '/{proxy+}': { 'x-amazon-apigateway-any-method': { security: [{ oauth: [] }] } },
  },
}

function run(doc: object) {
  const report = new ImportReport()
  const api = mapOpenApi(doc as never, {
    file: 'pets.json',
    pointer: '',
    name: 'pets-api',
    stage: 'prod',
    ctx: emptyContext('111122223333', 'us-east-1'),
    report,
  })
  return { api, report, manifests: toManifests(api, 'shop', report) }
}

describe('OpenAPI mapping', () => {
  it('maps methods, authorizers, IAM and API keys to routes with the same authorization', () => {
    const { manifests } = run(DOC)
    const restApi = manifests.find((m) => m.kind === 'RestApi')!.spec as { routes: unknown[] }
    expect(restApi.routes).toEqual([
      { path: '/pets', methods: ['GET'], authorizationType: 'NONE', apiKeyRequired: false },
      {
        path: '/pets',
        methods: ['POST'],
        authorizationType: 'CUSTOM',
        authorizerName: 'pets-api-tok',
        apiKeyRequired: false,
      },
      {
        path: '/pets/{id}',
        methods: ['GET'],
        authorizationType: 'COGNITO_USER_POOLS',
        authorizerName: 'pets-api-pool',
        authorizationScopes: ['pets/read'],
        apiKeyRequired: false,
      },
      {
        path: '/pets/{id}',
        methods: ['DELETE'],
        authorizationType: 'AWS_IAM',
        apiKeyRequired: true,
      },
    ])
  })

  it('an API key listed as its own security requirement (as API Gateway exports and SAM write it) still makes the route require a key', () => {
    const { manifests, report } = run({
      ...DOC,
      paths: {
        '/keyed': { get: { security: [{ tok: [] }, { api_key: [] }] } },
        '/two': { get: { security: [{ tok: [] }, { sigv4: [] }] } },
      },
    })
    const restApi = manifests.find((m) => m.kind === 'RestApi')!.spec as { routes: unknown[] }
    expect(restApi.routes).toEqual([
      {
        path: '/keyed',
        methods: ['GET'],
        authorizationType: 'CUSTOM',
        authorizerName: 'pets-api-tok',
        apiKeyRequired: true,
      },
      {
        path: '/two',
        methods: ['GET'],
        authorizationType: 'CUSTOM',
        authorizerName: 'pets-api-tok',
        apiKeyRequired: false,
      },
    ])
    expect(report.items.find((i) => i.element.startsWith('method GET /two'))).toMatchObject({
      status: 'approximated',
      detail: expect.stringContaining('alternative authorization sigv4 ignored'),
    })
  })

  it('turns a Lambda authorizer ARN into an .invalid placeholder URL listed as a TODO, never a guessed URL', () => {
    const { manifests, report } = run(DOC)
    const tok = manifests.find((m) => m.metadata.name === 'pets-api-tok')!.spec
    expect(tok).toMatchObject({
      type: 'TOKEN',
      authorizerUri: 'http://TODO-check-token.invalid/',
      identitySource: 'method.request.header.Authorization',
      identityValidationExpression: '^Bearer .+$',
      authorizerResultTtlInSeconds: 60,
    })
    expect(report.items.find((i) => i.status === 'todo')).toMatchObject({
      element: 'authorizer tok authorizerUri',
      source: {
        file: 'pets.json',
        pointer: '/components/securitySchemes/tok/x-amazon-apigateway-authorizer/authorizerUri',
      },
    })
    expect(report.exitCode()).toBe(3)
  })

  it('maps Cognito pool ARNs to providerARNs', () => {
    const { manifests } = run(DOC)
    expect(manifests.find((m) => m.metadata.name === 'pets-api-pool')!.spec).toMatchObject({
      type: 'COGNITO_USER_POOLS',
      providerARNs: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123'],
    })
  })

  it('leaves out a method whose scheme has no API Gateway meaning (fail closed) and reports it', () => {
    const { api, report } = run(DOC)
    expect(api.routes.some((r) => r.path === '/{proxy+}')).toBe(false)
    const item = report.items.find((i) => i.element === 'method ANY /{proxy+}')!
    expect(item.status).toBe('not-mapped')
    expect(item.source.pointer).toBe('/paths/~1{proxy+}/x-amazon-apigateway-any-method')
    expect(renderReport(report)).toMatch(/\[not mapped\] method ANY \/\{proxy\+\} \(pets\.json#/)
  })

  it('exits 0 when every element mapped exactly', () => {
    const { report } = run({ swagger: '2.0', info: { title: 'x' }, paths: { '/a': { get: {} } } })
    expect(report.exitCode()).toBe(0)
  })

  it('expands a resource policy statement by statement and marks PRIVATE APIs with their endpoints', () => {
    const { manifests, report } = run({
      swagger: '2.0',
      paths: { '/a': { get: {} } },
      'x-amazon-apigateway-endpoint-configuration': { vpcEndpointIds: ['vpce-0abc'] },
      'x-amazon-apigateway-policy': {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
          },
        ],
      },
    })
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'RestApi/pets-api',
      'PrivateEndpoint/vpce-0abc',
    ])
    expect(manifests[0]!.spec).toMatchObject({
      endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['vpce-0abc'] },
    })
    expect(report.items.map((i) => i.element)).toContain('policy statement 0 Allow')
  })
})

describe('CloudFormation YAML and intrinsics', () => {
  it('reads short-form tags as their long forms', () => {
    expect(
      parseDocument('a: !Ref X\nb: !GetAtt Fn.Arn\nc: !Sub [ "x${A}", {A: !Ref Y} ]\n', 't.yaml'),
    ).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      c: { 'Fn::Sub': ['x${A}', { A: { Ref: 'Y' } }] },
    })
  })

  it('resolves parameters with defaults and pseudo parameters, and names what it cannot resolve', () => {
    const ctx = templateContext(
      { Parameters: { Stage: { Default: 'dev' } }, Resources: { Fn: {} } },
      '111122223333',
      'eu-west-1',
    )
    expect(
      resolveIntrinsics(
        { 'Fn::Sub': 'arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:*/${Stage}/*' },
        ctx,
      ),
    ).toEqual({
      value: 'arn:aws:execute-api:eu-west-1:111122223333:*/dev/*',
      unresolved: [],
    })
    expect(ctx.usedPseudo).toEqual(new Set(['AWS::Region', 'AWS::AccountId']))
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['Fn', 'Arn'] }, ctx)).toEqual({
      value: 'TODO-Fn.Arn',
      unresolved: ['Fn::GetAtt Fn.Arn'],
    })
  })
})
