/**
 * Internal contracts of the condition operators: each operator family compiles its policy values
 * once into a positive test ("does this request value match any policy value?"). @module
 */
import type { ConditionContext, PolicyError } from '../types.js'

/** True when the single request value matches at least one policy value. */
export type PositiveTest = (requestValue: string, context: ConditionContext) => boolean

export type ValueCompileResult =
  | { readonly ok: true; readonly test: PositiveTest }
  | { readonly ok: false; readonly errors: readonly PolicyError[] }

export interface ValueCompileInput {
  /** Policy values, already stringified (JSON numbers and booleans become strings). */
  readonly values: readonly string[]
  /** JSON path of each value, for errors. */
  readonly paths: readonly string[]
  /** Policy variables are recognised (Version 2012-10-17). */
  readonly variables: boolean
}

export type FamilyCompiler = (input: ValueCompileInput) => ValueCompileResult

export function valueErrors(
  input: ValueCompileInput,
  bad: readonly number[],
  message: string,
): PolicyError[] {
  return bad.map((i) => ({ path: input.paths[i] ?? '', message }))
}
