/**
 * Condition operators (IAM User Guide; docs/aws-semantics.md#policy-evaluation), table-driven from
 * test/fixtures/iam/condition-operators.json:
 * each row compiles a one-statement Allow policy with that Condition and proves whether the request
 * context satisfies it (Allow) or not (Neither).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../compile-policy.js'
import type { ConditionValue } from '../types.js'

interface Row {
  readonly name: string
  readonly version?: string | null
  readonly condition: Record<string, unknown>
  readonly context: Record<string, string | string[]>
  readonly matches: boolean
}

const fixture = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/iam/condition-operators.json', import.meta.url),
    'utf8',
  ),
) as { cases: Row[] }

function decide(row: Row): string {
  const version = row.version === undefined ? '2012-10-17' : row.version
  const doc = {
    ...(version === null ? {} : { Version: version }),
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: row.condition }],
  }
  const compiled = compilePolicy(doc, { kind: 'identity' })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors))
  const context = new Map<string, ConditionValue>(
    Object.entries(row.context).map(([k, v]) => [k.toLowerCase(), v]),
  )
  return compiled.policy.evaluate(
    {
      action: 'execute-api:Invoke',
      resource: 'arn:aws:execute-api:us-east-1:111122223333:api/prod/GET/',
      principal: null,
      context,
    },
    'identity',
  ).decision
}

describe('condition operators (fixture table)', () => {
  for (const row of fixture.cases) {
    it(row.name, () => {
      expect(decide(row)).toBe(row.matches ? 'Allow' : 'Neither')
    })
  }
})
