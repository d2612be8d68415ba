/**
 * BinaryEquals: policy values are base64 (validated at compile time) and compared byte for byte
 * with the base64-decoded request value. @module
 */
import type { FamilyCompiler, PositiveTest } from './condition-types.js'
import { valueErrors } from './condition-types.js'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function isBase64(text: string): boolean {
  return text.length > 0 && BASE64.test(text)
}

export const compileBinaryEquals: FamilyCompiler = (input) => {
  const bad = input.values.flatMap((v, i) => (isBase64(v) ? [] : [i]))
  if (bad.length > 0) return { ok: false, errors: valueErrors(input, bad, 'not base64') }
  const expected = input.values.map((v) => Buffer.from(v, 'base64'))
  const test: PositiveTest = (r) => {
    if (!isBase64(r)) return false
    const bytes = Buffer.from(r, 'base64')
    for (const e of expected) if (e.equals(bytes)) return true
    return false
  }
  return { ok: true, test }
}
