import { readFileSync } from 'node:fs'
import { formatConfigProblem } from '../api/config-problem.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KINDS } from '../api/v1alpha1/kinds.js'
import {
  checkObjectSet,
  jsonPointerToPath,
  parseManifestObject,
  parseManifestText,
  type LoadedObject,
  type ManifestLoadResult,
} from './manifest.js'

const FIXTURE = join(
  import.meta.dirname,
  '..',
  '..',
  'test',
  'fixtures',
  'manifests',
  'design-example.yaml',
)

function lines(r: ManifestLoadResult): string[] {
  return r.errors.map(formatConfigProblem)
}

function only<K extends LoadedObject['kind']>(
  r: ManifestLoadResult,
  kind: K,
): Extract<LoadedObject, { kind: K }> {
  const found = r.objects.filter((o): o is Extract<LoadedObject, { kind: K }> => o.kind === kind)
  expect(found).toHaveLength(1)
  return found[0]!
}

const API = (spec: string, meta = '{name: petstore, namespace: shop}'): string =>
  `apiVersion: portcullis.dev/v1alpha1\nkind: RestApi\nmetadata: ${meta}\nspec:\n${spec}`

describe('parseManifestText: the example using every kind', () => {
  const result = parseManifestText(readFileSync(FIXTURE, 'utf8'), 'design-example.yaml')

  it('loads all seven objects with zero errors and zero warnings', () => {
    expect(lines(result)).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.objects.map((o) => `${o.ref.kind}/${o.ref.namespace}/${o.ref.name}`)).toEqual([
      'RestApi/shop/petstore',
      'Authorizer/shop/token-auth',
      'Authorizer/shop/users',
      'Authorizer/shop/oidc',
      'Principal/shop/alice',
      'Policy/shop/pets-admin',
      'PrivateEndpoint/shop/frontend',
    ])
  })

  it('keeps every field and applies schema defaults (apiKeyRequired false, apiKeySource HEADER, TTL 300)', () => {
    const api = only(result, 'RestApi')
    expect(api.spec.endpointConfiguration).toEqual({
      type: 'PRIVATE',
      vpcEndpointIds: ['frontend'],
    })
    expect(api.spec.routes[3]).toEqual({
      path: '/me/{proxy+}',
      methods: ['ANY'],
      authorizationType: 'COGNITO_USER_POOLS',
      authorizerName: 'users',
      authorizationScopes: ['pets/read'],
      apiKeyRequired: false,
    })
    expect(api.spec.apiKeySource).toBe('HEADER')
    const jwt = result.objects.find((o) => o.ref.name === 'oidc')
    expect(jwt?.kind === 'Authorizer' && jwt.spec.authorizerResultTtlInSeconds).toBe(300)
    expect(jwt?.kind === 'Authorizer' && jwt.spec.timeoutMillis).toBe(3000)
  })
})

describe('parseManifestText: defaults', () => {
  it('puts objects without a namespace in `default` and defaults stage, endpoint type, route auth type', () => {
    const r = parseManifestText(API('  routes: [{path: /, methods: [GET]}]', '{name: a}'), 'a.yaml')
    expect(lines(r)).toEqual([])
    const api = only(r, 'RestApi')
    expect(api.ref).toEqual({ kind: 'RestApi', namespace: 'default', name: 'a' })
    expect(api.metadata.namespace).toBe('default')
    expect(api.spec.stage).toBe('prod')
    expect(api.spec.endpointConfiguration).toEqual({ type: 'REGIONAL' })
    expect(api.spec.routes[0]?.authorizationType).toBe('NONE')
  })

  it('parses a policy given as a JSON string into an object', () => {
    const r = parseManifestText(
      API(
        `  policy: '{"Version":"2012-10-17","Statement":[]}'\n  routes: [{path: /, methods: [GET]}]`,
      ),
      'a.yaml',
    )
    expect(lines(r)).toEqual([])
    expect(only(r, 'RestApi').spec.policy).toEqual({ Version: '2012-10-17', Statement: [] })
  })

  it('does not modify the raw object it was given (defaults go into a copy)', () => {
    const raw = {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'p' },
      spec: { policyDocument: '{"Version":"2012-10-17","Statement":[]}' },
    }
    const before = structuredClone(raw)
    expect(parseManifestObject(raw, 'k8s').status).toBe('loaded')
    expect(raw).toEqual(before)
  })
})

describe('parseManifestText: schema and semantic violations, one exact line each', () => {
  const cases: [string, string, string[]][] = [
    [
      'unknown route field (typo)',
      API('  routes: [{path: /pets, methods: [GET], authorizationtype: NONE}]'),
      ['bad.yaml: RestApi/shop/petstore: spec.routes[0].authorizationtype: unknown field'],
    ],
    [
      'bad enum value',
      API('  routes: [{path: /pets, methods: [FETCH]}]'),
      [
        'bad.yaml: RestApi/shop/petstore: spec.routes[0].methods[0]: must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, ANY (got "FETCH")',
      ],
    ],
    [
      'missing required field',
      API('  routes: [{methods: [GET]}]'),
      ['bad.yaml: RestApi/shop/petstore: spec.routes[0].path: is required'],
    ],
    [
      'account ID not 12 digits',
      API('  accountId: "1234"\n  routes: [{path: /, methods: [GET]}]'),
      [
        'bad.yaml: RestApi/shop/petstore: spec.accountId: must match pattern "^[0-9]{12}$" (got "1234")',
      ],
    ],
    [
      'account ID as a YAML number',
      API('  accountId: 111122223333\n  routes: [{path: /, methods: [GET]}]'),
      ['bad.yaml: RestApi/shop/petstore: spec.accountId: must be string'],
    ],
    [
      'greedy parameter not last',
      API('  routes: [{path: "/{proxy+}/x", methods: [GET]}]'),
      [
        'bad.yaml: RestApi/shop/petstore: spec.routes[0].path: greedy parameter {proxy+} must be the last segment',
      ],
    ],
    [
      'CUSTOM route without authorizerName (CEL twin)',
      API('  routes: [{path: /, methods: [GET], authorizationType: CUSTOM}]'),
      [
        'bad.yaml: RestApi/shop/petstore: spec.routes[0].authorizerName: authorizerName is required for CUSTOM, COGNITO_USER_POOLS and JWT, and forbidden otherwise',
      ],
    ],
    [
      'sibling path variables with different names',
      API(
        '  routes: [{path: "/pets/{id}", methods: [GET]}, {path: "/pets/{petId}/toys", methods: [GET]}]',
      ),
      [
        'bad.yaml: RestApi/shop/petstore: spec.routes[1].path: {petId} conflicts with {id} of routes[0]: only one path variable is allowed under /pets',
      ],
    ],
    [
      'duplicate route method',
      API('  routes: [{path: "/pets", methods: [GET]}, {path: "/pets", methods: [POST, GET]}]'),
      [
        'bad.yaml: RestApi/shop/petstore: spec.routes[1].path: duplicate route GET /pets (also routes[0])',
      ],
    ],
    [
      'policy string that is not JSON',
      API("  policy: '{not json'\n  routes: [{path: /, methods: [GET]}]"),
      [
        `bad.yaml: RestApi/shop/petstore: spec.policy: policy document is not valid JSON: ${jsonErrorOf('{not json')}`,
      ],
    ],
    [
      'TOKEN authorizer without authorizerUri, TTL above 3600',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Authorizer\nmetadata: {name: t, namespace: shop}\nspec: {type: TOKEN, authorizerResultTtlInSeconds: 4000}',
      ['bad.yaml: Authorizer/shop/t: spec.authorizerResultTtlInSeconds: must be <= 3600'],
    ],
    [
      'TOKEN authorizer without authorizerUri',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Authorizer\nmetadata: {name: t, namespace: shop}\nspec: {type: TOKEN}',
      [
        'bad.yaml: Authorizer/shop/t: spec.authorizerUri: authorizerUri is required for TOKEN and REQUEST authorizers, and forbidden otherwise',
      ],
    ],
    [
      'invalid identityValidationExpression regex',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Authorizer\nmetadata: {name: t, namespace: shop}\nspec: {type: TOKEN, authorizerUri: "http://a/", identityValidationExpression: "Bearer (.+"}',
      [
        `bad.yaml: Authorizer/shop/t: spec.identityValidationExpression: invalid regular expression: ${regexErrorOf('Bearer (.+')}`,
      ],
    ],
    [
      'REQUEST authorizer with a path parameter identity source',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Authorizer\nmetadata: {name: r, namespace: shop}\nspec: {type: REQUEST, authorizerUri: "http://a/", identitySource: "method.request.header.X, method.request.path.id"}',
      [
        'bad.yaml: Authorizer/shop/r: spec.identitySource: source 2 "method.request.path.id": path parameters cannot be identity sources',
      ],
    ],
    [
      'except outside its CIDR, and a bad CIDR',
      'apiVersion: portcullis.dev/v1alpha1\nkind: PrivateEndpoint\nmetadata: {name: e, namespace: shop}\nspec:\n  sources: [{ipBlocks: [{cidr: 10.20.0.0/16, except: [10.21.0.0/24]}, {cidr: 10.0.0.0/33}]}]',
      [
        'bad.yaml: PrivateEndpoint/shop/e: spec.sources[0].ipBlocks[0].except[0]: "10.21.0.0/24" is not inside 10.20.0.0/16',
        'bad.yaml: PrivateEndpoint/shop/e: spec.sources[0].ipBlocks[1].cidr: "10.0.0.0/33": prefix must be 0–32',
      ],
    ],
    [
      'empty PrivateEndpoint source (CEL twin)',
      'apiVersion: portcullis.dev/v1alpha1\nkind: PrivateEndpoint\nmetadata: {name: e, namespace: shop}\nspec:\n  sources: [{}]',
      [
        'bad.yaml: PrivateEndpoint/shop/e: spec.sources[0]: a source needs at least one of namespaces, namespaceSelector, podSelector, serviceAccounts, ipBlocks',
      ],
    ],
    [
      'principal ARN of the wrong shape and a bad access key status',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Principal\nmetadata: {name: p, namespace: shop}\nspec:\n  arn: "arn:aws:s3:::bucket"\n  accessKeys: [{accessKeyId: AKIAEXAMPLEEXAMPLE01, secretAccessKeyRef: {name: k, key: s}, status: Enabled}]',
      [
        'bad.yaml: Principal/shop/p: spec.arn: must match pattern "^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$" (got "arn:aws:s3:::bucket")',
        'bad.yaml: Principal/shop/p: spec.accessKeys[0].status: must be one of Active, Inactive (got "Enabled")',
      ],
    ],
    [
      'invalid metadata.name and a misspelt top-level key',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nmetadata: {name: Bad_Name}\nspec: {policyDocument: {}}\nsepc: {}',
      [
        'bad.yaml: Policy/default/Bad_Name: sepc: unknown field',
        'bad.yaml: Policy/default/Bad_Name: metadata.name: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" (got "Bad_Name")',
      ],
    ],
  ]
  for (const [what, text, expected] of cases) {
    it(`${what} → ${expected.length} error line(s), object rejected`, () => {
      const r = parseManifestText(text, 'bad.yaml')
      expect(lines(r)).toEqual(expected)
      expect(r.objects).toEqual([])
    })
  }

  it('an unknown portcullis.dev kind is an error, not a silent ignore', () => {
    const r = parseManifestText(
      'apiVersion: portcullis.dev/v1alpha1\nkind: Stage\nmetadata: {name: u}\nspec: {}',
      'x.yaml',
    )
    expect(lines(r)).toEqual([
      `x.yaml: Stage/default/u: unknown kind or version portcullis.dev/v1alpha1 Stage (this build serves portcullis.dev/v1alpha1 ${KINDS.join(', ')})`,
    ])
  })
})

function jsonErrorOf(text: string): string {
  try {
    JSON.parse(text)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected invalid JSON')
}

function regexErrorOf(text: string): string {
  try {
    new RegExp(text)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected invalid regex')
}

describe('parseManifestText: policy grammar hook', () => {
  it('calls validatePolicy for every policy field with its grammar, and prefixes the returned paths', () => {
    const calls: string[] = []
    const r = parseManifestText(readFileSync(FIXTURE, 'utf8'), 'd.yaml', {
      validatePolicy: (doc, kind) => {
        calls.push(kind)
        const effect = (doc as { Statement: { Effect: string }[] }).Statement[0]?.Effect
        return effect === 'Allow' && kind === 'endpoint'
          ? [{ path: 'Statement[0].Effect', message: 'test says no' }]
          : []
      },
    })
    expect(calls.sort()).toEqual(['endpoint', 'identity', 'identity', 'resource'])
    expect(lines(r)).toEqual([
      'd.yaml: PrivateEndpoint/shop/frontend: spec.policy.Statement[0].Effect: test says no',
    ])
    expect(r.objects.map((o) => o.ref.name)).not.toContain('frontend')
  })

  it('a throwing validator rejects the object instead of letting the policy through', () => {
    const r = parseManifestText(
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {policyDocument: {}}',
      'p.yaml',
      {
        validatePolicy: () => {
          throw new Error('boom')
        },
      },
    )
    expect(lines(r)).toEqual([
      'p.yaml: Policy/default/p: spec.policyDocument: policy validation failed: boom',
    ])
    expect(r.objects).toEqual([])
  })
})

describe('parseManifestText: Secrets and Services', () => {
  it('decodes Secret data (base64) and overlays stringData, as the API server does', () => {
    const r = parseManifestText(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: alice-keys, namespace: shop}',
        'data:',
        `  secretAccessKey: ${Buffer.from('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').toString('base64')}`,
        `  other: ${Buffer.from('from-data').toString('base64')}`,
        'stringData:',
        '  other: from-stringData',
      ].join('\n'),
      's.yaml',
    )
    expect(lines(r)).toEqual([])
    const secret = only(r, 'Secret')
    expect(secret.data).toEqual({
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      other: 'from-stringData',
    })
  })

  it('reports invalid base64 without echoing the secret value', () => {
    const r = parseManifestText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: k}\ndata: {key: "not*base64!"}',
      's.yaml',
    )
    expect(lines(r)).toEqual(['s.yaml: Secret/default/k: data.key: is not valid base64'])
    expect(JSON.stringify(r)).not.toContain('not*base64!')
  })

  it('loads a Service annotated portcullis.dev/rest-api with its selector and ports', () => {
    const r = parseManifestText(
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: pets, namespace: shop, annotations: {portcullis.dev/rest-api: petstore}}',
        'spec: {selector: {app: pets}, ports: [{port: 80, targetPort: 8080}]}',
      ].join('\n'),
      'svc.yaml',
    )
    expect(lines(r)).toEqual([])
    const svc = only(r, 'Service')
    expect(svc.restApi).toEqual({ namespace: 'shop', name: 'petstore' })
    expect(svc.selector).toEqual({ app: 'pets' })
    expect(svc.ports).toEqual([{ port: 80, targetPort: 8080 }])
  })

  it('accepts a namespace/name annotation and rejects a malformed one', () => {
    const svc = (value: string): ManifestLoadResult =>
      parseManifestText(
        `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: web, annotations: {portcullis.dev/rest-api: "${value}"}}`,
        'svc.yaml',
      )
    expect(only(svc('shop/petstore'), 'Service').restApi).toEqual({
      namespace: 'shop',
      name: 'petstore',
    })
    expect(lines(svc('Not A Name'))).toEqual([
      'svc.yaml: Service/web/s: metadata.annotations["portcullis.dev/rest-api"]: must name a RestApi: <name> or <namespace>/<name>',
    ])
  })

  it('ignores an unannotated Service and other kinds with a warning each', () => {
    const r = parseManifestText(
      'apiVersion: v1\nkind: Service\nmetadata: {name: plain}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {}',
      'mixed.yaml',
    )
    expect(r.errors).toEqual([])
    expect(r.objects).toEqual([])
    expect(r.warnings).toEqual([
      'mixed.yaml: Service/default/plain: ignored (Service without the portcullis.dev/rest-api annotation)',
      'mixed.yaml: apps/v1 Deployment/shop/web: ignored (not a Portcullis kind, Secret or annotated Service)',
    ])
  })
})

describe('parseManifestText: file formats', () => {
  it('reports broken YAML as one error for the file', () => {
    const r = parseManifestText('apiVersion: v1\nkind: [Secret\n', 'broken.yaml')
    expect(r.objects).toEqual([])
    expect(r.errors).toHaveLength(1)
    expect(formatConfigProblem(r.errors[0]!)).toMatch(/^broken\.yaml: invalid YAML: .+/)
  })

  it('reports duplicate YAML keys (they would silently overwrite each other)', () => {
    const r = parseManifestText(
      'apiVersion: v1\nkind: Secret\nkind: Service\nmetadata: {name: x}',
      'dup.yaml',
    )
    expect(formatConfigProblem(r.errors[0]!)).toMatch(
      /^dup\.yaml: invalid YAML: .*[Mm]ap keys must be unique/,
    )
  })

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n')
    const r = parseManifestText(bomb, 'bomb.yaml')
    expect(r.objects).toEqual([])
    expect(formatConfigProblem(r.errors[0]!)).toMatch(/^bomb\.yaml: invalid YAML: .*alias/i)
  })

  it('reads a JSON object and a JSON kind: List', () => {
    const policy = {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'p' },
      spec: { policyDocument: { Version: '2012-10-17', Statement: [] } },
    }
    expect(parseManifestText(JSON.stringify(policy), 'p.json').objects).toHaveLength(1)
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [policy, { ...policy, metadata: { name: 'q' } }],
    }
    const r = parseManifestText(JSON.stringify(list), 'list.json')
    expect(lines(r)).toEqual([])
    expect(r.objects.map((o) => o.ref.name)).toEqual(['p', 'q'])
  })

  it('reports invalid JSON', () => {
    expect(lines(parseManifestText('{"kind": ', 'x.json'))).toEqual([
      `x.json: invalid JSON: ${jsonErrorOf('{"kind": ')}`,
    ])
  })

  it('reports a document that is not an object, and one without kind', () => {
    const r = parseManifestText('- a\n- b\n---\napiVersion: v1\nmetadata: {name: x}', 'odd.yaml')
    expect(lines(r)).toEqual([
      'odd.yaml: must be a Kubernetes object (a mapping with apiVersion and kind)',
      'odd.yaml: kind: is required',
    ])
  })

  it('skips empty documents (a trailing ---)', () => {
    const r = parseManifestText(
      '---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: k}\n---\n',
      'e.yaml',
    )
    expect(lines(r)).toEqual([])
    expect(r.objects).toHaveLength(1)
  })
})

describe('checkObjectSet', () => {
  it('rejects the second object with the same kind/namespace/name, naming the first file', () => {
    const a = parseManifestText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: k, namespace: shop}',
      'a.yaml',
    ).objects
    const b = parseManifestText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: k, namespace: shop}',
      'b.yaml',
    ).objects
    const c = parseManifestText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: k, namespace: web}',
      'c.yaml',
    ).objects
    const r = checkObjectSet([...a, ...b, ...c])
    expect(r.errors.map(formatConfigProblem)).toEqual([
      'b.yaml: Secret/shop/k: duplicate object (first defined in a.yaml)',
    ])
    expect(r.objects.map((o) => o.file)).toEqual(['a.yaml', 'c.yaml'])
  })

  it('rejects a Principal reusing another Principal access key ID', () => {
    const p = (name: string): string =>
      `apiVersion: portcullis.dev/v1alpha1\nkind: Principal\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  arn: "arn:aws:iam::111122223333:user/${name}"\n  accessKeys: [{accessKeyId: AKIASHAREDKEY0000001, secretAccessKeyRef: {name: k, key: s}}]`
    const objects = [
      ...parseManifestText(p('alice'), 'a.yaml').objects,
      ...parseManifestText(p('bob'), 'b.yaml').objects,
    ]
    const r = checkObjectSet(objects)
    expect(r.errors.map(formatConfigProblem)).toEqual([
      'b.yaml: Principal/shop/bob: spec.accessKeys[0].accessKeyId: access key ID already belongs to Principal/shop/alice',
    ])
    expect(r.objects.map((o) => o.ref.name)).toEqual(['alice'])
  })
})

describe('jsonPointerToPath', () => {
  const rows: [string, string][] = [
    ['', ''],
    ['/spec/routes/0/path', 'spec.routes[0].path'],
    ['/metadata/labels/app.kubernetes.io~1name', 'metadata.labels["app.kubernetes.io/name"]'],
    ['/spec/stageVariables/a~0b', 'spec.stageVariables["a~b"]'],
  ]
  for (const [pointer, path] of rows) {
    it(`${JSON.stringify(pointer)} → ${JSON.stringify(path)}`, () => {
      expect(jsonPointerToPath(pointer)).toBe(path)
    })
  }
})
