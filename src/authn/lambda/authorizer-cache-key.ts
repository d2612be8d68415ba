/**
 * Cache key of an authorizer output: (authorizer id, config revision, identity-source values)
 * (docs/aws-semantics.md#authorizer-cache). JSON-encoding the tuple makes it collision-free
 * (`["a,b"]` ≠ `["a","b"]`); hashing it bounds key size and keeps raw tokens out of the cache's
 * memory.
 *
 * @module
 */
import { sha256 } from '../../lib/sha256.js'
import type { LambdaAuthorizerConfig } from './lambda-authorizer-config.js'

export function authorizerCacheKey(
  config: LambdaAuthorizerConfig,
  identityValues: readonly string[],
): string {
  return sha256(JSON.stringify([config.id, config.revision, identityValues]), 'base64url')
}
