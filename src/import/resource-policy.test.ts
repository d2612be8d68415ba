/**
 * Resource policies of CloudFormation templates: `Fn::If` statements resolved through the
 * template's Conditions where it determines them, and every path that must write the policy
 * denying every request (fail closed) instead of a policy admitting more than the source.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RestApiSpec } from '../api/v1alpha1/index.js'
import { importFiles, type ImportResult } from './import-files.js'
import { DENY_ALL_POLICY } from './to-manifests.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-import-policy-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const ALLOW = {
  Effect: 'Allow',
  Principal: '*',
  Action: 'execute-api:Invoke',
  Resource: 'execute-api:/*',
}
const DENY_SECRET = {
  Effect: 'Deny',
  Principal: '*',
  Action: 'execute-api:Invoke',
  Resource: 'execute-api:/*/GET/secret',
}

const PARAMETERS = {
  Env: { Type: 'String', Default: 'prod' },
  Open: { Type: 'String' },
}
const CONDITIONS = {
  IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
  IsDev: { 'Fn::Equals': ['dev', { Ref: 'Env' }] },
  ProdNotDev: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ Condition: 'IsDev' }] }] },
  DevOrNot: { 'Fn::Or': [{ Condition: 'IsDev' }, { 'Fn::Not': [{ Condition: 'ProdNotDev' }] }] },
  Unknown: { 'Fn::Equals': [{ Ref: 'Open' }, 'yes'] },
  Loop: { 'Fn::Not': [{ Condition: 'Loop' }] },
}

async function importPolicy(policy: unknown): Promise<{ r: ImportResult; spec: RestApiSpec }> {
  const file = join(dir, `t${n++}.json`)
  await writeFile(
    file,
    JSON.stringify({
      Parameters: PARAMETERS,
      Conditions: CONDITIONS,
      Resources: {
        Api: {
          Type: 'AWS::ApiGateway::RestApi',
          Properties: {
            Body: { swagger: '2.0', info: { title: 'x' }, paths: { '/a': { get: {} } } },
            Policy: policy,
          },
        },
      },
    }),
  )
  const r = await importFiles([file], {
    namespace: 'x',
    accountId: '123456789012',
    region: 'us-east-1',
  })
  const spec = r.apis[0]?.manifests.find((m) => m.kind === 'RestApi')?.spec as RestApiSpec
  return { r, spec }
}

const statements = (...s: unknown[]) => ({ Version: '2012-10-17', Statement: s })
const deniedAll = (r: ImportResult): boolean =>
  r.report.items.some((i) => i.element === 'resource policy of api' && i.status === 'not-mapped')

describe('Fn::If in a resource policy statement', () => {
  it('takes the branch the Conditions choose: parameter defaults, Fn::Equals, Fn::And/Or/Not and Condition references', async () => {
    const { r, spec } = await importPolicy(
      statements(
        { 'Fn::If': ['ProdNotDev', ALLOW, DENY_SECRET] },
        { 'Fn::If': ['DevOrNot', ALLOW, DENY_SECRET] },
        {
          ...DENY_SECRET,
          Resource: { 'Fn::If': ['IsDev', 'execute-api:/*', 'execute-api:/*/GET/secret'] },
        },
      ),
    )
    expect(spec.policy).toEqual(statements(ALLOW, DENY_SECRET, DENY_SECRET))
    expect(deniedAll(r)).toBe(false)
  })

  it('an Fn::If choosing AWS::NoValue removes the statement; the others keep their own source pointers', async () => {
    const { r, spec } = await importPolicy(
      statements({ 'Fn::If': ['IsDev', DENY_SECRET, { Ref: 'AWS::NoValue' }] }, ALLOW),
    )
    expect(spec.policy).toEqual(statements(ALLOW))
    const at = (i: number) =>
      r.report.items.find(
        (x) => x.source.pointer === `/Resources/Api/Properties/Policy/Statement/${i}`,
      )
    expect(at(0)?.detail).toContain('AWS::NoValue')
    expect(at(1)?.element).toBe('policy statement 1 Allow')
  })

  it('fails closed when the condition is not determined and a branch may be a Deny: the policy denies every request', async () => {
    const { r, spec } = await importPolicy(
      statements(ALLOW, { 'Fn::If': ['Unknown', DENY_SECRET, { Ref: 'AWS::NoValue' }] }),
    )
    expect(spec.policy).toEqual(DENY_ALL_POLICY)
    expect(deniedAll(r)).toBe(true)
    expect(r.report.items.find((i) => i.source.pointer.endsWith('/Statement/1'))?.detail).toContain(
      'Ref Open',
    )
  })

  it('leaves out (reported) an undetermined Fn::If whose branches are all Allow or AWS::NoValue: that only narrows access', async () => {
    const { r, spec } = await importPolicy(
      statements(DENY_SECRET, { 'Fn::If': ['Unknown', ALLOW, { Ref: 'AWS::NoValue' }] }),
    )
    expect(spec.policy).toEqual(statements(DENY_SECRET))
    expect(deniedAll(r)).toBe(false)
    expect(r.report.items.find((i) => i.element === 'policy statement 1 Allow')?.status).toBe(
      'not-mapped',
    )
  })

  it('a condition that refers to itself is not determined (no endless evaluation): fails closed', async () => {
    const { r, spec } = await importPolicy(statements({ 'Fn::If': ['Loop', ALLOW, DENY_SECRET] }))
    expect(spec.policy).toEqual(DENY_ALL_POLICY)
    expect(deniedAll(r)).toBe(true)
  })
})

describe('every other path to the deny-all policy', () => {
  it.each([
    ['a policy string that is not JSON', '{"Statement": ['],
    ['a policy the template does not determine', { Ref: 'Open' }],
    ['a policy without Statement', { Version: '2012-10-17' }],
    [
      'a Deny that would not validate (principal no account or ARN)',
      statements(ALLOW, { ...DENY_SECRET, Principal: { AWS: 'not-an-arn' } }),
    ],
    [
      'a Deny holding an undetermined value (it would deny nobody)',
      statements(ALLOW, { ...DENY_SECRET, Resource: { 'Fn::Sub': 'execute-api:/${Open}/*' } }),
    ],
    [
      'a statement whose Effect cannot be read',
      statements(ALLOW, {
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
      }),
    ],
    [
      'a policy whose every statement is left out',
      statements({ ...ALLOW, Principal: { AWS: 'not-an-arn' } }),
    ],
  ])('%s', async (_what, policy) => {
    const { r, spec } = await importPolicy(policy)
    expect(spec.policy).toEqual(DENY_ALL_POLICY)
    expect(deniedAll(r)).toBe(true)
  })

  it('(contrast) an unmappable Allow beside a mapped statement narrows the policy instead', async () => {
    const { r, spec } = await importPolicy(
      statements(DENY_SECRET, { ...ALLOW, Principal: { AWS: 'not-an-arn' } }),
    )
    expect(spec.policy).toEqual(statements(DENY_SECRET))
    expect(deniedAll(r)).toBe(false)
  })
})
