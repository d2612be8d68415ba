/**
 * Narrowing helpers for untyped JSON/YAML trees: every reader of an input document goes through
 * these, so a wrong shape is `undefined` (reported by the caller), never a crash.
 *
 * @module
 */

export type JsonObject = Readonly<Record<string, unknown>>

export function asObject(v: unknown): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined
}

export function asArray(v: unknown): readonly unknown[] | undefined {
  return Array.isArray(v) ? (v as unknown[]) : undefined
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** A single value or a list of them, as a list (CloudFormation accepts both in many places). */
export function asList(v: unknown): readonly unknown[] {
  if (v === undefined || v === null) return []
  return Array.isArray(v) ? (v as unknown[]) : [v]
}

/** Lower-case DNS-1123 subdomain made from any name (Kubernetes object names). */
export function toObjectName(raw: string, maxLength = 253): string {
  const s = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, maxLength)
    .replace(/[^a-z0-9]+$/, '')
  return s === '' ? 'imported' : s
}
