/**
 * The deciding statements reported by `CompiledPolicy.evaluate` and `evaluatePolicies` (shared
 * single-statement results, first-result passthrough, the request ARN shared between policies)
 * are exactly the plain aggregation: every matching Deny if any, else every matching Allow that is
 * not delegated, in policy then statement order. Each statement's match is taken from a policy
 * holding that statement alone. @module
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { compilePolicy } from './compile-policy.js'
import type { CompiledPolicy } from './compiled-policy.js'
import { evaluatePolicies } from './evaluate-policies.js'
import type { EvaluationResult, PolicyKind, PolicyRequest, StatementRef } from './types.js'

const A = '111122223333'
const PREFIX = `arn:aws:execute-api:us-east-1:${A}:petstore`
const ALICE = { arn: `arn:aws:iam::${A}:user/alice`, accountId: A }

const RESOURCES = [
  '*',
  `${PREFIX}/prod/*`,
  `${PREFIX}/prod/GET/*`,
  `${PREFIX}/*/DELETE/*`,
  'arn:aws:execute-api:*:*:*/*/GET/pets/*',
  'arn:aws:execute-api:us-east-1:*:petstore/prod/*',
]
const ARNS = [
  `${PREFIX}/prod/GET/pets/1`,
  `${PREFIX}/prod/DELETE/pets/1`,
  `${PREFIX}/test/GET/pets/1`,
  `arn:aws:execute-api:eu-west-1:${A}:petstore/prod/GET/pets/1`,
]

interface Stmt {
  readonly effect: 'Allow' | 'Deny'
  readonly resource: string
  /** Named statements get Sid `S<index>` (Sids must be unique within a policy). */
  readonly named: boolean
  readonly principal: '*' | 'account' | undefined
}

function doc(statements: readonly Stmt[]): unknown {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s, index) => ({
      ...(s.named ? { Sid: `S${index}` } : {}),
      Effect: s.effect,
      ...(s.principal === undefined
        ? {}
        : { Principal: s.principal === '*' ? '*' : { AWS: `arn:aws:iam::${A}:root` } }),
      Action: 'execute-api:Invoke',
      Resource: s.resource,
    })),
  }
}

function compile(statements: readonly Stmt[], kind: PolicyKind): CompiledPolicy {
  const r = compilePolicy(doc(statements), { kind, executeApiArnPrefix: PREFIX })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.policy
}

/** The plain aggregation over per-statement matches (each statement compiled alone). */
function reference(
  policies: readonly { label: string; statements: readonly Stmt[]; kind: PolicyKind }[],
  req: PolicyRequest,
): EvaluationResult {
  const denies: StatementRef[] = []
  const allows: StatementRef[] = []
  for (const p of policies) {
    p.statements.forEach((s, index) => {
      const alone = compile([{ ...s, named: false }], p.kind).evaluate(req, p.label)
      if (alone.decision === 'Neither') return
      const ref = {
        policy: p.label,
        index,
        sid: s.named ? `S${index}` : undefined,
        effect: s.effect,
      }
      if (alone.decision === 'Deny') denies.push(ref)
      else allows.push(ref)
    })
  }
  if (denies.length > 0) return { decision: 'Deny', statements: denies }
  if (allows.length > 0) return { decision: 'Allow', statements: allows }
  return { decision: 'Neither', statements: [] }
}

const stmt: fc.Arbitrary<Stmt> = fc.record({
  effect: fc.constantFrom('Allow', 'Deny'),
  resource: fc.constantFrom(...RESOURCES),
  named: fc.boolean(),
  principal: fc.constantFrom(undefined),
})

describe('deciding statements', () => {
  it('identity policies: evaluatePolicies equals the plain aggregation, ARNs and labels interleaved', () => {
    const policy = fc.record({
      label: fc.constantFrom('identity:a', 'identity:b', 'identity:c'),
      statements: fc.array(stmt, { minLength: 1, maxLength: 4 }),
    })
    fc.assert(
      fc.property(
        fc.array(policy, { maxLength: 3 }),
        fc.array(fc.constantFrom(...ARNS), { minLength: 1, maxLength: 4 }),
        (specs, arns) => {
          const compiled = specs.map((s) => ({ ...s, kind: 'identity' as const }))
          const policies = compiled.map((s) => ({
            label: s.label,
            policy: compile(s.statements, 'identity'),
          }))
          // Several requests in a row over the same compiled policies (shared per-policy caches).
          for (const resource of arns) {
            const req: PolicyRequest = {
              action: 'execute-api:Invoke',
              resource,
              principal: ALICE,
              context: new Map(),
            }
            expect(evaluatePolicies(policies, req)).toEqual(reference(compiled, req))
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('resource policies (Principal * and account-delegating statements), one policy under changing labels', () => {
    const resourceStmt = fc.record({
      effect: fc.constantFrom('Allow', 'Deny'),
      resource: fc.constantFrom(...RESOURCES),
      named: fc.boolean(),
      principal: fc.constantFrom('*', 'account'),
    }) as fc.Arbitrary<Stmt>
    fc.assert(
      fc.property(
        fc.array(resourceStmt, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.constantFrom(...ARNS), fc.constantFrom('resource-policy', 'rp-2')), {
          minLength: 1,
          maxLength: 5,
        }),
        (statements, calls) => {
          const policy = compile(statements, 'resource')
          for (const [resource, label] of calls) {
            const req: PolicyRequest = {
              action: 'execute-api:Invoke',
              resource,
              principal: ALICE,
              context: new Map(),
            }
            expect(policy.evaluate(req, label)).toEqual(
              reference([{ label, statements, kind: 'resource' }], req),
            )
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('a single deciding statement is reported through a shared, frozen result', () => {
    const policy = compile(
      [{ effect: 'Allow', resource: '*', named: true, principal: undefined }],
      'identity',
    )
    const req: PolicyRequest = {
      action: 'execute-api:Invoke',
      resource: ARNS[0] ?? '',
      principal: ALICE,
      context: new Map(),
    }
    const first = policy.evaluate(req, 'identity:x')
    expect(first).toEqual({
      decision: 'Allow',
      statements: [{ policy: 'identity:x', index: 0, sid: 'S0', effect: 'Allow' }],
    })
    expect(Object.isFrozen(first) && Object.isFrozen(first.statements)).toBe(true)
    expect(policy.evaluate(req, 'identity:x')).toBe(first)
    expect(policy.evaluate(req, 'identity:y').statements[0]?.policy).toBe('identity:y')
  })
})
