/**
 * Principal / NotPrincipal: `*`, account ids and account root ARNs (the whole account), exact IAM
 * user/role and STS assumed-role ARNs (case-sensitive), a role ARN also matching that role's
 * sessions; `Service` / `Federated` principals are valid but never match our callers. @module
 */
import { childPath } from './json-path.js'
import { isPlainObject, stringList } from './string-list.js'
import type { PolicyError, PolicyPrincipal } from './types.js'

/** How a principal matched: directly (ARN, session of a role, `*`), only via its account, or not. */
export type PrincipalMatch = 'direct' | 'account' | 'none'

export interface PrincipalPattern {
  readonly any: boolean
  match(principal: PolicyPrincipal | null): PrincipalMatch
}

export type PrincipalPatternResult =
  | { readonly ok: true; readonly pattern: PrincipalPattern }
  | { readonly ok: false; readonly errors: readonly PolicyError[] }

const PARTITION = '(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)'
const NAME = '[\\w+=,.@-]+'
const ACCOUNT_ID = /^\d{12}$/
const ROOT_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):root$`)
const USER_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):user/(?:${NAME}/)*${NAME}$`)
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):role/(?:${NAME}/)*(${NAME})$`)
const SESSION_ARN = new RegExp(`^arn:${PARTITION}:sts::(\\d{12}):assumed-role/(${NAME})/${NAME}$`)
const FEDERATED_USER_ARN = new RegExp(`^arn:${PARTITION}:sts::(\\d{12}):federated-user/${NAME}$`)

/** `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` → `ACCT/ROLE`, else undefined. */
function sessionRoleKey(arn: string): string | undefined {
  const m = SESSION_ARN.exec(arn)
  return m === null ? undefined : `${m[1] ?? ''}/${m[2] ?? ''}`
}

const ANYONE: PrincipalPattern = { any: true, match: () => 'direct' }

/** `negated` (NotPrincipal) rejects `*`, which would exempt everyone including anonymous callers. */
export function compilePrincipal(
  raw: unknown,
  path: string,
  negated: boolean,
): PrincipalPatternResult {
  const errors: PolicyError[] = []
  if (typeof raw === 'string') {
    if (raw !== '*')
      return {
        ok: false,
        errors: [{ path, message: 'must be "*" or an object such as {"AWS": ...}' }],
      }
    if (negated) return { ok: false, errors: [{ path, message: 'NotPrincipal cannot be "*"' }] }
    return { ok: true, pattern: ANYONE }
  }
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      errors: [{ path, message: 'must be "*" or an object such as {"AWS": ...}' }],
    }
  }
  if (Object.keys(raw).length === 0) {
    return { ok: false, errors: [{ path, message: 'must name at least one principal' }] }
  }
  let any = false
  const accounts = new Set<string>()
  const arns = new Set<string>()
  const roleSessions = new Set<string>()
  for (const [type, value] of Object.entries(raw)) {
    const typePath = childPath(path, type)
    if (type === 'Service' || type === 'Federated') {
      // Valid IAM, but Portcullis callers are never AWS services or web-identity federations.
      for (const item of stringList(value, typePath, errors)) {
        if (item.value.length === 0) errors.push({ path: item.path, message: 'must not be empty' })
      }
      continue
    }
    if (type !== 'AWS') {
      errors.push({
        path: typePath,
        message: `unknown principal type (expected "AWS", "Service" or "Federated")`,
      })
      continue
    }
    for (const { value: v, path: p } of stringList(value, typePath, errors)) {
      if (v === '*') {
        if (negated) errors.push({ path: p, message: 'NotPrincipal cannot be "*"' })
        any = true
        continue
      }
      if (ACCOUNT_ID.test(v)) {
        accounts.add(v)
        continue
      }
      const root = ROOT_ARN.exec(v)
      if (root !== null) {
        accounts.add(root[1] ?? '')
        continue
      }
      if (v.includes('*') || v.includes('?')) {
        errors.push({ path: p, message: 'wildcards are not allowed in principal ARNs' })
        continue
      }
      const role = ROLE_ARN.exec(v)
      if (role !== null) {
        arns.add(v)
        roleSessions.add(`${role[1] ?? ''}/${role[2] ?? ''}`)
        continue
      }
      if (USER_ARN.test(v) || SESSION_ARN.test(v) || FEDERATED_USER_ARN.test(v)) {
        arns.add(v)
        continue
      }
      errors.push({
        path: p,
        message:
          'not a valid AWS principal (account id, account root ARN, IAM user or role ARN, or STS assumed-role ARN)',
      })
    }
  }
  if (errors.length > 0) return { ok: false, errors }
  if (any) return { ok: true, pattern: ANYONE }
  return {
    ok: true,
    pattern: {
      any: false,
      match(principal) {
        if (principal === null) return 'none'
        if (arns.has(principal.arn)) return 'direct'
        if (roleSessions.size > 0) {
          const key = sessionRoleKey(principal.arn)
          if (key !== undefined && roleSessions.has(key)) return 'direct'
        }
        return accounts.has(principal.accountId) ? 'account' : 'none'
      },
    },
  }
}
