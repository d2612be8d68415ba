/**
 * A role Principal as STS sees it: its trust policy (`assumeRolePolicyDocument`) and its longest
 * session. A role without a trust policy compiles (it may still sign with access keys) but nobody
 * can assume it.
 *
 * @module
 */
import {
  DEFAULT_SESSION_DURATION,
  parsePolicyDocument,
  type PrincipalSpec,
} from '../../api/v1alpha1/index.js'
import { compilePolicy, type CompiledPolicy } from '../../policy/index.js'
import { roleIdFor, type StsRole } from '../sts-directory.js'
import type { CompiledPrincipal } from '../snapshot.js'

const TRUST_FIELD = 'spec.assumeRolePolicyDocument'

export function compileRole(
  spec: PrincipalSpec,
  principal: CompiledPrincipal,
  owner: string | undefined,
  err: (path: string, message: string) => void,
): StsRole | undefined {
  if (owner !== undefined) {
    err('spec.arn', `role ${spec.arn} is already declared by Principal ${owner}`)
    return undefined
  }
  let trust: CompiledPolicy | undefined
  if (spec.assumeRolePolicyDocument !== undefined) {
    const parsed = parsePolicyDocument(spec.assumeRolePolicyDocument)
    if (!parsed.ok) {
      err(TRUST_FIELD, parsed.message)
      return undefined
    }
    const res = compilePolicy(parsed.document, { kind: 'trust' })
    if (!res.ok) {
      for (const e of res.errors)
        err(e.path === '' ? TRUST_FIELD : `${TRUST_FIELD}.${e.path}`, e.message)
      return undefined
    }
    trust = res.policy
  }
  return Object.freeze({
    arn: spec.arn,
    accountId: principal.accountId,
    name: spec.arn.slice(spec.arn.lastIndexOf('/') + 1),
    roleId: roleIdFor(spec.arn),
    trust,
    maxSessionDuration: spec.maxSessionDuration ?? DEFAULT_SESSION_DURATION,
    principal,
  })
}
