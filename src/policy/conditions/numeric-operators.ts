/**
 * Numeric* policy values: integers or decimals, validated at compile time; request values that are
 * not numbers never match. @module
 */
import type { FamilyCompiler, PositiveTest } from './condition-types.js'
import { valueErrors } from './condition-types.js'

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

/** Parses a decimal number; NaN when the text is not an integer or decimal. */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : Number.NaN
}

export type NumericComparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte'

export function compare(op: NumericComparison, request: number, policy: number): boolean {
  switch (op) {
    case 'eq':
      return request === policy
    case 'lt':
      return request < policy
    case 'lte':
      return request <= policy
    case 'gt':
      return request > policy
    case 'gte':
      return request >= policy
  }
}

export function numericCompiler(op: NumericComparison): FamilyCompiler {
  return (input) => {
    const numbers = input.values.map(parseNumber)
    const bad = numbers.flatMap((n, i) => (Number.isFinite(n) ? [] : [i]))
    if (bad.length > 0) return { ok: false, errors: valueErrors(input, bad, 'not a number') }
    const test: PositiveTest = (r) => {
      const n = parseNumber(r)
      if (Number.isNaN(n)) return false
      for (const p of numbers) if (compare(op, n, p)) return true
      return false
    }
    return { ok: true, test }
  }
}
