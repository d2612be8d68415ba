/**
 * What the STS endpoint and the session verifier need from the configuration: the roles that can
 * be assumed (with their trust policy) and the identity providers whose tokens are accepted,
 * compiled once per snapshot.
 *
 * @module
 */
import { hash } from 'node:crypto'

import type { CompiledPrincipal } from '../compile/snapshot.js'
import type { CompiledPolicy } from '../policy/index.js'

export interface StsRole {
  /** `arn:aws:iam::<acct>:role/<path/><name>`. */
  readonly arn: string
  readonly accountId: string
  /** The role name (last path segment), as in `assumed-role/<name>/<session>`. */
  readonly name: string
  /** Stable unique id (`AROA…`), the same on every replica: part of `aws:userid`. */
  readonly roleId: string
  /** Undefined: nobody may assume the role. */
  readonly trust: CompiledPolicy | undefined
  /** Seconds. */
  readonly maxSessionDuration: number
  /** The role as a principal: its identity policies and tags. */
  readonly principal: CompiledPrincipal
}

/** One `IdentityProvider`. */
export interface StsProvider {
  /** `namespace/name`. */
  readonly ref: string
  /** Issuer URL without its scheme: the name in `{"Federated": ...}` and condition keys. */
  readonly name: string
  /** Exact `iss`. */
  readonly issuer: string
  readonly clientIds: readonly string[]
  readonly jwksUri: string | undefined
}

export interface StsDirectory {
  /** By role ARN. */
  readonly roles: ReadonlyMap<string, StsRole>
  /** By issuer URL (`iss`). */
  readonly providers: ReadonlyMap<string, StsProvider>
}

export const EMPTY_STS_DIRECTORY: StsDirectory = Object.freeze({
  roles: new Map<string, StsRole>(),
  providers: new Map<string, StsProvider>(),
})

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * `AROA` and 17 characters derived from the role ARN: AWS's role ids are random, but every
 * replica must print the same one without sharing state.
 */
export function roleIdFor(roleArn: string): string {
  const digest = hash('sha256', roleArn, 'buffer')
  let out = 'AROA'
  for (let i = 0; i < 17; i++) out += BASE32.charAt((digest[i] as number) & 31)
  return out
}
