/**
 * Kubernetes label selectors compiled once into matcher functions, with Kubernetes' semantics
 * (k8s.io/apimachinery `labels.Selector`): `matchLabels` and every `matchExpressions` requirement
 * must all hold; `In` needs the label with one of the values, `NotIn` holds when the label is absent
 * or has none of the values, `Exists` / `DoesNotExist` test presence only; an empty selector `{}`
 * matches everything. Keys and values are validated as the API server validates them, so a selector
 * Kubernetes would refuse is a compile error here rather than a selector that silently never matches.
 *
 * @module
 */
/** Labels of a pod or namespace. A Map: label keys such as `constructor` are plain data here. */
export type Labels = ReadonlyMap<string, string>

/** A compiled selector; pure and allocation-free per call. */
export type LabelMatcher = (labels: Labels) => boolean

export type CompileLabelSelectorResult =
  | { readonly ok: true; readonly matcher: LabelMatcher }
  | { readonly ok: false; readonly errors: readonly { path: string; message: string }[] }

type Requirement =
  | { readonly op: 'In'; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: 'NotIn'; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: 'Exists'; readonly key: string }
  | { readonly op: 'DoesNotExist'; readonly key: string }

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/')
  const prefix = slash === -1 ? undefined : key.slice(0, slash)
  const name = slash === -1 ? key : key.slice(slash + 1)
  if (prefix !== undefined) {
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `label key prefix '${prefix}' must be a DNS subdomain (at most 253 characters)`
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return `label key name '${name}' must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`
  }
  return undefined
}

/** Why `value` is not a valid label value, or undefined when it is (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined
  if (value.length > 63 || !NAME_PART.test(value)) {
    return `label value '${value}' must be at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`
  }
  return undefined
}

/**
 * Compiles a selector; `path` prefixes error paths (e.g. `spec.sources[0].podSelector`). The input
 * is `unknown` (compile input is not trusted to be schema-checked): its shape is validated here too.
 */
export function compileLabelSelector(selector: unknown, path: string): CompileLabelSelectorResult {
  const errors: { path: string; message: string }[] = []
  const reqs: Requirement[] = []
  if (!isPlainObject(selector)) {
    return { ok: false, errors: [{ path, message: 'must be a label selector object' }] }
  }
  for (const field of Object.keys(selector)) {
    if (field !== 'matchLabels' && field !== 'matchExpressions') {
      errors.push({ path: `${path}.${field}`, message: 'unknown field' })
    }
  }
  const matchLabels = selector['matchLabels'] ?? {}
  if (!isPlainObject(matchLabels)) {
    errors.push({ path: `${path}.matchLabels`, message: 'must be a map of label → value' })
  } else {
    for (const [key, value] of Object.entries(matchLabels)) {
      const at = `${path}.matchLabels.${key}`
      const problem =
        typeof value !== 'string'
          ? 'label value must be a string'
          : (labelKeyProblem(key) ?? labelValueProblem(value))
      if (problem !== undefined) errors.push({ path: at, message: problem })
      else reqs.push({ op: 'In', key, values: new Set([value as string]) })
    }
  }
  const expressions = selector['matchExpressions'] ?? []
  if (!Array.isArray(expressions)) {
    errors.push({ path: `${path}.matchExpressions`, message: 'must be a list of requirements' })
  } else {
    expressions.forEach((e: unknown, i) => {
      const at = `${path}.matchExpressions[${i}]`
      const r = compileRequirement(e, at, errors)
      if (r !== undefined) reqs.push(r)
    })
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, matcher: matcherOf(reqs) }
}

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist'])

function compileRequirement(
  e: unknown,
  at: string,
  errors: { path: string; message: string }[],
): Requirement | undefined {
  if (!isPlainObject(e)) {
    errors.push({ path: at, message: 'must be an object with key, operator and values' })
    return undefined
  }
  const key = e['key']
  const operator = e['operator']
  const rawValues = e['values'] ?? []
  if (typeof key !== 'string') {
    errors.push({ path: `${at}.key`, message: 'must be a string' })
    return undefined
  }
  const keyProblem = labelKeyProblem(key)
  if (keyProblem !== undefined) {
    errors.push({ path: `${at}.key`, message: keyProblem })
    return undefined
  }
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    errors.push({ path: `${at}.operator`, message: 'must be In, NotIn, Exists or DoesNotExist' })
    return undefined
  }
  if (!Array.isArray(rawValues) || rawValues.some((v) => typeof v !== 'string')) {
    errors.push({ path: `${at}.values`, message: 'must be a list of strings' })
    return undefined
  }
  const values = rawValues as string[]
  if (operator === 'In' || operator === 'NotIn') {
    if (values.length === 0) {
      errors.push({ path: `${at}.values`, message: `must be non-empty for ${operator}` })
      return undefined
    }
    const bad = values.map(labelValueProblem).find((p) => p !== undefined)
    if (bad !== undefined) {
      errors.push({ path: `${at}.values`, message: bad })
      return undefined
    }
    return { op: operator, key, values: new Set(values) }
  }
  if (values.length > 0) {
    errors.push({ path: `${at}.values`, message: `must be empty for ${operator}` })
    return undefined
  }
  return { op: operator === 'Exists' ? 'Exists' : 'DoesNotExist', key }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function matcherOf(reqs: readonly Requirement[]): LabelMatcher {
  if (reqs.length === 0) return () => true
  return (labels) => {
    for (const r of reqs) {
      const value = labels.get(r.key)
      switch (r.op) {
        case 'In':
          if (value === undefined || !r.values.has(value)) return false
          break
        case 'NotIn':
          if (value !== undefined && r.values.has(value)) return false
          break
        case 'Exists':
          if (value === undefined) return false
          break
        case 'DoesNotExist':
          if (value !== undefined) return false
          break
      }
    }
    return true
  }
}

/** Label object from the API (`metadata.labels`) → {@link Labels}; non-string values are dropped. */
export function toLabels(raw: unknown): Labels {
  const out = new Map<string, string>()
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out.set(k, v)
  return out
}
