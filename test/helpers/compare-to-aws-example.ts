/**
 * Field-by-field comparison of an event we built against AWS's documented example: every field of
 * the example must exist with the same JSON type, and the same value unless the example shows a
 * placeholder (`...`) or the field is declared type-only. Fields we add are reported as extras, so
 * a test can pin exactly which ones (and a new one is a deliberate change).
 *
 * @module
 */

export interface CompareOptions {
  /** Maps whose keys are compared case-insensitively and may hold keys the example lacks. */
  readonly openMaps?: readonly string[]
  /** Paths compared by type only (value differs by design, e.g. a generated id). */
  readonly typeOnly?: readonly string[]
  /** Paths of the example we knowingly do not produce. */
  readonly allowedMissing?: readonly string[]
}

export interface CompareReport {
  readonly missing: string[]
  readonly mismatched: string[]
  readonly extra: string[]
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

export function compareToAwsExample(
  expected: unknown,
  actual: unknown,
  opts: CompareOptions = {},
): CompareReport {
  const report: CompareReport = { missing: [], mismatched: [], extra: [] }
  const open = new Set(opts.openMaps ?? [])
  const typeOnly = new Set(opts.typeOnly ?? [])
  const allowedMissing = new Set(opts.allowedMissing ?? [])

  const walk = (exp: unknown, act: unknown, path: string): void => {
    if (kind(exp) !== kind(act)) {
      report.mismatched.push(`${path}: expected ${kind(exp)}, got ${kind(act)}`)
      return
    }
    if (kind(exp) === 'object') {
      const e = exp as Record<string, unknown>
      const a = act as Record<string, unknown>
      const ci = open.has(path)
      const find = (k: string): string | undefined =>
        ci
          ? Object.keys(a).find((x) => x.toLowerCase() === k.toLowerCase())
          : k in a
            ? k
            : undefined
      const matched = new Set<string>()
      for (const k of Object.keys(e)) {
        const p = path === '' ? k : `${path}.${k}`
        const ak = find(k)
        if (ak === undefined) {
          if (!allowedMissing.has(p)) report.missing.push(p)
          continue
        }
        matched.add(ak)
        walk(e[k], a[ak], p)
      }
      if (!ci) {
        for (const k of Object.keys(a)) {
          if (!matched.has(k)) report.extra.push(path === '' ? k : `${path}.${k}`)
        }
      }
      return
    }
    if (typeOnly.has(path)) return
    if (typeof exp === 'string' && exp.includes('...')) return
    if (JSON.stringify(exp) !== JSON.stringify(act)) {
      report.mismatched.push(`${path}: expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`)
    }
  }
  walk(expected, actual, '')
  return report
}
