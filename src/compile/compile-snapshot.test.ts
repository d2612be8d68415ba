import { describe, expect, it } from 'vitest'
import { compileSnapshot } from './compile-snapshot.js'
import { emptyCompileInput, type CompileInput, type Manifest } from './compile-input.js'
import type { RestApiSpec } from '../api/v1alpha1/index.js'
import { principalSpec, restApiSpec, type Loose } from '../../test/helpers/specs.js'

const api = (
  name: string,
  hosts: string[],
  extra: Loose<RestApiSpec> = {},
): Manifest<RestApiSpec> => ({
  ref: { kind: 'RestApi', namespace: 'ns', name },
  file: `${name}.yaml`,
  spec: restApiSpec({ hosts, routes: [{ path: '/x', methods: ['GET'] }], ...extra }),
})
const input = (apis: Manifest<RestApiSpec>[], over: Partial<CompileInput> = {}): CompileInput => ({
  ...emptyCompileInput(),
  restApis: apis,
  ...over,
})
const opts = { defaults: { accountId: '111122223333', region: 'us-east-1' }, generation: 1 }

describe('compileSnapshot', () => {
  it('rejects a duplicate host on the second API only; the first keeps it', () => {
    const r = compileSnapshot(
      input([api('a', ['x.example.com']), api('b', ['X.example.com', 'y.example.com'])]),
      opts,
    )
    expect(r.errors.map((e) => `${e.file}: ${e.ref.name}: ${e.path}: ${e.message}`)).toEqual([
      'b.yaml: b: spec.hosts[0]: host x.example.com is already served by RestApi ns/a',
    ])
    expect(r.snapshot.apisByHost.get('x.example.com')?.name).toBe('a')
    expect(r.snapshot.apisByRef.has('ns/b')).toBe(false)
  })

  it('keeps the previous owner of a host when a new API claims it', () => {
    const first = compileSnapshot(input([api('z', ['x.example.com'])]), opts)
    const r = compileSnapshot(input([api('a', ['x.example.com']), api('z', ['x.example.com'])]), {
      ...opts,
      previous: first.snapshot,
    })
    expect(r.snapshot.apisByHost.get('x.example.com')?.name).toBe('z')
    expect(r.errors[0]?.ref.name).toBe('a')
  })

  it('applies defaults: apiId = name, account and region from the install, stage prod', () => {
    const r = compileSnapshot(input([api('petstore', ['p.example.com'])]), opts)
    expect(r.snapshot.apisByRef.get('ns/petstore')?.arnPrefix).toBe(
      'arn:aws:execute-api:us-east-1:111122223333:petstore',
    )
    expect(r.snapshot.apisByRef.get('ns/petstore')?.stage).toBe('prod')
  })

  it('reports policy errors with the field path and drops only that API', () => {
    const bad = api('bad', ['b.example.com'], {
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { IpAddress: { 'aws:SourceIp': 'not-an-ip' } },
          },
        ],
      },
    })
    const r = compileSnapshot(input([bad, api('good', ['g.example.com'])]), opts)
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]?.path).toMatch(
      /^spec\.policy\.Statement\[0\]\.Condition\.IpAddress\.aws:SourceIp/,
    )
    expect([...r.snapshot.apisByRef.keys()]).toEqual(['ns/good'])
  })

  it('requires a PrivateEndpoint for PRIVATE APIs and resolves vpcEndpointIds', () => {
    const r = compileSnapshot(
      input([
        api('p', ['p.example.com'], {
          endpointConfiguration: { type: 'PRIVATE', vpcEndpointIds: ['missing'] },
        }),
      ]),
      opts,
    )
    expect(r.errors.map((e) => e.path)).toEqual(['spec.endpointConfiguration.vpcEndpointIds[0]'])
  })

  it('resolves Principal secrets and managed policies, and refuses dangling ones', () => {
    const principal = {
      ref: { kind: 'Principal', namespace: 'ns', name: 'alice' },
      file: 'p.yaml',
      spec: principalSpec({
        arn: 'arn:aws:iam::111122223333:user/alice',
        accessKeys: [{ accessKeyId: 'AKIA1', secretAccessKeyRef: { name: 'keys', key: 'nope' } }],
        managedPolicyRefs: ['ghost'],
      }),
    }
    const r = compileSnapshot(
      input([], {
        principals: [principal],
        secrets: [
          {
            ref: { kind: 'Secret', namespace: 'ns', name: 'keys' },
            file: 's.yaml',
            data: { k: 'v' },
          },
        ],
      }),
      opts,
    )
    expect(r.errors.map((e) => e.path).sort()).toEqual([
      'spec.accessKeys[0].secretAccessKeyRef.key',
      'spec.managedPolicyRefs[0]',
    ])
    expect(r.snapshot.accessKeys.size).toBe(0)
  })

  it("compiles a Principal's candidates, each in place of its live field only", () => {
    const doc = (sid: string) => ({
      Version: '2012-10-17',
      Statement: [{ Sid: sid, Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
    })
    const principal = (name: string, trial: Record<string, unknown>) => ({
      ref: { kind: 'Principal', namespace: 'ns', name },
      file: 'p.yaml',
      spec: principalSpec({
        arn: `arn:aws:iam::111122223333:user/${name}`,
        accessKeys: [
          {
            accessKeyId: `AKIA${name.toUpperCase()}KEY000001`,
            secretAccessKeyRef: { name: 'keys', key: 'k' },
          },
        ],
        policies: [{ policyName: 'live', policyDocument: doc('Live') }],
        managedPolicyRefs: ['shared'],
        ...trial,
      }),
    })
    const r = compileSnapshot(
      input(
        [
          api('iam', ['i.example.com'], {
            routes: [{ path: '/x', methods: ['GET'], authorizationType: 'AWS_IAM' }],
          }),
        ],
        {
          principals: [
            principal('inline', {
              candidatePolicies: [{ policyName: 'next', policyDocument: doc('Next') }],
            }),
            principal('managed', { candidateManagedPolicyRefs: ['other'] }),
            principal('none', {}),
            principal('ghost', { candidateManagedPolicyRefs: ['missing'] }),
          ],
          policies: [
            {
              ref: { kind: 'Policy', namespace: 'ns', name: 'shared' },
              file: 'm.yaml',
              spec: { policyDocument: doc('Shared') },
            },
            {
              ref: { kind: 'Policy', namespace: 'ns', name: 'other' },
              file: 'm.yaml',
              spec: { policyDocument: doc('Other') },
            },
          ],
          secrets: [
            {
              ref: { kind: 'Secret', namespace: 'ns', name: 'keys' },
              file: 's.yaml',
              data: { k: 'v' },
            },
          ],
        },
      ),
      opts,
    )
    // A candidate that does not compile makes its Principal invalid, as a bad live policy does.
    expect(r.errors.map((e) => `${e.ref.name}: ${e.path}`)).toEqual([
      'ghost: spec.candidateManagedPolicyRefs[0]',
    ])
    const labels = (name: string) => {
      const p = [...r.snapshot.accessKeys.values()].find(
        (e) => e.principal.ref === `ns/${name}`,
      )?.principal
      return {
        live: p?.policies.map((x) => x.label),
        candidate: p?.candidatePolicies?.map((x) => x.label),
      }
    }
    expect(labels('inline')).toEqual({
      live: ['inline:live', 'managed:shared'],
      candidate: ['inline:next', 'managed:shared'],
    })
    expect(labels('managed')).toEqual({
      live: ['inline:live', 'managed:shared'],
      candidate: ['inline:live', 'managed:other'],
    })
    expect(labels('none')).toEqual({
      live: ['inline:live', 'managed:shared'],
      candidate: undefined,
    })
    // Some Principal is under trial: the AWS_IAM API notes which candidates its requests meet.
    expect(r.snapshot.apisByRef.get('ns/iam')?.rollout?.identityCandidates).toBe(true)
  })

  it('leaves an API without rollout state when no candidate can apply to it', () => {
    const r = compileSnapshot(
      input([
        api('plain', ['p.example.com'], {
          routes: [{ path: '/x', methods: ['GET'], authorizationType: 'AWS_IAM' }],
        }),
      ]),
      opts,
    )
    expect(r.snapshot.apisByRef.get('ns/plain')?.rollout).toBeUndefined()
  })

  it('returns a frozen snapshot', () => {
    const r = compileSnapshot(input([api('a', ['a.example.com'])]), opts)
    expect(Object.isFrozen(r.snapshot)).toBe(true)
    expect(Object.isFrozen(r.snapshot.apisByRef.get('ns/a'))).toBe(true)
  })
})
