/**
 * `Principal`: IAM users and roles, with their inline and managed policies resolved, their access
 * keys' secrets read from the Secrets, and their condition keys (`aws:username`, tags...) computed.
 *
 * @module
 */
import type { CompiledPolicy } from '../../policy/index.js'
import type { PrincipalSpec } from '../../api/v1alpha1/index.js'
import type { Manifest } from '../compile-input.js'
import type { AccessKeyEntry, CompiledPrincipal } from '../snapshot.js'
import type { StsRole } from '../sts-directory.js'
import { key, sortByRef, type CompileContext } from './compile-context.js'
import { compileRole } from './role.js'

const PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):(user|role|assumed-role|root)(\/[\x21-\x7e]*)?$/

/**
 * Access key ID → its secret and principal, for the valid Principals; the valid roles (with their
 * trust policies) are added to `roles`, by ARN.
 */
export function compilePrincipals(
  principals: readonly Manifest<PrincipalSpec>[],
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>,
  managed: ReadonlyMap<string, CompiledPolicy>,
  ctx: CompileContext,
  roles: Map<string, StsRole> = new Map(),
): Map<string, AccessKeyEntry> {
  const accessKeys = new Map<string, AccessKeyEntry>()
  const keyOwners = new Map<string, string>()
  const roleOwners = new Map<string, string>()
  for (const m of sortByRef(principals)) {
    const { ref, file, spec } = m
    const before = ctx.errors.length
    const arnMatch = PRINCIPAL_ARN.exec(spec.arn)
    if (!arnMatch)
      ctx.err(file, ref, 'spec.arn', `not an IAM user, role or assumed-role ARN: ${spec.arn}`)
    // Only roles can be assumed. Checked here rather than in the CRD: the trust policy field keeps
    // unknown fields (any IAM JSON), which CEL rules cannot read.
    else if (arnMatch[3] !== 'role') {
      for (const field of ['assumeRolePolicyDocument', 'maxSessionDuration'] as const) {
        if (spec[field] !== undefined) {
          ctx.err(
            file,
            ref,
            `spec.${field}`,
            'only a role (arn:aws:iam::<account>:role/<name>) can have it',
          )
        }
      }
    }
    type Labelled = { label: string; policy: CompiledPolicy }
    const inline = (field: 'policies' | 'candidatePolicies'): Labelled[] => {
      const out: Labelled[] = []
      ;(spec[field] ?? []).forEach((p, i) => {
        const c = ctx.policy(
          file,
          ref,
          `spec.${field}[${i}].policyDocument`,
          p.policyDocument,
          'identity',
        )
        if (c) out.push({ label: `inline:${p.policyName}`, policy: c })
      })
      return out
    }
    const attached = (field: 'managedPolicyRefs' | 'candidateManagedPolicyRefs'): Labelled[] => {
      const out: Labelled[] = []
      ;(spec[field] ?? []).forEach((name, i) => {
        const p = managed.get(key(ref.namespace, name))
        if (p) out.push({ label: `managed:${name}`, policy: p })
        else
          ctx.err(
            file,
            ref,
            `spec.${field}[${i}]`,
            `Policy ${ref.namespace}/${name} not found or invalid`,
          )
      })
      return out
    }
    const liveInline = inline('policies')
    const liveManaged = attached('managedPolicyRefs')
    const policies = [...liveInline, ...liveManaged]
    // Each candidate field stands in for its live counterpart; the other one stays as it is.
    const underTrial =
      spec.candidatePolicies !== undefined || spec.candidateManagedPolicyRefs !== undefined
    const candidatePolicies = underTrial
      ? Object.freeze([
          ...(spec.candidatePolicies === undefined ? liveInline : inline('candidatePolicies')),
          ...(spec.candidateManagedPolicyRefs === undefined
            ? liveManaged
            : attached('candidateManagedPolicyRefs')),
        ])
      : undefined
    const keys: { id: string; secret: string; active: boolean }[] = []
    ;(spec.accessKeys ?? []).forEach((k, i) => {
      const data = secrets.get(key(ref.namespace, k.secretAccessKeyRef.name))
      const secret = data?.[k.secretAccessKeyRef.key]
      if (data === undefined) {
        ctx.err(
          file,
          ref,
          `spec.accessKeys[${i}].secretAccessKeyRef`,
          `Secret ${ref.namespace}/${k.secretAccessKeyRef.name} not found`,
        )
      } else if (secret === undefined || secret === '') {
        ctx.err(
          file,
          ref,
          `spec.accessKeys[${i}].secretAccessKeyRef.key`,
          `Secret ${ref.namespace}/${k.secretAccessKeyRef.name} has no key '${k.secretAccessKeyRef.key}'`,
        )
      } else {
        const owner = keyOwners.get(k.accessKeyId)
        if (owner !== undefined) {
          ctx.err(
            file,
            ref,
            `spec.accessKeys[${i}].accessKeyId`,
            `access key ${k.accessKeyId} already belongs to ${owner}`,
          )
        } else {
          keys.push({ id: k.accessKeyId, secret, active: (k.status ?? 'Active') === 'Active' })
        }
      }
    })
    if (ctx.errors.length !== before || !arnMatch) continue
    const accountId = arnMatch[2] ?? ''
    const principal: CompiledPrincipal = Object.freeze({
      ref: key(ref.namespace, ref.name),
      arn: spec.arn,
      accountId,
      conditionKeys: principalConditionKeys(
        spec.arn,
        arnMatch[3] ?? '',
        accountId,
        spec.tags ?? {},
      ),
      policies: Object.freeze(policies),
      ...(candidatePolicies === undefined ? {} : { candidatePolicies }),
    })
    if (arnMatch[3] === 'role') {
      const role = compileRole(spec, principal, roleOwners.get(spec.arn), (path, message) => {
        ctx.err(file, ref, path, message)
      })
      if (role === undefined) continue
      roles.set(role.arn, role)
      roleOwners.set(role.arn, principal.ref)
    }
    for (const k of keys) {
      keyOwners.set(k.id, principal.ref)
      accessKeys.set(
        k.id,
        Object.freeze({ secretAccessKey: k.secret, active: k.active, principal }),
      )
    }
    ctx.counts.Principal++
  }
  return accessKeys
}

/**
 * Condition keys of an IAM principal (docs/decision-flow.md). `aws:userid` is AWS's unique ID, which a
 * manifest does not carry: we use the ARN's name part for users and `role:session` for sessions.
 */
function principalConditionKeys(
  arn: string,
  type: string,
  accountId: string,
  tags: Readonly<Record<string, string>>,
): ReadonlyMap<string, string> {
  const m = new Map<string, string>()
  const resource = arn.slice(
    arn.indexOf(
      ':',
      arn.indexOf(':', arn.indexOf(':', arn.indexOf(':', arn.indexOf(':') + 1) + 1) + 1) + 1,
    ) + 1,
  )
  const parts = resource.split('/')
  const name = parts[parts.length - 1] ?? ''
  m.set(
    'aws:principalarn',
    type === 'assumed-role' ? `arn:aws:iam::${accountId}:role/${parts[1] ?? ''}` : arn,
  )
  m.set('aws:principalaccount', accountId)
  m.set(
    'aws:principaltype',
    type === 'user'
      ? 'User'
      : type === 'role'
        ? 'AssumedRole'
        : type === 'assumed-role'
          ? 'AssumedRole'
          : 'Account',
  )
  if (type === 'user') {
    m.set('aws:username', name)
    m.set('aws:userid', name)
  } else if (type === 'assumed-role') {
    m.set('aws:userid', `${parts[1] ?? ''}:${name}`)
  } else {
    m.set('aws:userid', name)
  }
  for (const [k, v] of Object.entries(tags)) m.set(`aws:principaltag/${k.toLowerCase()}`, v)
  return m
}
