/**
 * Validation: every kind of invalid document is rejected with its exact JSON path and a precise
 * message, errors are collected (not first-only), unknown elements are errors, and compilePolicy
 * never throws whatever it is given.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from './compile-policy.js'
import { formatPolicyErrors } from './format-policy-errors.js'
import type { CompileOptions, PolicyKind } from './types.js'

const PREFIX = 'arn:aws:execute-api:us-east-1:111122223333:petstore'
const ok = { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: '*' }
const okIdentity = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }
const doc = (...statements: unknown[]): unknown => ({
  Version: '2012-10-17',
  Statement: statements,
})
const withStatement = (
  extra: Record<string, unknown>,
  base: Record<string, unknown> = ok,
): unknown => doc({ ...base, ...extra })
const cond = (condition: unknown): unknown => withStatement({ Condition: condition })

function errorsOf(
  input: unknown,
  kind: PolicyKind = 'resource',
  extra: Partial<CompileOptions> = {},
): string[] {
  const result = compilePolicy(input, { kind, ...extra })
  return result.ok ? [] : formatPolicyErrors(result.errors)
}

const rows: [name: string, input: unknown, kind: PolicyKind, expected: string][] = [
  ['invalid JSON text', '{"Version": ', 'resource', '(document): not valid JSON'],
  [
    'a JSON array instead of an object',
    '[]',
    'resource',
    '(document): a policy document must be a JSON object',
  ],
  ['null document', null, 'resource', '(document): a policy document must be a JSON object'],
  ['an unknown top-level element', { Statement: [ok], Foo: 1 }, 'resource', 'Foo: unknown element'],
  [
    'an unsupported Version',
    { Version: '2012-10-18', Statement: [ok] },
    'resource',
    'Version: must be "2012-10-17" or "2008-10-17"',
  ],
  ['a non-string Id', { Id: 7, Statement: [ok] }, 'resource', 'Id: must be a string'],
  ['a missing Statement', { Version: '2012-10-17' }, 'resource', 'Statement: is required'],
  [
    'a string Statement',
    { Statement: 'x' },
    'resource',
    'Statement: must be an object or a list of objects',
  ],
  ['a non-object statement in the list', doc(ok, 5), 'resource', 'Statement[1]: must be an object'],
  [
    'an unknown statement element (Actions)',
    withStatement({ Actions: 'x' }),
    'resource',
    'Statement[0].Actions: unknown element',
  ],
  [
    'a single statement object reports paths without an index',
    { Statement: { ...ok, Effect: 'Permit' } },
    'resource',
    'Statement.Effect: must be "Allow" or "Deny"',
  ],
  [
    'a missing Effect',
    doc({ Principal: '*', Action: '*', Resource: '*' }),
    'resource',
    'Statement[0].Effect: is required',
  ],
  [
    'a lower-case effect',
    withStatement({ Effect: 'allow' }),
    'resource',
    'Statement[0].Effect: must be "Allow" or "Deny"',
  ],
  ['a non-string Sid', withStatement({ Sid: 3 }), 'resource', 'Statement[0].Sid: must be a string'],
  [
    'a duplicate Sid',
    doc({ ...ok, Sid: 'A' }, { ...ok, Sid: 'A' }),
    'resource',
    'Statement[1].Sid: duplicate Sid (also Statement[0])',
  ],
  [
    'both Action and NotAction',
    withStatement({ NotAction: '*' }),
    'resource',
    'Statement[0].NotAction: cannot be combined with Action',
  ],
  [
    'neither Action nor NotAction',
    doc({ Effect: 'Allow', Principal: '*', Resource: '*' }),
    'resource',
    'Statement[0].Action: is required (Action or NotAction)',
  ],
  [
    'an action without service prefix',
    withStatement({ Action: 'Invoke' }),
    'resource',
    'Statement[0].Action: not an action',
  ],
  [
    'a bad action inside a list',
    withStatement({ Action: ['execute-api:Invoke', 'execute api:Invoke'] }),
    'resource',
    'Statement[0].Action[1]: not an action',
  ],
  [
    'a wildcard in the service prefix',
    withStatement({ Action: 'execute-*:Invoke' }),
    'resource',
    'Statement[0].Action: not an action',
  ],
  [
    'an empty Action list',
    withStatement({ Action: [] }),
    'resource',
    'Statement[0].Action: must not be an empty list',
  ],
  [
    'a non-string action',
    withStatement({ Action: ['execute-api:Invoke', 1] }),
    'resource',
    'Statement[0].Action[1]: must be a string',
  ],
  [
    'both Resource and NotResource',
    withStatement({ NotResource: '*' }),
    'resource',
    'Statement[0].NotResource: cannot be combined with Resource',
  ],
  [
    'neither Resource nor NotResource',
    doc({ Effect: 'Allow', Principal: '*', Action: '*' }),
    'resource',
    'Statement[0].Resource: is required (Resource or NotResource)',
  ],
  [
    'a Resource that is not an ARN',
    withStatement({ Resource: 'petstore/*' }),
    'resource',
    'Statement[0].Resource: not an ARN',
  ],
  [
    'an ARN with fewer than six parts',
    withStatement({ Resource: ['*', 'arn:aws:execute-api:*'] }),
    'resource',
    'Statement[0].Resource[1]: not an ARN',
  ],
  [
    'the short form without executeApiArnPrefix',
    withStatement({ Resource: 'execute-api:/prod/GET/pets' }),
    'resource',
    'Statement[0].Resource: the execute-api:/ short form needs the owning API',
  ],
  [
    'a policy variable before the fifth colon',
    withStatement({ Resource: 'arn:aws:execute-api:us-east-1:${aws:PrincipalAccount}:api/*' }),
    'resource',
    'Statement[0].Resource: policy variables are only allowed in the resource part of an ARN',
  ],
  [
    'an unterminated policy variable',
    withStatement({ Resource: 'arn:aws:execute-api:us-east-1:1:api/${aws:username' }),
    'resource',
    'Statement[0].Resource: unterminated policy variable',
  ],
  [
    'a malformed policy variable',
    withStatement({ Resource: 'arn:aws:execute-api:us-east-1:1:api/${aws:user name}' }),
    'resource',
    'Statement[0].Resource: invalid policy variable',
  ],
  [
    'Principal in an identity policy',
    withStatement({ Principal: '*' }, okIdentity),
    'identity',
    'Statement[0].Principal: is not allowed in an identity policy',
  ],
  [
    'NotPrincipal in an authorizer policy',
    withStatement({ NotPrincipal: { AWS: '111122223333' } }, okIdentity),
    'authorizer',
    'Statement[0].NotPrincipal: is not allowed in an authorizer policy',
  ],
  [
    'a resource policy statement without Principal',
    withStatement({}, okIdentity),
    'resource',
    'Statement[0].Principal: is required in a resource policy (Principal or NotPrincipal)',
  ],
  [
    'an endpoint policy statement without Principal',
    withStatement({}, okIdentity),
    'endpoint',
    'Statement[0].Principal: is required in a endpoint policy',
  ],
  [
    'both Principal and NotPrincipal',
    withStatement({ NotPrincipal: { AWS: '111122223333' } }),
    'resource',
    'Statement[0].NotPrincipal: cannot be combined with Principal',
  ],
  [
    'a Principal string other than "*"',
    withStatement({ Principal: 'everyone' }),
    'resource',
    'Statement[0].Principal: must be "*" or an object',
  ],
  [
    'an empty Principal object',
    withStatement({ Principal: {} }),
    'resource',
    'Statement[0].Principal: must name at least one principal',
  ],
  [
    'a malformed account id',
    withStatement({ Principal: { AWS: '12345' } }),
    'resource',
    'Statement[0].Principal.AWS: not a valid AWS principal',
  ],
  [
    'a user ARN with a short account',
    withStatement({ Principal: { AWS: 'arn:aws:iam::1:user/x' } }),
    'resource',
    'Statement[0].Principal.AWS: not a valid AWS principal',
  ],
  [
    'a wildcard inside a principal ARN',
    withStatement({ Principal: { AWS: ['*', 'arn:aws:iam::111122223333:user/a*'] } }),
    'resource',
    'Statement[0].Principal.AWS[1]: wildcards are not allowed in principal ARNs',
  ],
  [
    'an IAM group as principal',
    withStatement({ Principal: { AWS: 'arn:aws:iam::111122223333:group/devs' } }),
    'resource',
    'Statement[0].Principal.AWS: not a valid AWS principal',
  ],
  [
    'an unknown principal type',
    withStatement({ Principal: { CanonicalUser: 'abc' } }),
    'resource',
    'Statement[0].Principal.CanonicalUser: unknown principal type',
  ],
  [
    'a non-string Service principal',
    withStatement({ Principal: { Service: [1] } }),
    'resource',
    'Statement[0].Principal.Service[0]: must be a string',
  ],
  [
    'NotPrincipal "*"',
    doc({ Effect: 'Deny', NotPrincipal: '*', Action: '*', Resource: '*' }),
    'resource',
    'Statement[0].NotPrincipal: NotPrincipal cannot be "*"',
  ],
  [
    'a Condition that is not an object',
    cond(['x']),
    'resource',
    'Statement[0].Condition: must be an object of condition operators',
  ],
  [
    'an unknown condition operator',
    cond({ StringEqual: { 'aws:SourceVpce': 'v' } }),
    'resource',
    'Statement[0].Condition.StringEqual: unknown condition operator "StringEqual"',
  ],
  [
    'an unknown set operator',
    cond({ 'ForSomeValues:StringEquals': { k: 'v' } }),
    'resource',
    'Statement[0].Condition.ForSomeValues:StringEquals: unknown set operator "ForSomeValues"',
  ],
  [
    'NullIfExists',
    cond({ NullIfExists: { k: 'true' } }),
    'resource',
    'Statement[0].Condition.NullIfExists: Null cannot be combined with IfExists',
  ],
  [
    'ForAllValues:Null',
    cond({ 'ForAllValues:Null': { k: 'true' } }),
    'resource',
    'Statement[0].Condition.ForAllValues:Null: Null cannot be combined with ForAllValues',
  ],
  [
    'an operator whose block is not an object',
    cond({ StringEquals: 'v' }),
    'resource',
    'Statement[0].Condition.StringEquals: must be an object of condition keys',
  ],
  [
    'an empty operator block',
    cond({ StringEquals: {} }),
    'resource',
    'Statement[0].Condition.StringEquals: must contain at least one condition key',
  ],
  [
    'an empty value list',
    cond({ StringEquals: { 'aws:SourceVpce': [] } }),
    'resource',
    'Statement[0].Condition.StringEquals.aws:SourceVpce: must not be an empty list',
  ],
  [
    'a null condition value',
    cond({ StringEquals: { 'aws:SourceVpce': null } }),
    'resource',
    'Statement[0].Condition.StringEquals.aws:SourceVpce: must be a string, number or boolean',
  ],
  [
    'an object inside a value list',
    cond({ StringEquals: { 'aws:SourceVpce': ['a', {}] } }),
    'resource',
    'Statement[0].Condition.StringEquals.aws:SourceVpce[1]: must be a string, number or boolean',
  ],
  [
    'a condition key with spaces around it',
    cond({ StringEquals: { ' aws:SourceVpce': 'v' } }),
    'resource',
    'Statement[0].Condition.StringEquals. aws:SourceVpce: not a valid condition key name',
  ],
  [
    'a bad IP in the third statement (the documented example path)',
    doc(ok, ok, {
      ...ok,
      Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.300', '10.0.0.0/8'] } },
    }),
    'resource',
    'Statement[2].Condition.IpAddress.aws:SourceIp[0]: not an IP or CIDR',
  ],
  [
    'a CIDR prefix longer than 32',
    cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }),
    'resource',
    'Statement[0].Condition.IpAddress.aws:SourceIp: not an IP or CIDR',
  ],
  [
    'an IPv4 address with a leading zero (ambiguous octal)',
    cond({ NotIpAddress: { 'aws:SourceIp': '010.0.0.1' } }),
    'resource',
    'Statement[0].Condition.NotIpAddress.aws:SourceIp: not an IP or CIDR',
  ],
  [
    'an IPv6 address with a zone id',
    cond({ IpAddress: { 'aws:SourceIp': 'fe80::1%eth0' } }),
    'resource',
    'Statement[0].Condition.IpAddress.aws:SourceIp: not an IP or CIDR',
  ],
  [
    'a policy variable in IpAddress',
    cond({ IpAddress: { 'aws:SourceIp': '${aws:username}' } }),
    'resource',
    'Statement[0].Condition.IpAddress.aws:SourceIp: not an IP or CIDR',
  ],
  [
    'a non-numeric Numeric value',
    cond({ NumericLessThan: { 'portcullis:n': 'ten' } }),
    'resource',
    'Statement[0].Condition.NumericLessThan.portcullis:n: not a number',
  ],
  [
    'an impossible month',
    cond({ DateLessThan: { 'aws:CurrentTime': '2024-13-01T00:00:00Z' } }),
    'resource',
    'Statement[0].Condition.DateLessThan.aws:CurrentTime: not an ISO 8601 date or epoch seconds',
  ],
  [
    'February 30th',
    cond({ DateGreaterThan: { 'aws:CurrentTime': ['2024-02-28', '2024-02-30'] } }),
    'resource',
    'Statement[0].Condition.DateGreaterThan.aws:CurrentTime[1]: not an ISO 8601 date or epoch seconds',
  ],
  [
    'a date with a wildcard',
    cond({ DateEquals: { 'aws:CurrentTime': '2024-*' } }),
    'resource',
    'Statement[0].Condition.DateEquals.aws:CurrentTime: not an ISO 8601 date or epoch seconds',
  ],
  [
    'a Bool value other than true/false',
    cond({ Bool: { 'aws:SecureTransport': 'yes' } }),
    'resource',
    'Statement[0].Condition.Bool.aws:SecureTransport: not a boolean ("true" or "false")',
  ],
  [
    'a BinaryEquals value that is not base64',
    cond({ BinaryEquals: { 'portcullis:blob': 'not base64!' } }),
    'resource',
    'Statement[0].Condition.BinaryEquals.portcullis:blob: not base64',
  ],
  [
    'an ArnLike value that is not an ARN',
    cond({ ArnLike: { 'aws:PrincipalArn': 'role/*' } }),
    'resource',
    'Statement[0].Condition.ArnLike.aws:PrincipalArn: not an ARN',
  ],
  [
    'a Null value other than true/false',
    cond({ Null: { 'aws:SourceIp': 'maybe' } }),
    'resource',
    'Statement[0].Condition.Null.aws:SourceIp: not a boolean ("true" or "false")',
  ],
]

describe('compilePolicy validation: precise errors with JSON paths', () => {
  for (const [name, input, kind, expected] of rows) {
    it(`rejects ${name}`, () => {
      const errors = errorsOf(input, kind)
      expect(
        errors.some((line) => line.startsWith(expected)),
        `got: ${errors.join(' | ')}`,
      ).toBe(true)
    })
  }

  it('collects every error of a document, not only the first', () => {
    const errors = errorsOf(
      doc(
        { Effect: 'Maybe', Principal: 'x', Action: 'bad', Resource: 'bad', Extra: 1 },
        { ...ok, Condition: { IpAddress: { 'aws:SourceIp': 'nope' } } },
      ),
    )
    expect(errors).toEqual([
      'Statement[0].Extra: unknown element',
      'Statement[0].Effect: must be "Allow" or "Deny"',
      'Statement[0].Principal: must be "*" or an object such as {"AWS": ...}',
      'Statement[0].Action: not an action ("*" or "service:Action", wildcards only in the action name)',
      'Statement[0].Resource: not an ARN (expected arn:partition:service:region:account:resource)',
      'Statement[1].Condition.IpAddress.aws:SourceIp: not an IP or CIDR',
    ])
  })

  it('rejects an executeApiArnPrefix that is not an execute-api ARN prefix', () => {
    expect(
      errorsOf(doc(ok), 'resource', { executeApiArnPrefix: 'arn:aws:s3:::bucket' })[0],
    ).toMatch(/^\(document\): executeApiArnPrefix must look like/)
  })

  it('accepts a JSON string document', () => {
    const result = compilePolicy(JSON.stringify(doc(ok)), { kind: 'resource' })
    expect(result.ok && result.policy.statementCount).toBe(1)
  })

  it('accepts the documented shapes (account ids, root, user, role, session, Service, Federated, lists)', () => {
    const principal = {
      AWS: [
        '111122223333',
        'arn:aws:iam::111122223333:root',
        'arn:aws:iam::111122223333:user/division/alice',
        'arn:aws:iam::111122223333:role/dev',
        'arn:aws:sts::111122223333:assumed-role/dev/session-1',
      ],
      Service: 'lambda.amazonaws.com',
      Federated: 'cognito-identity.amazonaws.com',
    }
    const result = compilePolicy(
      { Version: '2008-10-17', Id: 'p', Statement: { Sid: 's', ...ok, Principal: principal } },
      { kind: 'resource' },
    )
    expect(result.ok).toBe(true)
    expect(result.ok && result.policy.version).toBe('2008-10-17')
  })

  it('accepts an absent Version (policy variables then stay literal)', () => {
    const result = compilePolicy({ Statement: [ok] }, { kind: 'resource' })
    expect(result.ok && result.policy.version).toBeUndefined()
  })

  it('allows duplicate Sids in authorizer output (Lambda-generated, not IAM-validated)', () => {
    expect(
      compilePolicy(doc({ ...okIdentity, Sid: 'a' }, { ...okIdentity, Sid: 'a' }), {
        kind: 'authorizer',
      }).ok,
    ).toBe(true)
  })

  it('never throws, whatever JSON value or string it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.anything()), (input) => {
        const result = compilePolicy(input, { kind: 'resource' })
        expect(typeof result.ok).toBe('boolean')
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on mutated statements of a valid policy', () => {
    const element = fc.constantFrom(
      'Effect',
      'Principal',
      'NotPrincipal',
      'Action',
      'NotAction',
      'Resource',
      'NotResource',
      'Condition',
      'Sid',
    )
    fc.assert(
      fc.property(fc.dictionary(element, fc.jsonValue()), (mutation) => {
        const result = compilePolicy(withStatement(mutation), {
          kind: 'resource',
          executeApiArnPrefix: PREFIX,
        })
        expect(typeof result.ok).toBe('boolean')
      }),
      { numRuns: 2000 },
    )
  })
})
