/**
 * The SigV4 canonical URI for every service but S3: the wire path, dot segments and empty
 * segments removed, then URI-encoded once more (docs/aws-semantics.md#canonical-uri; botocore
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
 * True when `path` is already its own canonical URI under normalisation: it starts with `/`,
 * holds only unreserved characters and `/` (so encoding changes nothing), and has no empty, `.`
 * or `..` segment except the leading root and a single trailing `/` (so normalising changes
 * nothing). The common case (`/pets/1`) then costs one scan and no allocation.
 */
function isCanonicalAsIs(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false
  let segmentStart = 1
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f
    if (c === 0x2f) {
      const len = i - segmentStart
      // An empty segment is only allowed as the (empty) remainder after a trailing `/`.
      if (len === 0 && i < path.length) return false
      if (len === 1 && path.charCodeAt(segmentStart) === 0x2e) return false
      if (len === 2 && path.charCodeAt(segmentStart) === 0x2e && path.charCodeAt(i - 1) === 0x2e) {
        return false
      }
      segmentStart = i + 1
    } else if (!UNRESERVED_ASCII[c]) {
      return false
    }
  }
  return true
}

/** `A-Z a-z 0-9 - _ . ~` by char code, for the fast path above. */
const UNRESERVED_ASCII: readonly boolean[] = (() => {
  const table = new Array<boolean>(128).fill(false)
  for (let c = 0; c < 128; c++) table[c] = /^[A-Za-z0-9\-_.~]$/.test(String.fromCharCode(c))
  return table
})()

/**
 * @param wirePath the path exactly as received (percent-encoding intact, no query), e.g.
 * `/a%20b`, which gives `/a%2520b`: the `%` of the wire encoding is itself encoded, because
 * signers encode the already-encoded path a second time.
 */
export function canonicalUri(wirePath: string, options: CanonicalUriOptions = {}): string {
  if (options.normalize !== false && isCanonicalAsIs(wirePath)) return wirePath
  const path = options.normalize === false ? wirePath : normalizeUriPath(wirePath)
  if (path === '') return '/'
  return uriEncode(path, true)
}
