/**
 * Policy engine micro-benchmark: ns/op and ops/s of compiled-policy evaluation against a do-nothing
 * baseline, for (b) a 10-statement resource policy with IpAddress and SourceVpce conditions,
 * (c) a Lambda-authorizer policy with 50 wildcard resource ARNs evaluated against a methodArn, and
 * (d) compile cost. Simple loop, warmup, process.hrtime.bigint; prints figures, asserts nothing.
 * Run: `npx tsx bench/policy-bench.ts`.
 *
 * @module
 */
import { pathToFileURL } from 'node:url'
import { compilePolicy } from '../src/policy/compile-policy.js'
import type { CompiledPolicy } from '../src/policy/compiled-policy.js'
import type { CompileOptions, PolicyRequest } from '../src/policy/types.js'

const ACCOUNT = '111122223333'
const PREFIX = `arn:aws:execute-api:us-east-1:${ACCOUNT}:petstore`
const METHOD_ARN = `${PREFIX}/prod/GET/pets/42`

interface Row {
  readonly name: string
  readonly nsPerOp: number
}

/** Keeps results observable so the JIT cannot drop the measured work. */
let sink = 0

function measure(name: string, iterations: number, fn: () => number): Row {
  for (let i = 0; i < Math.min(iterations, 50_000); i++) sink += fn() // warmup
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) sink += fn()
  const elapsed = Number(process.hrtime.bigint() - start)
  return { name, nsPerOp: elapsed / iterations }
}

function mustCompile(doc: unknown, options: CompileOptions): CompiledPolicy {
  const result = compilePolicy(doc, options)
  if (!result.ok) throw new Error(`bench policy invalid: ${JSON.stringify(result.errors)}`)
  return result.policy
}

/** 10 statements, the last ones with IpAddress / aws:SourceVpce conditions (the common shapes). */
export const RESOURCE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    ...['orders', 'users', 'carts', 'admin', 'reports', 'health'].map((path) => ({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${path}-service` },
      Action: 'execute-api:Invoke',
      Resource: `execute-api:/*/*/${path}/*`,
    })),
    {
      Sid: 'DenyOutsideVpce',
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
      Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0a1b2c3d', 'vpce-0e1f2a3b'] } },
    },
    {
      Sid: 'DenyBlockedRanges',
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
      Condition: { IpAddress: { 'aws:SourceIp': ['198.51.100.0/24', '2001:db8:dead::/48'] } },
    },
    {
      Sid: 'AllowOffice',
      Effect: 'Allow',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/prod/GET/*',
      Condition: {
        IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] },
        StringEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d' },
      },
    },
    {
      Effect: 'Allow',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/prod/POST/pets',
      Condition: { Bool: { 'aws:SecureTransport': 'true' } },
    },
  ],
}

/** A Lambda authorizer answer granting 50 resource patterns (wildcards in stage, verb and path). */
export const AUTHORIZER_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: Array.from({ length: 50 }, (_, i) => {
        const verb = ['GET', 'POST', 'PUT', 'DELETE', '*'][i % 5] ?? 'GET'
        return `${PREFIX}/*/${verb}/resource${i}/*`
      }).concat([]),
    },
  ],
}
// The matching pattern sits last, so all 50 are tried.
AUTHORIZER_POLICY.Statement[0]?.Resource.splice(49, 1, `${PREFIX}/*/GET/pets/*`)

const REQUEST: PolicyRequest = {
  action: 'execute-api:Invoke',
  resource: METHOD_ARN,
  principal: null,
  context: new Map([
    ['aws:sourceip', '10.20.30.40'],
    ['aws:sourcevpce', 'vpce-0a1b2c3d'],
    ['aws:securetransport', 'true'],
  ]),
}

function formatRow(r: Row, baseline: number): string {
  const ops = 1e9 / r.nsPerOp
  const over = r === undefined ? 0 : r.nsPerOp - baseline
  return `${r.name.padEnd(52)} ${r.nsPerOp.toFixed(1).padStart(10)} ${Math.round(ops).toLocaleString('en-US').padStart(14)} ${over.toFixed(1).padStart(12)}`
}

export async function runPolicyBench(): Promise<string> {
  const resource = mustCompile(RESOURCE_POLICY, { kind: 'resource', executeApiArnPrefix: PREFIX })
  const authorizer = mustCompile(AUTHORIZER_POLICY, { kind: 'authorizer' })
  // Sanity: the measured evaluations do what they claim (Allow through the last statement/pattern).
  const r1 = resource.evaluate(REQUEST, 'resource-policy')
  const r2 = authorizer.evaluate(REQUEST, 'authorizer')
  const noop = (): number => 1
  const rows = [
    measure('(a) do-nothing function (baseline)', 5_000_000, noop),
    measure(
      '(b) 10-statement resource policy, IpAddress+SourceVpce',
      2_000_000,
      () => resource.evaluate(REQUEST, 'resource-policy').statements.length,
    ),
    measure(
      '(c) authorizer policy, 50 wildcard ARNs vs methodArn',
      1_000_000,
      () => authorizer.evaluate(REQUEST, 'authorizer').statements.length,
    ),
    measure('(d) compile the 10-statement resource policy', 20_000, () =>
      compilePolicy(RESOURCE_POLICY, { kind: 'resource', executeApiArnPrefix: PREFIX }).ok ? 1 : 0,
    ),
    measure('(d) compile the 50-ARN authorizer policy', 20_000, () =>
      compilePolicy(AUTHORIZER_POLICY, { kind: 'authorizer' }).ok ? 1 : 0,
    ),
  ]
  await Promise.resolve()
  const baseline = rows[0]?.nsPerOp ?? 0
  const header = `${'policy engine'.padEnd(52)} ${'ns/op'.padStart(10)} ${'ops/s'.padStart(14)} ${'ns over base'.padStart(12)}`
  return [
    `node ${process.version}, ${process.arch}; decisions: (b) ${r1.decision} via ${r1.statements.map((s) => s.sid ?? s.index).join(',')}, (c) ${r2.decision}`,
    header,
    '-'.repeat(header.length),
    ...rows.map((r) => formatRow(r, baseline)),
    `(sink ${sink > 0 ? 'ok' : 'empty'})`,
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await runPolicyBench())
}
