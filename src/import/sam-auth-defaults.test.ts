/**
 * What SAM does to an API's own DefinitionBody, on small hand-written templates: the Auth defaults
 * reach its methods, Cors adds OPTIONS preflights with SAM's preflight rules, and events leave the
 * body as written unless OverrideApiAuth (or MergeDefinitions) says otherwise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RestApiSpec } from '../api/v1alpha1/index.js'
import { importFiles, type ImportResult } from './import-files.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-import-sam-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const INTEGRATION = { type: 'aws_proxy', httpMethod: 'POST', uri: 'arn:x' }
const POOL = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123'

const PATHS = {
  '/plain': { get: { 'x-amazon-apigateway-integration': INTEGRATION } },
  '/open': {
    get: {
      security: [{ NONE: [] }],
      'x-amazon-apigateway-integration': INTEGRATION,
    },
  },
  '/nointegration': { get: {} },
}

async function importSam(
  auth: object,
  extra: object = {},
  events: object = {},
  paths: object = PATHS,
) {
  const file = join(dir, `t${n++}.json`)
  await writeFile(
    file,
    JSON.stringify({
      Transform: 'AWS::Serverless-2016-10-31',
      Resources: {
        Api: {
          Type: 'AWS::Serverless::Api',
          Properties: {
            StageName: 'prod',
            Auth: { Authorizers: { Pool: { UserPoolArn: POOL } }, ...auth },
            DefinitionBody: {
              swagger: '2.0',
              info: { title: 'x' },
              paths,
            },
            ...extra,
          },
        },
        Fn: {
          Type: 'AWS::Serverless::Function',
          Properties: { Handler: 'x', Runtime: 'nodejs20.x', InlineCode: 'x', Events: events },
        },
      },
    }),
  )
  const r = await importFiles([file], {
    namespace: 'x',
    accountId: '123456789012',
    region: 'us-east-1',
  })
  return { r, routes: routesOf(r) }
}

function routesOf(r: ImportResult): Record<string, string> {
  const spec = r.apis[0]?.manifests.find((m) => m.kind === 'RestApi')?.spec as RestApiSpec
  return Object.fromEntries(
    spec.routes.flatMap((x) =>
      x.methods.map((m) => [
        `${m} ${x.path}`,
        `${x.authorizationType}${x.apiKeyRequired ? '+key' : ''}`,
      ]),
    ),
  )
}

describe("SAM's Auth defaults on the DefinitionBody's methods", () => {
  it('DefaultAuthorizer and ApiKeyRequired reach methods with an integration, not those naming NONE or without integration', async () => {
    const { routes } = await importSam({ DefaultAuthorizer: 'Pool', ApiKeyRequired: true })
    expect(routes).toEqual({
      'GET /plain': 'COGNITO_USER_POOLS+key',
      'GET /open': 'NONE+key',
      'GET /nointegration': 'NONE',
    })
  })

  it('reach a method under a path written with a trailing slash and a method wrapped in Fn::If, as the routes the body wrote', async () => {
    const { routes } = await importSam(
      { DefaultAuthorizer: 'Pool', ApiKeyRequired: true },
      {},
      {},
      {
        '/trailing/': { get: { 'x-amazon-apigateway-integration': INTEGRATION } },
        '/wrapped': {
          get: {
            'Fn::If': [
              'AlwaysTrue',
              { 'x-amazon-apigateway-integration': INTEGRATION },
              { Ref: 'AWS::NoValue' },
            ],
          },
        },
      },
    )
    expect(routes).toEqual({
      'GET /trailing': 'COGNITO_USER_POOLS+key',
      'GET /wrapped': 'COGNITO_USER_POOLS+key',
    })
  })
})

describe('Cors: the OPTIONS preflights SAM generates', () => {
  it('every path gets OPTIONS with the default authorizer and the API key by default', async () => {
    const { routes } = await importSam(
      { DefaultAuthorizer: 'Pool', ApiKeyRequired: true },
      { Cors: "'*'" },
    )
    expect(routes['OPTIONS /plain']).toBe('COGNITO_USER_POOLS+key')
    expect(routes['OPTIONS /nointegration']).toBe('COGNITO_USER_POOLS+key')
  })

  it('AddDefaultAuthorizerToCorsPreflight / AddApiKeyRequiredToCorsPreflight false leave the preflight open', async () => {
    const { routes, r } = await importSam(
      {
        DefaultAuthorizer: 'Pool',
        ApiKeyRequired: true,
        AddDefaultAuthorizerToCorsPreflight: false,
        AddApiKeyRequiredToCorsPreflight: false,
      },
      { Cors: "'*'" },
    )
    expect(routes['OPTIONS /plain']).toBe('NONE')
    expect(routes['GET /plain']).toBe('COGNITO_USER_POOLS+key')
    expect(r.report.items.find((i) => i.element === 'method OPTIONS /plain (NONE)')).toMatchObject({
      status: 'mapped',
      source: { pointer: '/Resources/Api/Properties/Cors' },
    })
  })
})

describe('events on an API with its own DefinitionBody', () => {
  const event = (path: string, auth: object) => ({
    Type: 'Api',
    Properties: { RestApiId: { Ref: 'Api' }, Path: path, Method: 'get', Auth: auth },
  })

  it('are not added to it (reported), and their Authorizer does not change its methods', async () => {
    const { routes, r } = await importSam(
      { DefaultAuthorizer: 'Pool' },
      {},
      {
        Other: event('/other', { Authorizer: 'NONE' }),
        Same: event('/plain', { Authorizer: 'NONE' }),
      },
    )
    expect(routes['GET /other']).toBeUndefined()
    expect(routes['GET /plain']).toBe('COGNITO_USER_POOLS')
    expect(r.report.items.find((i) => i.element.startsWith('event Fn.Other'))?.status).toBe(
      'not-mapped',
    )
  })

  it('OverrideApiAuth sets the auth of the method the body has', async () => {
    const { routes } = await importSam(
      { DefaultAuthorizer: 'Pool' },
      {},
      { Same: event('/plain', { Authorizer: 'NONE', OverrideApiAuth: true }) },
    )
    expect(routes['GET /plain']).toBe('NONE')
  })
})
