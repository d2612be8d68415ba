/**
 * Principal / NotPrincipal: `*`, account ids and account root ARNs (the whole account), exact IAM
 * user/role and STS assumed-role ARNs (case-sensitive), a role ARN also matching that role's
 * sessions; `Federated` names a web identity provider and matches only a caller asking to assume a
 * role with that provider's token (trust policies); `Service` principals are valid but never match
 * our callers.
 *
 * The two elements ask different questions of the same list. `Principal` asks whether the caller
 * is named at any level (`match`). A `NotPrincipal` Deny exempts a caller only when every level
 * AWS checks is listed (`listsEveryLevel`): the account, then the user or role, then, for an
 * assumed-role session, the role and the session itself. Listing a user without its account, or a
 * role without the session, exempts nobody. @module
 */
import { childPath } from './json-path.js'
import { isPlainObject, stringList } from './string-list.js'
import type { PolicyError, PolicyPrincipal } from './types.js'

/** How a principal matched: directly (ARN, session of a role, `*`), only via its account, or not. */
export type PrincipalMatch = 'direct' | 'account' | 'none'

export interface PrincipalPattern {
  readonly any: boolean
  /** `Principal`: whether, and at which level, the caller is named. */
  match(principal: PolicyPrincipal | null): PrincipalMatch
  /**
   * `NotPrincipal` with Deny: true only when the account, the caller's own ARN and, for an
   * assumed-role session, its role are all listed (an account root caller has only the account
   * level). Anonymous callers are never listed.
   */
  listsEveryLevel(principal: PolicyPrincipal | null): boolean
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

const ANYONE: PrincipalPattern = {
  any: true,
  match: () => 'direct',
  listsEveryLevel: (principal) => principal !== null,
}

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
  /**
   * Listed user, role, session and federated-user ARNs. The value is the `ACCT/ROLE` key a session
   * ARN also needs listed to be exempt from a NotPrincipal Deny, '' for the others: worked out here
   * so a request never parses an ARN.
   */
  const arns = new Map<string, string>()
  const roleSessions = new Set<string>()
  /** Provider names (exact, as IAM compares them) of `Federated` entries. */
  const federated = new Set<string>()
  for (const [type, value] of Object.entries(raw)) {
    const typePath = childPath(path, type)
    if (type === 'Service' || type === 'Federated') {
      // Valid IAM; Portcullis callers are never AWS services.
      for (const item of stringList(value, typePath, errors)) {
        if (item.value.length === 0) errors.push({ path: item.path, message: 'must not be empty' })
        else if (type === 'Federated') federated.add(item.value)
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
        arns.set(v, '')
        roleSessions.add(`${role[1] ?? ''}/${role[2] ?? ''}`)
        continue
      }
      const sessionRole = sessionRoleKey(v)
      if (sessionRole !== undefined) {
        arns.set(v, sessionRole)
        continue
      }
      if (USER_ARN.test(v) || FEDERATED_USER_ARN.test(v)) {
        arns.set(v, '')
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
        // A web identity is named only by its provider, bare (`accounts.google.com`) or as the
        // IAM OIDC provider's ARN (EKS IRSA trust policies): never by an account.
        if (principal.federatedProvider !== undefined) {
          return federated.has(principal.federatedProvider) || federated.has(principal.arn)
            ? 'direct'
            : 'none'
        }
        if (arns.has(principal.arn)) return 'direct'
        if (roleSessions.size > 0) {
          const key = sessionRoleKey(principal.arn)
          if (key !== undefined && roleSessions.has(key)) return 'direct'
        }
        return accounts.has(principal.accountId) ? 'account' : 'none'
      },
      listsEveryLevel(principal) {
        if (principal?.federatedProvider !== undefined) {
          return federated.has(principal.federatedProvider) || federated.has(principal.arn)
        }
        if (principal === null || !accounts.has(principal.accountId)) return false
        const needsRole = arns.get(principal.arn)
        if (needsRole !== undefined) return needsRole === '' || roleSessions.has(needsRole)
        // Not listed by ARN: only the account's root user has no level below the account.
        return isRootOf(principal)
      },
    },
  }
}

/** Whether the caller is its account's root user (`arn:PARTITION:iam::ACCT:root`). */
function isRootOf(principal: PolicyPrincipal): boolean {
  if (!principal.arn.endsWith(':root')) return false
  const m = ROOT_ARN.exec(principal.arn)
  return m !== null && m[1] === principal.accountId
}
