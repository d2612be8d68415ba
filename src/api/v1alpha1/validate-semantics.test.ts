import { describe, expect, it } from 'vitest'
import { parseCidr, parseRoutePath, validateSemantics } from './validate-semantics.js'

describe('parseRoutePath', () => {
  const ok: [string, string][] = [
    ['/', ''],
    ['/pets', 'literal:pets'],
    ['/pets/{petId}', 'literal:pets param:petId'],
    ['/me/{proxy+}', 'literal:me greedy:proxy'],
    ['/{proxy+}', 'greedy:proxy'],
    ['/v1/a.b~c:d@e', 'literal:v1 literal:a.b~c:d@e'],
    ['/orgs/{org}/repos/{repo}', 'literal:orgs param:org literal:repos param:repo'],
  ]
  for (const [path, expected] of ok) {
    it(`accepts ${path}`, () => {
      const r = parseRoutePath(path)
      expect(r.ok).toBe(true)
      if (r.ok) {
        expect(
          r.segments
            .map((s) => (s.type === 'literal' ? `literal:${s.value}` : `${s.type}:${s.name}`))
            .join(' '),
        ).toBe(expected)
      }
    })
  }
  const bad: [string, string][] = [
    ['pets', 'must start with /'],
    ['/pets/', 'empty path segment (double or trailing /)'],
    ['//pets', 'empty path segment (double or trailing /)'],
    ['/{proxy+}/tail', 'greedy parameter {proxy+} must be the last segment'],
    ['/a/{id}/b/{id}', 'duplicate path parameter {id}'],
    ['/a/..', 'dot segment ".." is not allowed'],
    [
      '/a/{b',
      'invalid segment "{b": use literal characters [A-Za-z0-9._~:@!$&\'()*+,;=-], {param} or a final {proxy+}',
    ],
    [
      '/a b',
      'invalid segment "a b": use literal characters [A-Za-z0-9._~:@!$&\'()*+,;=-], {param} or a final {proxy+}',
    ],
    [
      '/a%2Fb',
      'invalid segment "a%2Fb": use literal characters [A-Za-z0-9._~:@!$&\'()*+,;=-], {param} or a final {proxy+}',
    ],
    [
      '/x{id}',
      'invalid segment "x{id}": use literal characters [A-Za-z0-9._~:@!$&\'()*+,;=-], {param} or a final {proxy+}',
    ],
  ]
  for (const [path, message] of bad) {
    it(`refuses ${path}: ${message}`, () => {
      expect(parseRoutePath(path)).toEqual({ ok: false, message })
    })
  }
})

describe('parseCidr', () => {
  it('parses IPv4 and IPv6 CIDRs', () => {
    expect(parseCidr('10.20.0.0/16')).toEqual({
      ok: true,
      address: '10.20.0.0',
      prefix: 16,
      family: 'ipv4',
    })
    expect(parseCidr('fd00::/8')).toEqual({
      ok: true,
      address: 'fd00::',
      prefix: 8,
      family: 'ipv6',
    })
  })
  const bad: [string, string][] = [
    ['10.0.0.1', '"10.0.0.1" is not a CIDR (missing /prefix)'],
    ['10.0.0.256/8', '"10.0.0.256/8": "10.0.0.256" is not an IP address'],
    ['fd00::/129', '"fd00::/129": prefix must be 0–128'],
    ['10.0.0.0/-1', '"10.0.0.0/-1": prefix must be 0–32'],
  ]
  for (const [cidr, message] of bad) {
    it(`refuses ${cidr}`, () => {
      expect(parseCidr(cidr)).toEqual({ ok: false, message })
    })
  }
})

const base = {
  authorizerResultTtlInSeconds: 300,
  timeoutMillis: 3000,
  payloadFormatVersion: '1.0',
  enableSimpleResponses: false,
}

describe('validateSemantics: Authorizer (CEL twins and code checks)', () => {
  const rows: [string, Record<string, unknown>, string[]][] = [
    [
      'TOKEN with URI and default identity source',
      { ...base, type: 'TOKEN', authorizerUri: 'http://a/' },
      [],
    ],
    [
      'JWT with an authorizerUri',
      {
        ...base,
        type: 'JWT',
        authorizerUri: 'http://a/',
        jwtConfiguration: { issuer: 'https://i', audience: ['x'] },
      },
      [
        'spec.authorizerUri: authorizerUri is required for TOKEN and REQUEST authorizers, and forbidden otherwise',
      ],
    ],
    [
      'COGNITO without providerARNs',
      { ...base, type: 'COGNITO_USER_POOLS' },
      [
        'spec.providerARNs: providerARNs is required for COGNITO_USER_POOLS authorizers, and forbidden otherwise',
      ],
    ],
    [
      'JWT without jwtConfiguration',
      { ...base, type: 'JWT' },
      [
        'spec.jwtConfiguration: jwtConfiguration is required for JWT authorizers, and forbidden otherwise',
      ],
    ],
    [
      'REQUEST with caching but no identity source',
      { ...base, type: 'REQUEST', authorizerUri: 'http://a/' },
      [
        'spec.identitySource: identitySource is required for REQUEST authorizers when caching is enabled (authorizerResultTtlInSeconds > 0)',
      ],
    ],
    [
      'REQUEST without caching and without identity source',
      { ...base, type: 'REQUEST', authorizerUri: 'http://a/', authorizerResultTtlInSeconds: 0 },
      [],
    ],
    [
      'simple responses on payload 1.0',
      {
        ...base,
        type: 'REQUEST',
        authorizerUri: 'http://a/',
        authorizerResultTtlInSeconds: 0,
        enableSimpleResponses: true,
      },
      [
        'spec.enableSimpleResponses: enableSimpleResponses requires a REQUEST authorizer with payloadFormatVersion 2.0',
      ],
    ],
    [
      'payload 2.0 on TOKEN',
      { ...base, type: 'TOKEN', authorizerUri: 'http://a/', payloadFormatVersion: '2.0' },
      ['spec.payloadFormatVersion: payloadFormatVersion 2.0 applies only to REQUEST authorizers'],
    ],
    [
      'REQUEST identity sources of every form (1.0 and 2.0 spellings)',
      {
        ...base,
        type: 'REQUEST',
        authorizerUri: 'http://a/',
        identitySource:
          'method.request.header.Auth, method.request.querystring.q, stageVariables.v, context.routeKey, $request.header.x, $context.requestId',
      },
      [],
    ],
    [
      'TOKEN with two headers',
      {
        ...base,
        type: 'TOKEN',
        authorizerUri: 'http://a/',
        identitySource: 'method.request.header.A, method.request.header.B',
      },
      ['spec.identitySource: a TOKEN authorizer takes exactly one method.request.header.<Name>'],
    ],
    [
      'URI with credentials and a non-http scheme',
      {
        ...base,
        type: 'COGNITO_USER_POOLS',
        providerARNs: ['arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_X'],
        jwksUri: 'http://u:p@h/',
      },
      ['spec.jwksUri: must not contain credentials'],
    ],
    [
      'identityValidationExpression on REQUEST',
      {
        ...base,
        type: 'REQUEST',
        authorizerUri: 'http://a/',
        authorizerResultTtlInSeconds: 0,
        identityValidationExpression: '.*',
      },
      [
        'spec.identityValidationExpression: identityValidationExpression applies only to TOKEN and COGNITO_USER_POOLS authorizers',
      ],
    ],
    [
      'candidate audience on JWT, candidate clientIds on COGNITO_USER_POOLS',
      {
        ...base,
        type: 'JWT',
        jwtConfiguration: { issuer: 'https://i.example', audience: ['a'] },
        candidate: { audience: ['b'] },
      },
      [],
    ],
    [
      'candidate audience on COGNITO_USER_POOLS (its rule is clientIds)',
      {
        ...base,
        type: 'COGNITO_USER_POOLS',
        providerARNs: ['arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_X'],
        candidate: { audience: ['b'] },
      },
      ['spec.candidate.audience: candidate.audience applies only to JWT authorizers'],
    ],
    [
      'candidate clientIds on JWT',
      {
        ...base,
        type: 'JWT',
        jwtConfiguration: { issuer: 'https://i.example', audience: ['a'] },
        candidate: { clientIds: ['b'] },
      },
      [
        'spec.candidate.clientIds: candidate.clientIds applies only to COGNITO_USER_POOLS authorizers',
      ],
    ],
  ]
  for (const [what, spec, expected] of rows) {
    it(`${what} → ${expected.length === 0 ? 'valid' : expected.join('; ')}`, () => {
      expect(validateSemantics('Authorizer', spec).map((e) => `${e.path}: ${e.message}`)).toEqual(
        expected,
      )
    })
  }
})

describe('validateSemantics: RestApi', () => {
  const api = (
    routes: unknown[],
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    stage: 'prod',
    endpointConfiguration: { type: 'REGIONAL' },
    apiKeySource: 'HEADER',
    routes,
    ...extra,
  })
  const r = (
    path: string,
    methods: string[],
    authorizationType = 'NONE',
    more: Record<string, unknown> = {},
  ) => ({
    path,
    methods,
    authorizationType,
    apiKeyRequired: false,
    ...more,
  })

  it('accepts literal, param and greedy siblings the way API Gateway does', () => {
    const spec = api([
      r('/pets', ['GET']),
      r('/pets/{id}', ['GET']),
      r('/pets/{id}/toys', ['ANY']),
      r('/{proxy+}', ['ANY']),
      r('/pets', ['ANY']),
    ])
    expect(validateSemantics('RestApi', spec)).toEqual([])
  })

  it('refuses a greedy and a plain variable at the same level', () => {
    const spec = api([r('/a/{id}', ['GET']), r('/a/{id+}', ['GET'])])
    expect(validateSemantics('RestApi', spec).map((e) => e.message)).toEqual([
      '{id+} conflicts with {id} of routes[0]: only one path variable is allowed under /a',
    ])
  })

  it('refuses authorizationScopes on an AWS_IAM route and an authorizerName on a NONE route', () => {
    const spec = api([
      r('/a', ['GET'], 'AWS_IAM', { authorizationScopes: ['s'] }),
      r('/b', ['GET'], 'NONE', { authorizerName: 'x' }),
    ])
    expect(validateSemantics('RestApi', spec).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.routes[0].authorizationScopes: authorizationScopes apply only to COGNITO_USER_POOLS and JWT routes',
      'spec.routes[1].authorizerName: authorizerName is required for CUSTOM, COGNITO_USER_POOLS and JWT, and forbidden otherwise',
    ])
  })

  it('refuses vpcEndpointIds on a REGIONAL API and duplicate set entries (hosts, methods)', () => {
    const spec = api([r('/a', ['GET', 'GET'])], {
      endpointConfiguration: { type: 'REGIONAL', vpcEndpointIds: ['e'] },
      hosts: ['a.example', 'a.example'],
    })
    expect(validateSemantics('RestApi', spec).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.hosts[1]: duplicate value "a.example" (also at index 0)',
      'spec.endpointConfiguration.vpcEndpointIds: vpcEndpointIds apply only to PRIVATE APIs',
      'spec.routes[0].methods[1]: duplicate value "GET" (also at index 0)',
      'spec.routes[0].path: duplicate route GET /a (also routes[0])',
    ])
  })

  it('refuses a policy that is neither an object nor a JSON string', () => {
    expect(validateSemantics('RestApi', api([r('/', ['GET'])], { policy: '[1]' }))).toEqual([
      {
        path: 'spec.policy',
        message: 'must be an IAM policy document (an object, or a JSON string of one)',
      },
    ])
  })
})

describe('validateSemantics: Principal and PrivateEndpoint', () => {
  it('refuses duplicate access key IDs and policy names inside one Principal', () => {
    const key = {
      accessKeyId: 'AKIAEXAMPLEEXAMPLE01',
      secretAccessKeyRef: { name: 's', key: 'k' },
      status: 'Active',
    }
    const pol = { policyName: 'p', policyDocument: {} }
    expect(
      validateSemantics('Principal', {
        arn: 'arn:aws:iam::111122223333:user/a',
        accessKeys: [key, key],
        policies: [pol, pol],
      }).map((e) => `${e.path}: ${e.message}`),
    ).toEqual([
      'spec.accessKeys[1].accessKeyId: duplicate access key ID (also accessKeys[0])',
      'spec.policies[1].policyName: duplicate policy name (also policies[0])',
    ])
  })

  it('checks label selector operators (CEL twin) and IPv6 except ranges', () => {
    const spec = {
      sources: [
        {
          podSelector: {
            matchExpressions: [
              { key: 'a', operator: 'In' },
              { key: 'b', operator: 'Exists', values: ['x'] },
            ],
          },
        },
        { ipBlocks: [{ cidr: 'fd00::/8', except: ['fd00:1::/32', '10.0.0.0/8'] }] },
      ],
    }
    expect(
      validateSemantics('PrivateEndpoint', spec).map((e) => `${e.path}: ${e.message}`),
    ).toEqual([
      'spec.sources[0].podSelector.matchExpressions[0].values: values must be non-empty for In/NotIn and empty for Exists/DoesNotExist',
      'spec.sources[0].podSelector.matchExpressions[1].values: values must be non-empty for In/NotIn and empty for Exists/DoesNotExist',
      'spec.sources[1].ipBlocks[0].except[1]: "10.0.0.0/8" is not inside fd00::/8',
    ])
  })
})

describe('validateSemantics: IdentityProvider', () => {
  const base = { url: 'https://kubernetes.default.svc.cluster.local', clientIDList: ['sts'] }
  it('keys come from one place: jwksFrom KubernetesAPIServer or jwksUri, not both (CEL twin)', () => {
    expect(
      validateSemantics('IdentityProvider', { ...base, jwksFrom: 'KubernetesAPIServer' }),
    ).toEqual([])
    expect(
      validateSemantics('IdentityProvider', {
        ...base,
        jwksFrom: 'KubernetesAPIServer',
        jwksUri: 'https://kubernetes.default.svc/openid/v1/jwks',
      }),
    ).toEqual([
      {
        path: 'spec.jwksFrom',
        message: 'jwksFrom and jwksUri are exclusive: the keys come from one place',
      },
    ])
  })
})

describe('validateSemantics: candidate policy documents', () => {
  it('parses a RestApi candidatePolicy like its policy', () => {
    const spec = {
      stage: 'prod',
      endpointConfiguration: { type: 'REGIONAL' },
      apiKeySource: 'HEADER',
      routes: [],
      candidatePolicy: '{not json',
    }
    expect(validateSemantics('RestApi', spec).map((e) => e.path)).toEqual(['spec.candidatePolicy'])
  })

  it("parses a Principal's candidatePolicies and refuses a duplicate name among them", () => {
    const doc = { Version: '2012-10-17', Statement: [] }
    const spec = {
      arn: 'arn:aws:iam::111122223333:user/a',
      policies: [{ policyName: 'p', policyDocument: doc }],
      candidatePolicies: [
        { policyName: 'p', policyDocument: doc },
        { policyName: 'p', policyDocument: '{not json' },
      ],
    }
    expect(validateSemantics('Principal', spec).map((e) => `${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(/^spec\.candidatePolicies\[1\]\.policyDocument: /) as string,
      'spec.candidatePolicies[1].policyName: duplicate policy name (also candidatePolicies[0])',
    ])
  })
})
