/**
 * Date* policy values: W3C ISO 8601 profiles (`2024`, `2024-05`, `2024-05-01`,
 * `2024-05-01T10:00Z`, `2024-05-01T10:00:00.123+02:00`) or epoch seconds; no wildcards, no
 * variables. Parsed once at compile time; request values are parsed with the same rules. @module
 */
import type { FamilyCompiler, PositiveTest } from './condition-types.js'
import { valueErrors } from './condition-types.js'
import { compare, type NumericComparison } from './numeric-operators.js'

const EPOCH = /^\d+$/
const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Milliseconds since the epoch, or NaN when the text is not an accepted date. */
export function parseDate(text: string): number {
  if (EPOCH.test(text)) return Number(text) * 1000
  const m = ISO.exec(text)
  if (m === null) return Number.NaN
  const year = Number(m[1])
  const month = m[2] === undefined ? 1 : Number(m[2])
  const day = m[3] === undefined ? 1 : Number(m[3])
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN
  let offsetMinutes = 0
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const zh = Number(zone.slice(1, 3))
    const zm = Number(zone.slice(4, 6))
    if (zh > 23 || zm > 59) return Number.NaN
    offsetMinutes = sign * (zh * 60 + zm)
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
}

export function dateCompiler(op: NumericComparison): FamilyCompiler {
  return (input) => {
    const dates = input.values.map(parseDate)
    const bad = dates.flatMap((d, i) => (Number.isNaN(d) ? [i] : []))
    if (bad.length > 0) {
      return { ok: false, errors: valueErrors(input, bad, 'not an ISO 8601 date or epoch seconds') }
    }
    const test: PositiveTest = (r) => {
      const d = parseDate(r)
      if (Number.isNaN(d)) return false
      for (const p of dates) if (compare(op, d, p)) return true
      return false
    }
    return { ok: true, test }
  }
}
