/**
 * The combination tables of API Gateway's authorization flow (docs/aws-semantics.md), one `it`
 * per row, from
 * test/fixtures/iam/combine-tables.json: Table A (same account / authorizer), Table B (cross
 * account), NONE routes (resource policy alone) and the VPC endpoint policy gate.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { combineCrossAccount } from './combine-cross-account.js'
import { combineEndpointGate } from './combine-endpoint-gate.js'
import { combineResourceOnly } from './combine-resource-only.js'
import { combineSameAccount } from './combine-same-account.js'
import type { CombinedDecision, EvaluationDecision } from './types.js'

const tables = JSON.parse(
  readFileSync(new URL('../../test/fixtures/iam/combine-tables.json', import.meta.url), 'utf8'),
) as {
  tableA: [EvaluationDecision, EvaluationDecision, CombinedDecision][]
  tableB: [EvaluationDecision, EvaluationDecision, CombinedDecision][]
  resourceOnly: [EvaluationDecision, CombinedDecision][]
  endpointGate: [EvaluationDecision, CombinedDecision][]
}

describe('Table A: same account, or Lambda/Cognito authorizer with the resource policy', () => {
  for (const [identity, resource, expected] of tables.tableA) {
    it(`identity/authorizer ${identity} + resource policy ${resource} = ${expected}`, () => {
      expect(combineSameAccount(identity, resource)).toBe(expected)
    })
  }
})

describe('Table B: caller in another account than the API', () => {
  for (const [identity, resource, expected] of tables.tableB) {
    it(`identity ${identity} + resource policy ${resource} = ${expected}`, () => {
      expect(combineCrossAccount(identity, resource)).toBe(expected)
    })
  }
})

describe('NONE routes: the resource policy alone needs an explicit Allow', () => {
  for (const [resource, expected] of tables.resourceOnly) {
    it(`resource policy ${resource} = ${expected}`, () => {
      expect(combineResourceOnly(resource)).toBe(expected)
    })
  }
  it('an absent resource policy (passed as Neither) denies implicitly', () => {
    expect(combineResourceOnly('Neither')).toBe('ImplicitDeny')
  })
})

describe('VPC endpoint policy gate: explicit Allow needed, Deny wins', () => {
  for (const [endpoint, expected] of tables.endpointGate) {
    it(`endpoint policy ${endpoint} = ${expected}`, () => {
      expect(combineEndpointGate(endpoint)).toBe(expected)
    })
  }
})
