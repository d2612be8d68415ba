/**
 * Evaluation of compiled policies against requests, one `it` per documented AWS rule (execute-api
 * actions, resource ARNs, short form and principals; IAM decision rules, Not* elements,
 * NotPrincipal, policy variables in Resource; see docs/aws-semantics.md) plus the statements
 * reported back.
 */
import { describe, expect, it } from 'vitest'
import { compilePolicy } from './compile-policy.js'
import type { CompiledPolicy } from './compiled-policy.js'
import { evaluatePolicies } from './evaluate-policies.js'
import { precheckExplicitDeny } from './precheck-explicit-deny.js'
import type { CompileOptions, ConditionValue, PolicyPrincipal, PolicyRequest } from './types.js'

const A = '111122223333'
const B = '444455556666'
const PREFIX = `arn:aws:execute-api:us-east-1:${A}:petstore`
const arn = (tail: string): string => `${PREFIX}/${tail}`

const alice: PolicyPrincipal = { arn: `arn:aws:iam::${A}:user/alice`, accountId: A }
const devRole: PolicyPrincipal = { arn: `arn:aws:iam::${A}:role/dev`, accountId: A }
const devSession: PolicyPrincipal = {
  arn: `arn:aws:sts::${A}:assumed-role/dev/build-42`,
  accountId: A,
}
const bob: PolicyPrincipal = { arn: `arn:aws:iam::${B}:user/bob`, accountId: B }

function compile(
  doc: unknown,
  options: CompileOptions = { kind: 'resource', executeApiArnPrefix: PREFIX },
): CompiledPolicy {
  const result = compilePolicy(doc, options)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.policy
}

function request(
  resource: string,
  principal: PolicyPrincipal | null = null,
  context: Record<string, ConditionValue> = {},
  action = 'execute-api:Invoke',
): PolicyRequest {
  return {
    action,
    resource,
    principal,
    context: new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v])),
  }
}

const allow = (extra: Record<string, unknown>): unknown => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: '*', ...extra },
  ],
})

describe('execute-api actions', () => {
  it('execute-api:Invoke allows invoking', () => {
    expect(compile(allow({})).evaluate(request(arn('prod/GET/pets')), 'rp').decision).toBe('Allow')
  })
  it('action names are case-insensitive (EXECUTE-API:invoke)', () => {
    const p = compile(allow({ Action: 'EXECUTE-API:invoke' }))
    expect(p.evaluate(request(arn('prod/GET/pets')), 'rp').decision).toBe('Allow')
  })
  it('execute-api:* covers Invoke and InvalidateCache', () => {
    const p = compile(allow({ Action: 'execute-api:*' }))
    expect(
      p.evaluate(request(arn('prod/GET/pets'), null, {}, 'execute-api:InvalidateCache'), 'rp')
        .decision,
    ).toBe('Allow')
  })
  it('execute-api:Invoke does not cover InvalidateCache', () => {
    const p = compile(allow({}))
    expect(
      p.evaluate(request(arn('prod/GET/pets'), null, {}, 'execute-api:InvalidateCache'), 'rp')
        .decision,
    ).toBe('Neither')
  })
  it('wildcards inside action names (execute-api:*Cache)', () => {
    const p = compile(allow({ Action: 'execute-api:*Cache' }))
    expect(
      p.evaluate(request(arn('prod/GET/pets'), null, {}, 'execute-api:InvalidateCache'), 'rp')
        .decision,
    ).toBe('Allow')
  })
  it('another service prefix does not match (s3:*)', () => {
    const p = compile(allow({ Action: 's3:*' }))
    expect(p.evaluate(request(arn('prod/GET/pets')), 'rp').decision).toBe('Neither')
  })
})

describe('resource ARNs', () => {
  const cases: [
    name: string,
    resource: string,
    methodArn: string,
    expected: 'Allow' | 'Neither',
  ][] = [
    [
      'arn:aws:execute-api:*:*:* matches every API',
      'arn:aws:execute-api:*:*:*',
      arn('prod/GET/pets/1'),
      'Allow',
    ],
    [
      'api-id/* matches every stage, verb and path',
      `${PREFIX}/*`,
      arn('test/DELETE/a/b/c'),
      'Allow',
    ],
    [
      'stage wildcard: api-id/*/GET/pets matches prod/GET/pets',
      `${PREFIX}/*/GET/pets`,
      arn('prod/GET/pets'),
      'Allow',
    ],
    [
      'api-id/test/* does not match the prod stage',
      `${PREFIX}/test/*`,
      arn('prod/GET/pets'),
      'Neither',
    ],
    [
      '*/GET/pets does not match /pets/1 (no implicit prefix match)',
      `${PREFIX}/*/GET/pets`,
      arn('prod/GET/pets/1'),
      'Neither',
    ],
    [
      'a concrete path parameter value (…/GET/pets/a1b2)',
      `${PREFIX}/*/GET/pets/a1b2`,
      arn('prod/GET/pets/a1b2'),
      'Allow',
    ],
    [
      'a trailing * crosses "/" (prod/GET/*)',
      `${PREFIX}/prod/GET/*`,
      arn('prod/GET/pets/1/toys'),
      'Allow',
    ],
    [
      'region wildcard us-east-? matches us-east-1',
      `arn:aws:execute-api:us-east-?:${A}:petstore/*`,
      arn('prod/GET/pets'),
      'Allow',
    ],
    [
      'another account does not match',
      `arn:aws:execute-api:us-east-1:${B}:petstore/*`,
      arn('prod/GET/pets'),
      'Neither',
    ],
    [
      'resource matching is case-sensitive (get vs GET)',
      `${PREFIX}/prod/get/*`,
      arn('prod/GET/pets'),
      'Neither',
    ],
    [
      'the account part * does not cross into the API id',
      `arn:aws:execute-api:us-east-1:*`,
      arn('prod/GET/pets'),
      'Neither',
    ],
  ]
  for (const [name, resource, methodArn, expected] of cases) {
    it(name, () => {
      const compiled = compilePolicy(allow({ Resource: resource }), { kind: 'resource' })
      // A resource with fewer than six ARN parts is rejected at compile time (never silently dead).
      if (
        !resource.includes(':', resource.indexOf(':*') + 2) &&
        resource.endsWith(':*') &&
        resource.split(':').length < 6
      ) {
        expect(compiled.ok).toBe(false)
        return
      }
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors))
      expect(compiled.policy.evaluate(request(methodArn), 'rp').decision).toBe(expected)
    })
  }
  it('the root path methodArn ends with a slash (…/GET/)', () => {
    const p = compile(allow({ Resource: `${PREFIX}/*/GET/` }))
    expect(p.evaluate(request(arn('prod/GET/')), 'rp').decision).toBe('Allow')
    expect(p.evaluate(request(arn('prod/GET/pets')), 'rp').decision).toBe('Neither')
  })
})

describe('execute-api short form', () => {
  it('execute-api:/stage/GET/pets expands against the owning API', () => {
    const p = compile(allow({ Resource: 'execute-api:/prod/GET/pets' }))
    expect(p.evaluate(request(arn('prod/GET/pets')), 'rp').decision).toBe('Allow')
  })
  it('execute-api:/* covers every stage, method and path of this API only', () => {
    const p = compile(allow({ Resource: 'execute-api:/*' }))
    expect(p.evaluate(request(arn('test/DELETE/a/b')), 'rp').decision).toBe('Allow')
    expect(
      p.evaluate(request(`arn:aws:execute-api:us-east-1:${A}:other/prod/GET/`), 'rp').decision,
    ).toBe('Neither')
  })
  it('the short form without executeApiArnPrefix is a validation error', () => {
    const r = compilePolicy(allow({ Resource: 'execute-api:/*' }), { kind: 'resource' })
    expect(r.ok).toBe(false)
  })
})

describe('principals', () => {
  const p = (principal: unknown): CompiledPolicy =>
    compile(allow({ Principal: principal, Resource: `${PREFIX}/*` }))
  const target = arn('prod/GET/pets')
  it('"*" matches anonymous callers', () => {
    expect(p('*').evaluate(request(target), 'rp').decision).toBe('Allow')
  })
  it('{"AWS":"*"} is equivalent to "*" (anonymous included)', () => {
    expect(p({ AWS: '*' }).evaluate(request(target), 'rp').decision).toBe('Allow')
  })
  it('an account principal never matches anonymous callers', () => {
    expect(p({ AWS: A }).evaluate(request(target), 'rp').decision).toBe('Neither')
  })
  it('an account id grants a principal of another account (resource side of Table B)', () => {
    expect(p({ AWS: B }).evaluate(request(target, bob), 'rp').decision).toBe('Allow')
  })
  it('the account root ARN behaves like the account id', () => {
    expect(p({ AWS: `arn:aws:iam::${B}:root` }).evaluate(request(target, bob), 'rp').decision).toBe(
      'Allow',
    )
  })
  it('an account principal delegates: same-account callers need identity policies (Neither alone)', () => {
    expect(p({ AWS: A }).evaluate(request(target, alice), 'rp').decision).toBe('Neither')
  })
  it('a Deny naming the account denies every principal of that account', () => {
    const deny = compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: { AWS: A }, Action: '*', Resource: '*' }],
    })
    expect(deny.evaluate(request(target, alice), 'rp').decision).toBe('Deny')
  })
  it('an exact user ARN matches that user', () => {
    expect(p({ AWS: alice.arn }).evaluate(request(target, alice), 'rp').decision).toBe('Allow')
  })
  it('user names are case-sensitive', () => {
    expect(
      p({ AWS: `arn:aws:iam::${A}:user/Alice` }).evaluate(request(target, alice), 'rp').decision,
    ).toBe('Neither')
  })
  it('a role ARN matches the role and its assumed-role sessions', () => {
    expect(p({ AWS: devRole.arn }).evaluate(request(target, devSession), 'rp').decision).toBe(
      'Allow',
    )
    expect(p({ AWS: devRole.arn }).evaluate(request(target, devRole), 'rp').decision).toBe('Allow')
  })
  it('a role ARN with a path matches sessions of that role name', () => {
    expect(
      p({ AWS: `arn:aws:iam::${A}:role/team/dev` }).evaluate(request(target, devSession), 'rp')
        .decision,
    ).toBe('Allow')
  })
  it('an assumed-role ARN matches exactly that session', () => {
    const session = p({ AWS: devSession.arn })
    expect(session.evaluate(request(target, devSession), 'rp').decision).toBe('Allow')
    expect(
      session.evaluate(
        request(target, { arn: `arn:aws:sts::${A}:assumed-role/dev/other`, accountId: A }),
        'rp',
      ).decision,
    ).toBe('Neither')
  })
  it('a list of principals is an OR', () => {
    expect(
      p({ AWS: [`arn:aws:iam::${A}:role/admin`, alice.arn] }).evaluate(request(target, alice), 'rp')
        .decision,
    ).toBe('Allow')
  })
  it('Service and Federated principals are valid but never match our callers', () => {
    const svc = p({ Service: 'lambda.amazonaws.com', Federated: 'cognito-identity.amazonaws.com' })
    expect(svc.evaluate(request(target, alice), 'rp').decision).toBe('Neither')
    expect(svc.evaluate(request(target), 'rp').decision).toBe('Neither')
  })
  it('a web identity matches Federated by provider name or by the IAM OIDC provider ARN (IRSA trust policies)', () => {
    const provider = 'oidc.example.com/id/ABC'
    const web: PolicyPrincipal = {
      arn: `arn:aws:iam::${A}:oidc-provider/${provider}`,
      accountId: A,
      federatedProvider: provider,
    }
    expect(p({ Federated: provider }).evaluate(request(target, web), 'rp').decision).toBe('Allow')
    expect(p({ Federated: web.arn }).evaluate(request(target, web), 'rp').decision).toBe('Allow')
    // Another account's provider of the same name, or another provider, is not this one.
    const foreign = `arn:aws:iam::999999999999:oidc-provider/${provider}`
    expect(p({ Federated: foreign }).evaluate(request(target, web), 'rp').decision).toBe('Neither')
    expect(
      p({ Federated: 'accounts.google.com' }).evaluate(request(target, web), 'rp').decision,
    ).toBe('Neither')
    // Nor does the account's root or a role ARN name a web identity.
    expect(p({ AWS: A }).evaluate(request(target, web), 'rp').decision).toBe('Neither')
  })
})

describe('decision within one policy', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowAll',
        Effect: 'Allow',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: `${PREFIX}/*`,
      },
      {
        Sid: 'NoDelete',
        Effect: 'Deny',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: `${PREFIX}/*/DELETE/*`,
      },
    ],
  }
  it('an explicit Deny wins over an Allow and reports the Deny statement', () => {
    const r = compile(doc).evaluate(request(arn('prod/DELETE/pets/1')), 'resource-policy')
    expect(r).toEqual({
      decision: 'Deny',
      statements: [{ policy: 'resource-policy', index: 1, sid: 'NoDelete', effect: 'Deny' }],
    })
  })
  it('an Allow reports the matching Allow statements', () => {
    const r = compile(doc).evaluate(request(arn('prod/GET/pets')), 'resource-policy')
    expect(r).toEqual({
      decision: 'Allow',
      statements: [{ policy: 'resource-policy', index: 0, sid: 'AllowAll', effect: 'Allow' }],
    })
  })
  it('no matching statement is Neither (implicit deny) with no statements', () => {
    const r = compile(doc).evaluate(
      request(`arn:aws:execute-api:us-east-1:${A}:other/prod/GET/`),
      'rp',
    )
    expect(r).toEqual({ decision: 'Neither', statements: [] })
  })
  it('a statement applies only when every condition holds', () => {
    const p = compile(
      allow({
        Condition: {
          IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
          StringEquals: { 'aws:SourceVpce': 'vpce-1' },
        },
      }),
    )
    expect(p.evaluate(request(arn('x'), null, { 'aws:SourceIp': '10.1.1.1' }), 'rp').decision).toBe(
      'Neither',
    )
    expect(
      p.evaluate(
        request(arn('x'), null, { 'aws:SourceIp': '10.1.1.1', 'aws:SourceVpce': 'vpce-1' }),
        'rp',
      ).decision,
    ).toBe('Allow')
  })
})

describe('Not-elements', () => {
  it('NotAction matches every action except those listed', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Principal: '*', NotAction: 'execute-api:Invoke', Resource: '*' },
      ],
    })
    expect(
      p.evaluate(request(arn('x'), null, {}, 'execute-api:InvalidateCache'), 'rp').decision,
    ).toBe('Deny')
    expect(p.evaluate(request(arn('x')), 'rp').decision).toBe('Neither')
  })
  it('NotResource matches every resource except those listed', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', NotResource: `${PREFIX}/prod/*` }],
    })
    expect(p.evaluate(request(arn('test/GET/')), 'rp').decision).toBe('Deny')
    expect(p.evaluate(request(arn('prod/GET/')), 'rp').decision).toBe('Neither')
  })
  it('NotPrincipal + Deny exempts a listed authenticated principal', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', NotPrincipal: { AWS: [alice.arn, A] }, Action: '*', Resource: '*' },
      ],
    })
    expect(p.evaluate(request(arn('x'), alice), 'rp').decision).toBe('Neither')
    expect(p.evaluate(request(arn('x'), bob), 'rp').decision).toBe('Deny')
  })
  it('NotPrincipal + Deny never exempts anonymous callers', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: A }, Action: '*', Resource: '*' }],
    })
    expect(p.evaluate(request(arn('x')), 'rp').decision).toBe('Deny')
  })
  it('NotPrincipal + Allow grants everyone not listed, anonymous included', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: bob.arn }, Action: '*', Resource: '*' }],
    })
    expect(p.evaluate(request(arn('x')), 'rp').decision).toBe('Allow')
    expect(p.evaluate(request(arn('x'), bob), 'rp').decision).toBe('Neither')
  })
})

describe('NotPrincipal + Deny: every level of the caller must be listed to be exempt', () => {
  // AWS checks the account, then the user or role, then the assumed-role session; a level missing
  // from the list is denied, and so is everything below it (IAM User Guide, NotPrincipal).
  const carol: PolicyPrincipal = { arn: `arn:aws:iam::${A}:user/carol`, accountId: A }
  const bobOfA: PolicyPrincipal = { arn: `arn:aws:iam::${A}:user/bob`, accountId: A }
  const rootOfA: PolicyPrincipal = { arn: `arn:aws:iam::${A}:root`, accountId: A }
  const otherDevSession: PolicyPrincipal = {
    arn: `arn:aws:sts::${A}:assumed-role/dev/other`,
    accountId: A,
  }
  const denyExcept = (...listed: string[]): CompiledPolicy =>
    compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: listed }, Action: '*', Resource: '*' }],
    })
  const decide = (p: CompiledPolicy, who: PolicyPrincipal | null): string =>
    p.evaluate(request(arn('prod/GET/pets'), who), 'rp').decision

  it('[carol, account root] exempts carol only: other users of her account are denied', () => {
    const p = denyExcept(carol.arn, `arn:aws:iam::${A}:root`)
    expect(decide(p, carol)).toBe('Neither')
    for (const who of [bobOfA, alice, devRole, devSession, bob, null]) {
      expect(decide(p, who), who?.arn ?? 'anonymous').toBe('Deny')
    }
  })
  it('a bare account id lists the account level like its root ARN', () => {
    const p = denyExcept(carol.arn, A)
    expect(decide(p, carol)).toBe('Neither')
    expect(decide(p, bobOfA)).toBe('Deny')
  })
  it('an account alone exempts no user, role or session of it, only its root user', () => {
    for (const p of [denyExcept(A), denyExcept(`arn:aws:iam::${A}:root`)]) {
      for (const who of [alice, bobOfA, devRole, devSession]) {
        expect(decide(p, who), who.arn).toBe('Deny')
      }
      expect(decide(p, rootOfA)).toBe('Neither')
    }
  })
  it('a user listed without its account is not exempt (the account level is denied)', () => {
    expect(decide(denyExcept(carol.arn), carol)).toBe('Deny')
  })
  it('a listed user of another account is not exempt when only the resource account is listed', () => {
    const bobOfB = { arn: `arn:aws:iam::${B}:user/bob`, accountId: B }
    expect(decide(denyExcept(bobOfB.arn, A), bobOfB)).toBe('Deny')
    expect(decide(denyExcept(bobOfB.arn, B), bobOfB)).toBe('Neither')
  })
  it('an assumed-role session is exempt only with the account, its role and the session listed', () => {
    const role = `arn:aws:iam::${A}:role/dev`
    const root = `arn:aws:iam::${A}:root`
    const all = denyExcept(devSession.arn, role, root)
    expect(decide(all, devSession)).toBe('Neither')
    // Another session of the same role is denied at the session level.
    expect(decide(all, otherDevSession)).toBe('Deny')
    // One level missing: denied.
    expect(decide(denyExcept(role, root), devSession)).toBe('Deny')
    expect(decide(denyExcept(devSession.arn, root), devSession)).toBe('Deny')
    expect(decide(denyExcept(devSession.arn, role), devSession)).toBe('Deny')
  })
  it('a role caller is exempt with its account and role listed', () => {
    expect(decide(denyExcept(devRole.arn, A), devRole)).toBe('Neither')
    expect(decide(denyExcept(devRole.arn), devRole)).toBe('Deny')
  })
  it('a role listed with its path covers the session level of that role', () => {
    const p = denyExcept(
      `arn:aws:iam::${A}:role/team/dev`,
      devSession.arn,
      `arn:aws:iam::${A}:root`,
    )
    expect(decide(p, devSession)).toBe('Neither')
    expect(decide(p, otherDevSession)).toBe('Deny')
  })
  it('a root user of another account is not exempt by a listed account', () => {
    const rootOfB: PolicyPrincipal = { arn: `arn:aws:iam::${B}:root`, accountId: B }
    expect(decide(denyExcept(A), rootOfB)).toBe('Deny')
  })
  it('endpoint policies apply the same rule', () => {
    const p = compile(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            NotPrincipal: { AWS: [carol.arn, A] },
            Action: '*',
            Resource: '*',
          },
          { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
        ],
      },
      { kind: 'endpoint' },
    )
    expect(decide(p, carol)).toBe('Allow')
    expect(decide(p, bobOfA)).toBe('Deny')
  })
  it('the CUSTOM-flow precheck denies a same-account user the list does not fully name', () => {
    const p = denyExcept(carol.arn, A)
    expect(precheckExplicitDeny(p, request(arn('x'), bobOfA)).decision).toBe('Deny')
    expect(precheckExplicitDeny(p, request(arn('x'), carol)).decision).toBe('Neither')
  })
})

describe('NotPrincipal + Allow (unsupported by AWS) grants only callers named at no level', () => {
  it('an account in the list withholds the grant from every caller of that account', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: A }, Action: '*', Resource: '*' }],
    })
    expect(p.evaluate(request(arn('x'), alice), 'rp').decision).toBe('Neither')
    expect(p.evaluate(request(arn('x'), devSession), 'rp').decision).toBe('Neither')
    expect(p.evaluate(request(arn('x'), bob), 'rp').decision).toBe('Allow')
  })
  it('a listed role withholds the grant from its sessions', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotPrincipal: { AWS: devRole.arn }, Action: '*', Resource: '*' },
      ],
    })
    expect(p.evaluate(request(arn('x'), devSession), 'rp').decision).toBe('Neither')
    expect(p.evaluate(request(arn('x'), alice), 'rp').decision).toBe('Allow')
  })
})

describe('policy variables in Resource', () => {
  const doc = (version: string | undefined): unknown => ({
    ...(version === undefined ? {} : { Version: version }),
    Statement: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: `${PREFIX}/*/GET/users/\${aws:username}/*`,
      },
    ],
  })
  it('${aws:username} resolves per request', () => {
    const p = compile(doc('2012-10-17'))
    expect(
      p.evaluate(request(arn('prod/GET/users/alice/x'), alice, { 'aws:username': 'alice' }), 'rp')
        .decision,
    ).toBe('Allow')
    expect(
      p.evaluate(request(arn('prod/GET/users/bob/x'), alice, { 'aws:username': 'alice' }), 'rp')
        .decision,
    ).toBe('Neither')
  })
  it('a Resource variable with no value matches nothing', () => {
    expect(
      compile(doc('2012-10-17')).evaluate(request(arn('prod/GET/users//x')), 'rp').decision,
    ).toBe('Neither')
  })
  it('a default value applies when the key is absent', () => {
    const p = compile(allow({ Resource: `${PREFIX}/*/GET/\${aws:PrincipalTag/team, 'shared'}` }))
    expect(p.evaluate(request(arn('prod/GET/shared')), 'rp').decision).toBe('Allow')
  })
  it('under Version 2008-10-17 ${...} is literal text', () => {
    const p = compile(doc('2008-10-17'))
    expect(
      p.evaluate(
        request(arn('prod/GET/users/${aws:username}/x'), alice, { 'aws:username': 'alice' }),
        'rp',
      ).decision,
    ).toBe('Allow')
    expect(
      p.evaluate(request(arn('prod/GET/users/alice/x'), alice, { 'aws:username': 'alice' }), 'rp')
        .decision,
    ).toBe('Neither')
  })
})

describe('authorization flows built from the primitives', () => {
  const resourcePolicy = compile({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } },
      },
    ],
  })
  it('CUSTOM phase 1: the explicit-deny pre-check finds the Deny before any authorizer call', () => {
    const r = precheckExplicitDeny(
      resourcePolicy,
      request(arn('prod/GET/'), null, { 'aws:SourceVpce': 'vpce-9' }),
    )
    expect(r.decision).toBe('Deny')
    expect(r.statements[0]?.index).toBe(1)
  })
  it('CUSTOM phase 1 reports Neither (not Allow) when only an Allow matches', () => {
    expect(
      precheckExplicitDeny(
        resourcePolicy,
        request(arn('prod/GET/'), null, { 'aws:SourceVpce': 'vpce-1' }),
      ).decision,
    ).toBe('Neither')
  })
  it('CUSTOM phase 1 with no resource policy never denies', () => {
    expect(precheckExplicitDeny(undefined, request(arn('prod/GET/'))).decision).toBe('Neither')
  })
  it('an authorizer policy (no Principal) evaluates against the methodArn', () => {
    const authz = compile(
      {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${PREFIX}/prod/GET/*` },
        ],
      },
      { kind: 'authorizer' },
    )
    expect(authz.evaluate(request(arn('prod/GET/pets')), 'authorizer').decision).toBe('Allow')
    expect(authz.evaluate(request(arn('prod/POST/pets')), 'authorizer').decision).toBe('Neither')
  })
  it('evaluatePolicies: a Deny in any identity policy wins and statements are aggregated', () => {
    const read = compile(
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'execute-api:*', Resource: '*' }],
      },
      { kind: 'identity' },
    )
    const noDelete = compile(
      {
        Version: '2012-10-17',
        Statement: [{ Sid: 'D', Effect: 'Deny', Action: '*', Resource: `${PREFIX}/*/DELETE/*` }],
      },
      { kind: 'identity' },
    )
    const policies = [
      { label: 'identity:read', policy: read },
      { label: 'identity:no-delete', policy: noDelete },
    ]
    expect(evaluatePolicies(policies, request(arn('prod/DELETE/x'), alice))).toEqual({
      decision: 'Deny',
      statements: [{ policy: 'identity:no-delete', index: 0, sid: 'D', effect: 'Deny' }],
    })
    expect(evaluatePolicies(policies, request(arn('prod/GET/x'), alice)).statements).toEqual([
      { policy: 'identity:read', index: 0, sid: undefined, effect: 'Allow' },
    ])
    expect(evaluatePolicies([], request(arn('prod/GET/x'), alice)).decision).toBe('Neither')
  })
})
