/**
 * API keys and usage plans on small hand-written templates: each test names the API Gateway
 * behaviour the ApiKey / UsagePlan / Secret manifests must keep, and the output must pass
 * `portcullis validate`.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY_VALUE_PATTERN } from '../api/v1alpha1/api-key.js'
import { validateCommand } from '../cli/validate.js'
import { importFiles, type ImportResult } from './import-files.js'
import { emptyContext } from './intrinsics.js'
import { mapQuota } from './usage-plans.js'
import { MAX_QUOTA_LIMIT } from '../api/v1alpha1/usage-plan.js'
import type { Manifest } from './manifest.js'
import { renderReport } from './report.js'

const ACCOUNT = '123456789012'
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-import-usage-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function run(name: string, template: object): Promise<ImportResult> {
  const file = join(dir, `${name}.json`)
  await writeFile(file, JSON.stringify(template))
  return importFiles([file], {
    namespace: name,
    outDir: join(dir, 'out', name),
    accountId: ACCOUNT,
    region: 'us-east-1',
  })
}

const all = (r: ImportResult): Manifest[] => r.apis.flatMap((a) => a.manifests)
const find = (r: ImportResult, kind: string, name: string): Manifest | undefined =>
  all(r).find((m) => m.kind === kind && m.metadata.name === name)
/** The value of the Secret named `name`. */
const secretValue = (r: ImportResult, name: string): string => {
  const m = find(r, 'Secret', name)
  return m !== undefined && 'stringData' in m ? (m.stringData?.value ?? '') : ''
}
const item = (r: ImportResult, element: string) => r.report.items.find((i) => i.element === element)

async function validates(name: string): Promise<string> {
  const lines: string[] = []
  const code = await validateCommand(
    [join(dir, 'out', name), '--account-id', ACCOUNT],
    (s) => lines.push(s),
    (s) => lines.push(s),
  )
  expect(code, lines.join('\n')).toBe(0)
  return lines.join('\n')
}

/** An `AWS::ApiGateway::UsagePlanKey` putting the key resource `key` on the plan `Plan`. */
const planKey = (key: string) => ({
  Type: 'AWS::ApiGateway::UsagePlanKey',
  Properties: { KeyId: { Ref: key }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'Plan' } },
})

const REST_API = {
  Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'pets' } },
  Pets: {
    Type: 'AWS::ApiGateway::Resource',
    Properties: {
      RestApiId: { Ref: 'Api' },
      ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] },
      PathPart: 'pets',
    },
  },
  PetsGet: {
    Type: 'AWS::ApiGateway::Method',
    Properties: {
      RestApiId: { Ref: 'Api' },
      ResourceId: { Ref: 'Pets' },
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
      ApiKeyRequired: true,
    },
  },
  Stage: {
    Type: 'AWS::ApiGateway::Stage',
    Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' },
  },
}

describe('CloudFormation ApiKey / UsagePlan / UsagePlanKey', () => {
  let r: ImportResult
  beforeAll(async () => {
    r = await run('cfn', {
      Parameters: { Secret: { Type: 'String' } },
      Resources: {
        ...REST_API,
        Plan: {
          Type: 'AWS::ApiGateway::UsagePlan',
          Properties: {
            UsagePlanName: 'gold',
            Description: 'Gold partners',
            ApiStages: [
              {
                ApiId: { Ref: 'Api' },
                Stage: { Ref: 'Stage' },
                Throttle: {
                  '/pets/GET': { RateLimit: 5, BurstLimit: 10 },
                  '/cats/GET': { RateLimit: 1, BurstLimit: 1 },
                },
              },
            ],
            Throttle: { RateLimit: '100.5', BurstLimit: '200' },
            Quota: { Limit: '5000', Period: 'WEEK', Offset: 2 },
          },
        },
        Literal: {
          Type: 'AWS::ApiGateway::ApiKey',
          Properties: { Value: 'LiteralValue00000000000001', CustomerId: 'acme', Enabled: true },
        },
        Generated: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: 'true' } },
        Unknown: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Value: { Ref: 'Secret' } } },
        K1: planKey('Literal'),
        K2: planKey('Generated'),
        K3: planKey('Nope'), // names no resource of the template
      },
    })
  })

  it('maps plan throttle, quota (period and offset) and per-method throttles exactly; UsagePlanKeys become apiKeys', () => {
    expect(find(r, 'UsagePlan', 'plan')?.spec).toEqual({
      description: 'Gold partners',
      apiStages: [
        {
          apiName: 'api',
          stage: 'v1',
          throttle: { '/pets/GET': { rateLimit: 5, burstLimit: 10 } },
        },
      ],
      throttle: { rateLimit: 100.5, burstLimit: 200 },
      quota: { limit: 5000, period: 'WEEK', offset: 2 },
      apiKeys: ['literal', 'generated'],
    })
    expect(item(r, 'UsagePlan plan')).toMatchObject({
      status: 'approximated',
      detail: expect.stringContaining('throttle "/cats/GET" of api left out'),
    })
    expect(item(r, 'UsagePlanKey K1')?.status).toBe('mapped')
    expect(item(r, 'UsagePlanKey K3')?.status).toBe('not-mapped')
  })

  it('writes a literal Value into the Secret and lists it as a TODO, without printing it', () => {
    expect(find(r, 'ApiKey', 'literal')?.spec).toEqual({
      valueFrom: { secretKeyRef: { name: 'literal-value', key: 'value' } },
      enabled: true,
      customerId: 'acme',
    })
    expect(find(r, 'Secret', 'literal-value')).toMatchObject({
      apiVersion: 'v1',
      stringData: { value: 'LiteralValue00000000000001' },
    })
    expect(item(r, 'ApiKey literal')?.status).toBe('todo')
    expect(renderReport(r.report)).not.toContain('LiteralValue00000000000001')
  })

  it('generates a random value where AWS would (no Value), reported as generated, never printed', () => {
    const value = secretValue(r, 'generated-value')
    expect(value).toMatch(API_KEY_VALUE_PATTERN)
    expect(find(r, 'ApiKey', 'generated')?.spec).toMatchObject({ enabled: true })
    expect(item(r, 'ApiKey generated')).toMatchObject({
      status: 'mapped',
      detail: expect.stringContaining('generated'),
    })
    expect(renderReport(r.report)).not.toContain(value)
  })

  it('an undetermined Value gets a random placeholder (TODO); CloudFormation keys default to disabled', () => {
    expect(secretValue(r, 'unknown-value')).toMatch(API_KEY_VALUE_PATTERN)
    expect(find(r, 'ApiKey', 'unknown')?.spec).toMatchObject({ enabled: false })
    expect(item(r, 'ApiKey unknown')).toMatchObject({
      status: 'todo',
      detail: expect.stringContaining('placeholder'),
    })
  })

  it('the file holding key Secrets says so in its header and is readable by its owner only', async () => {
    const file = r.apis[0]?.written ?? ''
    expect(await readFile(file, 'utf8')).toContain(
      '# Holds Secrets with API key values: keep this file out of version control.',
    )
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('the output passes portcullis validate', async () => {
    expect(await validates('cfn')).toMatch(/valid: 1 RestApi, 3 ApiKey, 1 UsagePlan, 3 Secret/)
  })
})

describe('throttles and quotas API Gateway refuses or the kinds cannot hold', () => {
  it('a quota AWS refuses (DAY with an offset) is left out and reported; a throttle without BurstLimit gets one second of rate', async () => {
    const r = await run('odd', {
      Resources: {
        ...REST_API,
        Plan: {
          Type: 'AWS::ApiGateway::UsagePlan',
          Properties: {
            ApiStages: [{ ApiId: { Ref: 'Api' }, Stage: 'v1' }],
            Throttle: { RateLimit: 2.5 },
            Quota: { Limit: 10, Period: 'DAY', Offset: 3 },
          },
        },
      },
    })
    expect(find(r, 'UsagePlan', 'plan')?.spec).toEqual({
      apiStages: [{ apiName: 'api', stage: 'v1' }],
      throttle: { rateLimit: 2.5, burstLimit: 3 },
    })
    const detail = item(r, 'UsagePlan plan')?.detail ?? ''
    expect(item(r, 'UsagePlan plan')?.status).toBe('approximated')
    expect(detail).toContain('without BurstLimit: burstLimit 3')
    expect(detail).toMatch(/Quota .* left out/)
    await validates('odd')
  })

  it('a plan whose API wrote no RestApi (no method) is not written, and says so', async () => {
    const r = await run('empty', {
      Resources: {
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
        Plan: {
          Type: 'AWS::ApiGateway::UsagePlan',
          Properties: { ApiStages: [{ ApiId: { Ref: 'Api' }, Stage: 'v1' }] },
        },
      },
    })
    expect(find(r, 'UsagePlan', 'plan')).toBeUndefined()
    expect(item(r, 'UsagePlan plan')).toMatchObject({
      status: 'not-mapped',
      detail: expect.stringContaining('covers no API that was written'),
    })
  })
})

describe('mapQuota: only quotas the UsagePlan kind holds', () => {
  const ctx = emptyContext(ACCOUNT, 'us-east-1')
  it("keeps a Limit up to the kind's maximum and leaves out a larger one (it would fail to load)", () => {
    const notes: string[] = []
    expect(mapQuota({ Limit: MAX_QUOTA_LIMIT, Period: 'DAY' }, ctx, notes)).toEqual({
      limit: MAX_QUOTA_LIMIT,
      period: 'DAY',
      offset: 0,
    })
    expect(notes).toEqual([])
    expect(mapQuota({ Limit: MAX_QUOTA_LIMIT + 1, Period: 'DAY' }, ctx, notes)).toBeUndefined()
    expect(notes.join('\n')).toContain('left out')
  })
})

describe('free text the template determines only in part', () => {
  it('keeps a literal that merely starts with TODO- and leaves out a partly unresolved Fn::Join', async () => {
    const r = await run('partial', {
      Parameters: { Env: { Type: 'String' } },
      Resources: {
        ...REST_API,
        Key: {
          Type: 'AWS::ApiGateway::ApiKey',
          Properties: {
            Enabled: true,
            CustomerId: 'TODO-list-inc',
            Description: { 'Fn::Join': ['', ['key for ', { Ref: 'Env' }]] },
          },
        },
      },
    })
    const spec = find(r, 'ApiKey', 'key')?.spec as { customerId?: string; description?: string }
    expect(spec.customerId).toBe('TODO-list-inc')
    expect(spec.description).toBeUndefined()
  })
})

describe('a template with plans and keys but no REST API', () => {
  it('writes nothing and reports every ApiKey, UsagePlan and UsagePlanKey as not mapped (none as mapped)', async () => {
    const r = await run('noapi', {
      Resources: {
        Key: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } },
        Plan: { Type: 'AWS::ApiGateway::UsagePlan', Properties: {} },
        PlanKey: planKey('Key'),
      },
    })
    expect(all(r)).toEqual([])
    for (const element of ['ApiKey key', 'UsagePlan plan', 'UsagePlanKey PlanKey']) {
      expect(item(r, element)).toMatchObject({
        status: 'not-mapped',
        detail: 'no REST API in this template',
      })
    }
    expect(r.report.items.filter((i) => i.status === 'mapped')).toEqual([])
  })
})

describe('SAM Auth.UsagePlan: the plans and keys SAM generates', () => {
  const fn = (api: string | undefined, path: string) => ({
    Type: 'AWS::Serverless::Function',
    Properties: {
      Handler: 'index.handler',
      Runtime: 'nodejs20.x',
      InlineCode: 'x',
      Events: {
        E: {
          Type: 'Api',
          Properties: { ...(api ? { RestApiId: { Ref: api } } : {}), Path: path, Method: 'get' },
        },
      },
    },
  })
  let r: ImportResult
  beforeAll(async () => {
    r = await run('sam', {
      Transform: 'AWS::Serverless-2016-10-31',
      Parameters: { Mode: { Type: 'String', Default: 'PER_API' } },
      Globals: {
        Api: { Auth: { ApiKeyRequired: true, UsagePlan: { CreateUsagePlan: 'SHARED' } } },
      },
      Resources: {
        None: {
          Type: 'AWS::Serverless::Api',
          Properties: { StageName: 'Prod', Auth: { UsagePlan: { CreateUsagePlan: 'NONE' } } },
        },
        PerApi: {
          Type: 'AWS::Serverless::Api',
          Properties: {
            StageName: 'Prod',
            Auth: {
              UsagePlan: {
                CreateUsagePlan: { Ref: 'Mode' },
                Quota: { Limit: 10, Offset: 10, Period: 'MONTH' },
                Throttle: { BurstLimit: 1000, RateLimit: 1000 },
                Description: 'per api',
              },
            },
          },
        },
        SharedOne: { Type: 'AWS::Serverless::Api', Properties: { StageName: 'Prod' } },
        F1: fn('None', '/none'),
        F2: fn('PerApi', '/per'),
        F3: fn('SharedOne', '/one'),
        F4: fn(undefined, '/implicit'),
      },
    })
  })

  it('PER_API (resolved from a parameter default): <Api>UsagePlan with key <Api>ApiKey, limits as written', () => {
    expect(find(r, 'UsagePlan', 'per-api-usage-plan')?.spec).toEqual({
      description: 'per api',
      apiStages: [{ apiName: 'per-api', stage: 'Prod' }],
      throttle: { rateLimit: 1000, burstLimit: 1000 },
      quota: { limit: 10, period: 'MONTH', offset: 10 },
      apiKeys: ['per-api-api-key'],
    })
    expect(find(r, 'ApiKey', 'per-api-api-key')?.spec).toMatchObject({ enabled: true })
  })

  it('SHARED: one ServerlessUsagePlan over every SHARED API (the implicit one too) with one key; NONE: no plan', () => {
    expect(find(r, 'UsagePlan', 'serverless-usage-plan')?.spec).toEqual({
      apiStages: [
        { apiName: 'shared-one', stage: 'Prod' },
        { apiName: 'serverless-rest-api', stage: 'Prod' },
      ],
      apiKeys: ['serverless-api-key'],
    })
    expect(all(r).filter((m) => m.kind === 'UsagePlan')).toHaveLength(2)
    expect(item(r, 'UsagePlan of None')?.status).toBe('mapped')
  })

  it('the output passes portcullis validate', async () => {
    await validates('sam')
  })
})
