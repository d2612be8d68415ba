/**
 * Turns a request's `X-Amz-Security-Token` into the access key record SigV4 verification needs:
 * the session's derived secret and the assumed-role principal (role ARN → assumed-role ARN, the
 * role's identity policies, the session policy, session condition keys). Opened tokens are kept
 * in a bounded cache, so a repeated session costs one map lookup and an expiry compare; the
 * principal is rebuilt only when the configuration snapshot changes.
 *
 * @module
 */
import { LRUCache } from 'lru-cache'

import type { AccessKeyRecord } from '../authn/sigv4/index.js'
import type { CompiledPrincipal } from '../compile/snapshot.js'
import { compilePolicy, type CompiledPolicy } from '../policy/index.js'
import type { SessionKeyRing } from './session-keys.js'
import { openSessionToken, type SessionClaims } from './session-token.js'
import type { StsDirectory, StsRole } from '../compile/sts-directory.js'

/** What resolving a session token gives the SigV4 verifier. */
export type SessionLookup<P> = AccessKeyRecord<P> | 'invalid' | 'expired'

export const DEFAULT_SESSION_CACHE_MAX = 10_000

interface OpenedSession {
  readonly claims: SessionClaims
  readonly secretAccessKey: string
  /** Compiled once per token; undefined when the session has none. */
  readonly sessionPolicy: CompiledPolicy | undefined
  /** The record for the directory it was built against. */
  built:
    | {
        readonly directory: StsDirectory
        readonly record: AccessKeyRecord<CompiledPrincipal> | undefined
      }
    | undefined
}

const NOT_OPENED = 'invalid' as const

export class SessionCredentials {
  readonly #ring: () => SessionKeyRing | undefined
  readonly #cache: LRUCache<string, OpenedSession>
  #ringSeen: SessionKeyRing | undefined

  constructor(ring: () => SessionKeyRing | undefined, maxEntries = DEFAULT_SESSION_CACHE_MAX) {
    this.#ring = ring
    this.#cache = new LRUCache({ max: Math.max(1, maxEntries) })
  }

  /**
   * The record for `token` presented with `accessKeyId` at `nowMs`, against the roles of
   * `directory`. Never throws: anything unexpected is `invalid`.
   */
  resolve(
    token: string,
    accessKeyId: string,
    nowMs: number,
    directory: StsDirectory,
  ): SessionLookup<CompiledPrincipal> {
    try {
      const ring = this.#ring()
      if (ring === undefined) return NOT_OPENED
      if (ring !== this.#ringSeen) {
        // A dropped key must end its sessions at once, not when the cache forgets them.
        this.#cache.clear()
        this.#ringSeen = ring
      }
      let opened = this.#cache.get(token)
      if (opened === undefined) {
        const result = openSessionToken(ring, token)
        if (!result.ok) return NOT_OPENED
        let sessionPolicy: CompiledPolicy | undefined
        if (result.claims.sessionPolicy !== undefined) {
          const compiled = compilePolicy(JSON.parse(result.claims.sessionPolicy), {
            kind: 'identity',
          })
          if (!compiled.ok) return NOT_OPENED
          sessionPolicy = compiled.policy
        }
        opened = {
          claims: result.claims,
          secretAccessKey: result.secretAccessKey,
          sessionPolicy,
          built: undefined,
        }
        this.#cache.set(token, opened)
      }
      // The token is bound to one access key id: another key id with it is a forgery.
      if (opened.claims.accessKeyId !== accessKeyId) return NOT_OPENED
      if (nowMs >= opened.claims.expiresAt * 1000) return 'expired'
      let built = opened.built
      if (built?.directory !== directory) {
        const role = directory.roles.get(opened.claims.roleArn)
        built = {
          directory,
          record: role === undefined ? undefined : sessionRecord(role, opened),
        }
        opened.built = built
      }
      // The role was deleted (or no longer a role): its sessions end with it.
      return built.record ?? NOT_OPENED
    } catch {
      return NOT_OPENED
    }
  }
}

function sessionRecord(role: StsRole, opened: OpenedSession): AccessKeyRecord<CompiledPrincipal> {
  const c = opened.claims
  const keys = new Map<string, string>()
  for (const [k, v] of role.principal.conditionKeys) {
    if (k.startsWith('aws:principaltag/')) keys.set(k, v)
  }
  keys.set('aws:principalarn', role.arn)
  keys.set('aws:principalaccount', role.accountId)
  keys.set('aws:principaltype', 'AssumedRole')
  keys.set('aws:userid', `${role.roleId}:${c.sessionName}`)
  keys.set(
    'aws:tokenissuetime',
    new Date(c.issuedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  )
  keys.set('aws:federatedprovider', `arn:aws:iam::${role.accountId}:oidc-provider/${c.provider}`)
  const principal: CompiledPrincipal = Object.freeze({
    ref: role.principal.ref,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${c.sessionName}`,
    accountId: role.accountId,
    conditionKeys: keys,
    policies: role.principal.policies,
    // A session is decided with its role's candidate identity policies too (narrowed alike).
    candidatePolicies: role.principal.candidatePolicies,
    sessionPolicy:
      opened.sessionPolicy === undefined
        ? undefined
        : { label: 'session-policy', policy: opened.sessionPolicy },
  })
  return Object.freeze({ secretAccessKey: opened.secretAccessKey, active: true, principal })
}
