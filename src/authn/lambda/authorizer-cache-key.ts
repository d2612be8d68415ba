/**
 * Cache key of an authorizer output: (authorizer id, config revision, identity-source values)
 * (reference §0.6, §5.5). JSON-encoding the tuple makes it collision-free (`["a,b"]` ≠ `["a","b"]`);
 * hashing it bounds key size and keeps raw tokens out of the cache's memory.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { LambdaAuthorizerConfig } from './lambda-authorizer-config.js'

export function authorizerCacheKey(
  config: LambdaAuthorizerConfig,
  identityValues: readonly string[],
): string {
  return createHash('sha256')
    .update(JSON.stringify([config.id, config.revision, identityValues]))
    .digest('base64url')
}
