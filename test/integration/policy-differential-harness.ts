/**
 * Generators and engine adapters for the policy differential test (policy-differential.test.ts):
 * fast-check arbitraries for policies and requests, our engine and iam-simulate's core as oracle,
 * and the precise shapes of the known divergences (src/policy/KNOWN-DIVERGENCES.md).
 */
import { loadPolicy } from '@cloud-copilot/iam-policy'
import fc from 'fast-check'
import { DiscoveryContextKeyConstraints } from '../../node_modules/@cloud-copilot/iam-simulate/dist/esm/context_keys/discoveryContextKeyConstraints.js'
import { authorize } from '../../node_modules/@cloud-copilot/iam-simulate/dist/esm/core_engine/CoreSimulatorEngine.js'
import { AwsRequestImpl } from '../../node_modules/@cloud-copilot/iam-simulate/dist/esm/request/request.js'
import { RequestContextImpl } from '../../node_modules/@cloud-copilot/iam-simulate/dist/esm/requestContext.js'
import { anonymousPrincipal } from '../../node_modules/@cloud-copilot/iam-simulate/dist/esm/simulation_engine/simulation.js'
import {
  combineCrossAccount,
  combineResourceOnly,
  combineSameAccount,
  compilePolicy,
  evaluatePolicies,
  type CombinedDecision,
  type CompiledPolicy,
  type EvaluationDecision,
  type PolicyPrincipal,
  type PolicyRequest,
} from '../../src/policy/index.js'

const A = '111122223333'
const B = '444455556666'

export interface Caller {
  readonly arn: string
  readonly accountId: string
  readonly username?: string
}

export const CALLERS: readonly Caller[] = [
  { arn: `arn:aws:iam::${A}:user/alice`, accountId: A, username: 'alice' },
  { arn: `arn:aws:iam::${A}:user/Alice`, accountId: A, username: 'Alice' },
  { arn: `arn:aws:iam::${A}:role/dev`, accountId: A },
  { arn: `arn:aws:sts::${A}:assumed-role/dev/s1`, accountId: A },
  { arn: `arn:aws:sts::${A}:assumed-role/admin/s2`, accountId: A },
  { arn: `arn:aws:sts::${A}:assumed-role/dev/s9`, accountId: A },
  { arn: `arn:aws:iam::${A}:root`, accountId: A },
  { arn: `arn:aws:iam::${B}:user/bob`, accountId: B, username: 'bob' },
  { arn: `arn:aws:sts::${B}:assumed-role/ops/night`, accountId: B },
]

// ---------- request pools ----------
const APIS = ['a1b2c3', 'zz9'] as const
const STAGES = ['prod', 'test'] as const
const VERBS = ['GET', 'POST', 'DELETE'] as const
const PATHS = ['', 'pets', 'pets/1', 'alice/x', 'orders/x/y'] as const
const ACTIONS = [
  'execute-api:Invoke',
  'execute-api:InvalidateCache',
  'execute-api:ManageConnections',
]

// ---------- policy pools ----------
const ACTION_PATTERNS = [
  '*',
  'execute-api:*',
  'execute-api:Invoke',
  'EXECUTE-API:invoke',
  'execute-api:In*',
  'execute-api:?nvoke',
  'execute-api:*Cache',
  'execute-api:Manage*s',
  's3:GetObject',
]

const resourcePatterns = (acct: string): string[] => [
  '*',
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/*`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/prod/GET/pets`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/*/GET/*`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/prod/*/pets*`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/*/GET/`,
  `arn:aws:execute-api:us-east-1:${acct}:zz9/test/POST/orders/*`,
  `arn:aws:execute-api:us-east-1:${acct}:zz9/*/*/orders/?/y`,
  'arn:aws:execute-api:*:*:*',
  `arn:aws:execute-api:us-east-?:${acct}:a1b2c3/*`,
  `arn:aws:execute-api:*:${acct}:*`,
  `arn:aws:execute-api:us-east-1:*:zz9/*`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/*/GET/\${aws:username}/*`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/*/*/\${aws:PrincipalTag/team, 'pets'}`,
  `arn:aws:execute-api:us-east-1:${acct}:a1b2c3/prod/GET/pets\${*}`,
  `arn:aws:s3:::bucket/*`,
]

const PRINCIPALS: readonly unknown[] = [
  '*',
  { AWS: '*' },
  { AWS: A },
  { AWS: `arn:aws:iam::${A}:root` },
  { AWS: B },
  { AWS: `arn:aws:iam::${A}:user/alice` },
  { AWS: `arn:aws:iam::${A}:role/dev` },
  { AWS: `arn:aws:sts::${A}:assumed-role/dev/s1` },
  { AWS: [`arn:aws:iam::${B}:user/bob`, `arn:aws:iam::${B}:role/ops`] },
  { AWS: [`arn:aws:iam::${A}:role/admin`, B] },
  { Service: 'lambda.amazonaws.com' },
]
// NotPrincipal lists: single levels (from PRINCIPALS) and the multi-level shapes of the IAM User
// Guide's NotPrincipal examples, complete and with one level left out.
const NOT_PRINCIPALS: readonly unknown[] = [
  ...PRINCIPALS.filter((p) => p !== '*' && JSON.stringify(p) !== '{"AWS":"*"}'),
  { AWS: [`arn:aws:iam::${A}:user/alice`, `arn:aws:iam::${A}:root`] },
  { AWS: [`arn:aws:iam::${A}:user/alice`, A] },
  { AWS: [`arn:aws:iam::${A}:user/alice`, B] },
  { AWS: [`arn:aws:iam::${B}:user/bob`, B] },
  {
    AWS: [
      `arn:aws:sts::${A}:assumed-role/dev/s1`,
      `arn:aws:iam::${A}:role/dev`,
      `arn:aws:iam::${A}:root`,
    ],
  },
  { AWS: [`arn:aws:iam::${A}:role/dev`, A] },
  { AWS: [`arn:aws:sts::${A}:assumed-role/dev/s1`, A] },
  { AWS: [`arn:aws:sts::${A}:assumed-role/dev/s1`, `arn:aws:iam::${A}:role/dev`] },
  { AWS: [`arn:aws:sts::${B}:assumed-role/ops/night`, `arn:aws:iam::${B}:role/ops`, B] },
]

const withCase = (key: string): fc.Arbitrary<string> =>
  fc.constantFrom(key, key.toLowerCase(), key.toUpperCase())

const orList = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> =>
  fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }))

const ifExists = (ops: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...ops), fc.boolean()).map(([op, ie]) => (ie ? `${op}IfExists` : op))

const STRING_OPS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
]
const NUMERIC_OPS = [
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
]
const DATE_OPS = [
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
]
const ARN_OPS = ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike']

type ConditionEntry = readonly [op: string, key: string, values: string | string[]]

const conditionEntry: fc.Arbitrary<ConditionEntry> = fc.oneof(
  fc.tuple(
    ifExists(['IpAddress', 'NotIpAddress']),
    withCase('aws:SourceIp'),
    orList(
      fc.constantFrom(
        '10.0.0.0/8',
        '10.1.2.3',
        '192.168.0.0/16',
        '2001:db8::/32',
        '0.0.0.0/0',
        '10.1.2.3/32',
      ),
    ),
  ),
  fc.tuple(
    ifExists(STRING_OPS),
    withCase('aws:SourceVpce'),
    orList(
      fc.constantFrom(
        'vpce-1',
        'vpce-2',
        'VPCE-1',
        'vpce-*',
        'vpce-?',
        '*',
        'vpce-${aws:username}',
      ),
    ),
  ),
  fc.tuple(
    ifExists(STRING_OPS),
    withCase('aws:username'),
    orList(
      fc.constantFrom(
        'alice',
        'Alice',
        'bob',
        'a*',
        '${aws:PrincipalTag/team}',
        "${aws:PrincipalTag/team, 'alice'}",
        'al${?}ce',
      ),
    ),
  ),
  fc.tuple(
    ifExists(STRING_OPS),
    withCase('aws:PrincipalTag/team'),
    orList(fc.constantFrom('pets', 'orders', 'PETS', 'p*', '${aws:username}')),
  ),
  fc.tuple(
    ifExists(['Bool']),
    withCase('aws:SecureTransport'),
    orList(fc.constantFrom('true', 'false', 'TRUE')),
  ),
  fc.tuple(
    ifExists(NUMERIC_OPS),
    withCase('aws:EpochTime'),
    orList(fc.constantFrom('1700000000', '1750000000', '1800000000', '1700000000.5')),
  ),
  fc.tuple(
    ifExists(DATE_OPS),
    withCase('aws:EpochTime'),
    orList(fc.constantFrom('1700000000', '1750000000')),
  ),
  fc.tuple(
    ifExists(DATE_OPS),
    withCase('aws:CurrentTime'),
    orList(
      fc.constantFrom(
        '2024-06-01T00:00:00Z',
        '2024-01-01T00:00:00Z',
        '2025-06-01T12:00:00Z',
        '2024-06-01T02:00:00+02:00',
      ),
    ),
  ),
  fc.tuple(
    ifExists(ARN_OPS),
    withCase('aws:PrincipalArn'),
    orList(
      fc.constantFrom(
        'arn:aws:iam::*:role/*',
        `arn:aws:sts::${A}:assumed-role/dev/*`,
        `arn:aws:iam::${A}:user/alice`,
        'arn:aws:*:*:*:*',
        `arn:aws:iam::${A}:user/\${aws:username}`,
      ),
    ),
  ),
  fc.tuple(
    fc
      .tuple(
        fc.constantFrom('ForAnyValue:', 'ForAllValues:'),
        ifExists(['StringLike', 'StringEquals', 'StringNotEquals', 'StringNotLike']),
      )
      .map(([set, op]) => set + op),
    fc.constantFrom('aws:PrincipalOrgPaths', 'aws:SourceVpce'),
    orList(fc.constantFrom('o-1/r-1/ou-1/', 'o-1/r-1/*', 'o-1/r-1/ou-2/', 'vpce-1')),
  ),
  fc.tuple(
    fc.constant('BinaryEquals'),
    fc.constant('portcullis:Blob'),
    orList(fc.constantFrom('aGVsbG8=', 'd29ybGQ=')),
  ),
  fc.tuple(
    fc.constant('Null'),
    fc.constantFrom(
      'aws:SourceIp',
      'aws:SourceVpce',
      'aws:username',
      'aws:PrincipalOrgPaths',
      'aws:CurrentTime',
    ),
    fc.constantFrom('true', 'false'),
  ),
)

const conditionBlock = fc.array(conditionEntry, { minLength: 1, maxLength: 3 }).map((entries) => {
  const block: Record<string, Record<string, string | string[]>> = {}
  for (const [op, key, values] of entries) (block[op] ??= {})[key] = values
  return block
})

export type Doc = Record<string, unknown>

function statementArb(kind: 'resource' | 'identity', acct: string): fc.Arbitrary<Doc> {
  const principalPart: fc.Arbitrary<Doc> =
    kind === 'resource'
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...PRINCIPALS).map((p) => ({ Principal: p })) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...NOT_PRINCIPALS).map((p) => ({ NotPrincipal: p })),
          },
        )
      : fc.constant({})
  const actions = orList(fc.constantFrom(...ACTION_PATTERNS))
  const resources = orList(fc.constantFrom(...resourcePatterns(acct)))
  return fc
    .record({
      effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      principal: principalPart,
      action: fc.oneof(
        { weight: 4, arbitrary: actions.map((a) => ({ Action: a })) },
        { weight: 1, arbitrary: actions.map((a) => ({ NotAction: a })) },
      ),
      resource: fc.oneof(
        { weight: 4, arbitrary: resources.map((r) => ({ Resource: r })) },
        { weight: 1, arbitrary: resources.map((r) => ({ NotResource: r })) },
      ),
      condition: fc.option(conditionBlock, { freq: 2 }),
    })
    .map(({ effect, principal, action, resource, condition }) => ({
      Effect: effect,
      ...principal,
      ...action,
      ...resource,
      ...(condition === null ? {} : { Condition: condition }),
    }))
}

function policyArb(kind: 'resource' | 'identity', acct: string): fc.Arbitrary<Doc> {
  return fc
    .tuple(
      fc.constantFrom<string | undefined>(
        '2012-10-17',
        '2012-10-17',
        '2012-10-17',
        '2008-10-17',
        undefined,
      ),
      fc.array(statementArb(kind, acct), { minLength: 1, maxLength: 4 }),
    )
    .map(([version, statements]) =>
      version === undefined
        ? { Statement: statements }
        : { Version: version, Statement: statements },
    )
}

export interface Case {
  readonly resourcePolicy: Doc | undefined
  readonly identityPolicies: readonly Doc[]
  readonly caller: Caller | null
  readonly action: string
  readonly resource: string
  readonly resourceAccount: string
  readonly context: Record<string, string | string[]>
}

const contextArb = fc.record(
  {
    'aws:SourceIp': fc.constantFrom('10.1.2.3', '192.168.1.1', '8.8.8.8', '2001:db8::1', '::1'),
    'aws:SourceVpce': fc.constantFrom('vpce-1', 'vpce-2', 'VPCE-1', 'vpce-12'),
    'aws:PrincipalTag/team': fc.constantFrom('pets', 'orders', 'alice'),
    'aws:SecureTransport': fc.constantFrom('true', 'false'),
    'aws:EpochTime': fc.constantFrom('1700000000', '1750000000', '1760000000'),
    'aws:CurrentTime': fc.constantFrom(
      '2024-06-01T00:00:00Z',
      '2024-03-01T10:00:00Z',
      '2025-06-01T12:00:00Z',
    ),
    'aws:PrincipalOrgPaths': fc.array(
      fc.constantFrom('o-1/r-1/ou-1/', 'o-1/r-1/ou-2/', 'o-2/r-9/'),
      { maxLength: 2 },
    ),
    'portcullis:Blob': fc.constantFrom('aGVsbG8=', 'd29ybGQ='),
  },
  { requiredKeys: [] },
)

/** Requests evaluated against one generated policy set (amortises generation and compilation). */
export const REQUESTS_PER_POLICY_SET = 4

const requestArb = fc.record({
  callerIndex: fc.integer({ min: -1, max: CALLERS.length - 1 }),
  api: fc.constantFrom(...APIS),
  stage: fc.constantFrom(...STAGES),
  verb: fc.constantFrom(...VERBS),
  path: fc.constantFrom(...PATHS),
  action: fc.constantFrom(...ACTIONS),
  context: contextArb,
  dropPrincipalKeys: fc.boolean(),
})

/** One policy set (resource + identity policies) and several requests against it. */
export const casesArb: fc.Arbitrary<Case[]> = fc
  .record({
    resourceAccount: fc.constantFrom(A, A, A, B),
    hasResourcePolicy: fc.constantFrom(true, true, true, false),
  })
  .chain((r) =>
    fc
      .record({
        resourcePolicy: policyArb('resource', r.resourceAccount),
        identityPolicies: fc.array(policyArb('identity', r.resourceAccount), { maxLength: 2 }),
        requests: fc.array(requestArb, {
          minLength: REQUESTS_PER_POLICY_SET,
          maxLength: REQUESTS_PER_POLICY_SET,
        }),
      })
      .map(({ resourcePolicy, identityPolicies, requests }): Case[] =>
        requests.map((q) => {
          const caller = q.callerIndex < 0 ? null : (CALLERS[q.callerIndex] ?? null)
          const context: Record<string, string | string[]> = { ...q.context }
          if (caller !== null && !q.dropPrincipalKeys) {
            context['aws:PrincipalArn'] = caller.arn
            context['aws:PrincipalAccount'] = caller.accountId
            if (caller.username !== undefined) context['aws:username'] = caller.username
          }
          if (caller === null) delete context['aws:PrincipalTag/team']
          return {
            resourcePolicy: r.hasResourcePolicy ? resourcePolicy : undefined,
            identityPolicies: caller === null ? [] : identityPolicies,
            caller,
            action: q.action,
            resource: `arn:aws:execute-api:us-east-1:${r.resourceAccount}:${q.api}/${q.stage}/${q.verb}/${q.path}`,
            resourceAccount: r.resourceAccount,
            context,
          }
        }),
      ),
  )

// ---------- the two engines ----------

export interface Outcome {
  readonly resource: EvaluationDecision
  readonly identity: EvaluationDecision
  readonly combined: CombinedDecision
}

// Policy documents are shared by the requests of one set: compile each once.
const compiled = new WeakMap<Doc, CompiledPolicy>()

function mustCompile(doc: Doc, kind: 'resource' | 'identity'): CompiledPolicy {
  const cached = compiled.get(doc)
  if (cached !== undefined) return cached
  const result = compilePolicy(doc, { kind })
  if (!result.ok)
    throw new Error(
      `generated policy rejected: ${JSON.stringify(result.errors)} ${JSON.stringify(doc)}`,
    )
  compiled.set(doc, result.policy)
  return result.policy
}

export function ours(c: Case): Outcome {
  const principal: PolicyPrincipal | null =
    c.caller === null ? null : { arn: c.caller.arn, accountId: c.caller.accountId }
  const context = new Map<string, string | readonly string[]>()
  for (const [k, v] of Object.entries(c.context)) context.set(k.toLowerCase(), v)
  const req: PolicyRequest = { action: c.action, resource: c.resource, principal, context }
  const resource =
    c.resourcePolicy === undefined
      ? 'Neither'
      : mustCompile(c.resourcePolicy, 'resource').evaluate(req, 'resource').decision
  const identity = evaluatePolicies(
    c.identityPolicies.map((p, i) => ({
      label: `identity-${i}`,
      policy: mustCompile(p, 'identity'),
    })),
    req,
  ).decision
  const combined =
    principal === null
      ? combineResourceOnly(resource)
      : principal.accountId === c.resourceAccount
        ? combineSameAccount(identity, resource)
        : combineCrossAccount(identity, resource)
  return { resource, identity, combined }
}

const SIM_DECISION: Record<string, EvaluationDecision> = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'Deny',
  DeniedForAccount: 'Deny',
  ImplicitlyDenied: 'Neither',
  NotApplicable: 'Neither',
}
const SIM_COMBINED: Record<string, CombinedDecision> = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'ExplicitDeny',
  ImplicitlyDenied: 'ImplicitDeny',
}

export function simulated(c: Case): Outcome {
  const request = new AwsRequestImpl(
    c.caller === null ? anonymousPrincipal : c.caller.arn,
    { resource: c.resource, accountId: c.resourceAccount },
    c.action,
    new RequestContextImpl(c.context),
  )
  const analysis = authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: c.identityPolicies.map((p, i) => loadPolicy(p, { name: `identity-${i}` })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy:
      c.resourcePolicy === undefined
        ? undefined
        : loadPolicy(c.resourcePolicy, { name: 'resource' }),
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]),
    },
  })
  const sameAccount = c.caller !== null && c.caller.accountId === c.resourceAccount
  const rawResource = analysis.resourceAnalysis?.result ?? 'NotApplicable'
  // An account-principal Allow delegates to the caller's account: in the resource's own account it
  // grants nothing by itself, across accounts it is the resource side's Allow (our 'Allow').
  const resource =
    rawResource === 'AllowedForAccount'
      ? sameAccount
        ? 'Neither'
        : 'Allow'
      : SIM_DECISION[rawResource]
  const identity =
    c.caller === null
      ? 'Neither'
      : SIM_DECISION[analysis.identityAnalysis?.result ?? 'NotApplicable']
  const combined = SIM_COMBINED[analysis.result]
  if (resource === undefined || identity === undefined || combined === undefined) {
    throw new Error(
      `unmapped simulator result ${rawResource} / ${String(analysis.identityAnalysis?.result)} / ${analysis.result}`,
    )
  }
  return { resource, identity, combined }
}

// ---------- known divergences (see src/policy/KNOWN-DIVERGENCES.md) ----------

type ConditionBlock = Record<string, Record<string, string | string[]>>

/** Every (operator, key, values) of every statement, with the policy version it lives under. */
function conditionsOf(c: Case): { version: unknown; op: string; key: string; values: string[] }[] {
  const docs = [
    ...(c.resourcePolicy === undefined ? [] : [c.resourcePolicy]),
    ...c.identityPolicies,
  ]
  return docs.flatMap((d) =>
    (d.Statement as Doc[]).flatMap((s) =>
      Object.entries((s.Condition ?? {}) as ConditionBlock).flatMap(([op, keys]) =>
        Object.entries(keys).map(([key, v]) => ({
          version: d.Version,
          op,
          key,
          values: Array.isArray(v) ? v : [v],
        })),
      ),
    ),
  )
}

function contextValue(c: Case, key: string): string | string[] | undefined {
  const hit = Object.entries(c.context).find(([k]) => k.toLowerCase() === key.toLowerCase())
  return hit?.[1]
}

/** Variables `${key}` (no default) in a string whose key has no single value in the request. */
function hasUnresolvedVariable(c: Case, text: string): boolean {
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    const body = m[1] ?? ''
    if (body === '*' || body === '?' || body === '$' || body.includes(',')) continue
    if (typeof contextValue(c, body.trim()) !== 'string') return true
  }
  return false
}

const baseOperator = (op: string): string =>
  op.replace(/^For(All|Any)Values?:/i, '').replace(/IfExists$/i, '')

/** KD-1: `ForAnyValue:...IfExists` on a key absent from the request. */
function kd1(c: Case): boolean {
  return conditionsOf(c).some(
    (x) =>
      x.op.startsWith('ForAnyValue:') &&
      x.op.endsWith('IfExists') &&
      contextValue(c, x.key) === undefined,
  )
}

/** KD-2: a negated String/Arn operator whose value holds a policy variable with no value. */
function kd2(c: Case): boolean {
  return conditionsOf(c).some(
    (x) =>
      x.version === '2012-10-17' &&
      /Not/.test(baseOperator(x.op)) &&
      contextValue(c, x.key) !== undefined &&
      x.values.some((v) => hasUnresolvedVariable(c, v)),
  )
}

/** KD-3: an IPv4 `/0` CIDR in IpAddress / NotIpAddress. */
function kd3(c: Case): boolean {
  return conditionsOf(c).some(
    (x) => /IpAddress/.test(x.op) && x.values.some((v) => /^[0-9.]+\/0$/.test(v)),
  )
}

/** KD-4: a NotResource entry holding a policy variable with no value. */
function kd4(c: Case): boolean {
  const docs = [
    ...(c.resourcePolicy === undefined ? [] : [c.resourcePolicy]),
    ...c.identityPolicies,
  ]
  return docs.some(
    (d) =>
      d.Version === '2012-10-17' &&
      (d.Statement as Doc[]).some((s) => {
        const nr = s.NotResource as string | string[] | undefined
        if (nr === undefined) return false
        return (Array.isArray(nr) ? nr : [nr]).some((r) => hasUnresolvedVariable(c, r))
      }),
  )
}

/** KD-5: NotIpAddress with a bare address (no prefix) and a request IP of the other family. */
function kd5(c: Case): boolean {
  return conditionsOf(c).some((x) => {
    if (baseOperator(x.op) !== 'NotIpAddress') return false
    const r = contextValue(c, x.key)
    if (typeof r !== 'string') return false
    return x.values.some((v) => !v.includes('/') && v.includes(':') !== r.includes(':'))
  })
}

/** KD-6: a policy without `"Version": "2012-10-17"` whose text contains `${`. */
function kd6(c: Case): boolean {
  const docs = [
    ...(c.resourcePolicy === undefined ? [] : [c.resourcePolicy]),
    ...c.identityPolicies,
  ]
  return docs.some((d) => d.Version !== '2012-10-17' && JSON.stringify(d).includes('${'))
}

/** The entries of an `AWS` principal list (a string or an array). */
function awsEntries(principal: unknown): string[] {
  if (typeof principal !== 'object' || principal === null) return []
  const aws = (principal as Record<string, unknown>).AWS
  return typeof aws === 'string' ? [aws] : Array.isArray(aws) ? (aws as string[]) : []
}

/**
 * The levels AWS checks for a caller, each with the list entries that name it: the account, then
 * (for an assumed-role session) its role, then the caller's own ARN (none below an account root).
 */
function levelsOf(caller: Caller): string[][] {
  const account = [caller.accountId, `arn:aws:iam::${caller.accountId}:root`]
  if (caller.arn.endsWith(':root')) return [account]
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(caller.arn)
  const role = session === null ? [] : [[`arn:aws:iam::${session[1]}:role/${session[2]}`]]
  return [account, ...role, [caller.arn]]
}

/**
 * KD-7: a Deny with NotPrincipal whose list names the caller at some level (its account, its
 * session's role, or itself) but not at every level; we apply that Deny and iam-simulate exempts
 * the caller, so the divergence can only be our resource-side Deny against its non-Deny.
 */
function kd7(c: Case, ours: Outcome, theirs: Outcome): boolean {
  if (c.caller === null || c.resourcePolicy === undefined) return false
  if (ours.resource !== 'Deny' || theirs.resource === 'Deny') return false
  const levels = levelsOf(c.caller)
  return (c.resourcePolicy.Statement as Doc[]).some((s) => {
    if (s.Effect !== 'Deny' || s.NotPrincipal === undefined) return false
    const listed = awsEntries(s.NotPrincipal)
    const named = levels.map((names) => names.some((n) => listed.includes(n)))
    return named.some(Boolean) && !named.every(Boolean)
  })
}

export const KNOWN: readonly {
  readonly id: string
  readonly applies: (c: Case, ours: Outcome, theirs: Outcome) => boolean
}[] = [
  { id: 'KD-1', applies: kd1 },
  { id: 'KD-2', applies: kd2 },
  { id: 'KD-3', applies: kd3 },
  { id: 'KD-4', applies: kd4 },
  { id: 'KD-5', applies: kd5 },
  { id: 'KD-6', applies: kd6 },
  { id: 'KD-7', applies: kd7 },
]

export function same(a: Outcome, b: Outcome): boolean {
  return a.resource === b.resource && a.identity === b.identity && a.combined === b.combined
}
