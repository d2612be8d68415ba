/**
 * The SigV4 canonical URI for every service but S3: the wire path, dot segments and empty
 * segments removed, then URI-encoded once more (reference §0.8, §4.2; botocore
 * `_normalize_url_path`, `@smithy/signature-v4` `getCanonicalPath`).
 *
 * @module
 */
import { uriEncode } from './uri-encode.js'

export interface CanonicalUriOptions {
  /**
   * Remove `.`/`..` and empty segments (RFC 3986 §5.2.4 plus the AWS rule that repeated `/`
   * collapse). Default true: what SDKs do for `execute-api`. The AWS test suite also has
   * `normalize: false` cases, hence the switch.
   */
  readonly normalize?: boolean
}

/** Applies the SDK path normalisation: drop empty and `.` segments, `..` pops one segment. */
export function normalizeUriPath(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const lead = path.startsWith('/') ? '/' : ''
  const trail = segments.length > 0 && path.endsWith('/') ? '/' : ''
  return lead + segments.join('/') + trail
}

/**
 * @param wirePath the path exactly as received (percent-encoding intact, no query), e.g.
 * `/a%20b`, which gives `/a%2520b`: the `%` of the wire encoding is itself encoded, because
 * signers encode the already-encoded path a second time.
 */
export function canonicalUri(wirePath: string, options: CanonicalUriOptions = {}): string {
  const path = options.normalize === false ? wirePath : normalizeUriPath(wirePath)
  if (path === '') return '/'
  return uriEncode(path, true)
}
