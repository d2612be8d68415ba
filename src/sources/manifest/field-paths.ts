/**
 * Ajv's errors as the loader reports them: JSON pointers become field paths
 * (`/spec/routes/0/path` → `spec.routes[0].path`), keywords become plain messages, and values are
 * left out where they may be secret.
 *
 * @module
 */
import type { ErrorObject, ValidateFunction } from 'ajv'
import type { FieldError } from '../../api/v1alpha1/index.js'

/** `/spec/routes/0/path` → `spec.routes[0].path`; odd keys as `["app.kubernetes.io/name"]`. */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return ''
  let out = ''
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    out = /^[0-9]+$/.test(key) ? `${out}[${key}]` : joinPath(out, key)
  }
  return out
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

export function joinPath(base: string, key: string): string {
  if (IDENTIFIER.test(key)) return base === '' ? key : `${base}.${key}`
  return `${base}[${JSON.stringify(key)}]`
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 64 ? `${text.slice(0, 61)}...` : text
}

function toFieldError(e: ErrorObject, redact: boolean): FieldError {
  const base = jsonPointerToPath(e.instancePath)
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return { path: joinPath(base, String(params['missingProperty'])), message: 'is required' }
    case 'additionalProperties':
      return {
        path: joinPath(base, String(params['additionalProperty'])),
        message: 'unknown field',
      }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ')
      return {
        path: base,
        message: `must be one of ${allowed}${redact ? '' : ` (got ${describeValue(e.data)})`}`,
      }
    }
    case 'const':
      return { path: base, message: `must be ${describeValue(params['allowedValue'])}` }
    case 'pattern':
      return {
        path: base,
        message: `must match pattern "${String(params['pattern'])}"${redact ? '' : ` (got ${describeValue(e.data)})`}`,
      }
    case 'type':
      return { path: base, message: `must be ${String(params['type'])}` }
    default:
      return { path: base, message: e.message ?? `fails ${e.keyword}` }
  }
}

export function schemaErrors(validate: ValidateFunction, redact: boolean): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const e of validate.errors ?? []) {
    // `propertyNames` reports twice (the name's pattern, then propertyNames itself): keep the first.
    if (e.keyword === 'propertyNames') continue
    const fe = toFieldError(e, redact)
    const key = `${fe.path}\u0000${fe.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(fe)
    }
  }
  return out
}
