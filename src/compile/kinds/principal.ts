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
import { key, sortByRef, type CompileContext } from './compile-context.js'

const PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):(user|role|assumed-role|root)(\/[\x21-\x7e]*)?$/

/** Access key ID → its secret and principal, for the valid Principals. */
export function compilePrincipals(
  principals: readonly Manifest<PrincipalSpec>[],
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>,
  managed: ReadonlyMap<string, CompiledPolicy>,
  ctx: CompileContext,
): Map<string, AccessKeyEntry> {
  const accessKeys = new Map<string, AccessKeyEntry>()
  const keyOwners = new Map<string, string>()
  for (const m of sortByRef(principals)) {
    const { ref, file, spec } = m
    const before = ctx.errors.length
    const arnMatch = PRINCIPAL_ARN.exec(spec.arn)
    if (!arnMatch)
      ctx.err(file, ref, 'spec.arn', `not an IAM user, role or assumed-role ARN: ${spec.arn}`)
    const policies: { label: string; policy: CompiledPolicy }[] = []
    ;(spec.policies ?? []).forEach((p, i) => {
      const c = ctx.policy(
        file,
        ref,
        `spec.policies[${i}].policyDocument`,
        p.policyDocument,
        'identity',
      )
      if (c) policies.push({ label: `inline:${p.policyName}`, policy: c })
    })
    ;(spec.managedPolicyRefs ?? []).forEach((name, i) => {
      const p = managed.get(key(ref.namespace, name))
      if (p) policies.push({ label: `managed:${name}`, policy: p })
      else
        ctx.err(
          file,
          ref,
          `spec.managedPolicyRefs[${i}]`,
          `Policy ${ref.namespace}/${name} not found or invalid`,
        )
    })
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
    })
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
