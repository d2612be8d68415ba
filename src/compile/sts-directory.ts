/**
 * Helpers of the STS directory of a snapshot (the roles that can be assumed, with their trust
 * policy, and the identity providers whose tokens are accepted; the types live in snapshot.ts):
 * the empty directory and the stable role ids.
 *
 * @module
 */
import { hash } from 'node:crypto'

import type { StsDirectory, StsProvider, StsRole } from './snapshot.js'

export type { StsDirectory, StsProvider, StsRole }

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
