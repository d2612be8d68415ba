/**
 * Turns the wire path into the decoded segments that route matching and the methodArn use, and
 * refuses ambiguous paths outright (docs/aws-semantics.md#ambiguous-paths): authorization never
 * runs on a path that a proxy and an upstream could read differently.
 *
 * @module
 */

export type NormalizedPath =
  | { readonly ok: true; readonly segments: readonly string[]; readonly decodedPath: string }
  | { readonly ok: false; readonly reason: string }

const HEX = /^[0-9A-Fa-f]{2}$/

/**
 * @param wirePath path as received, without the query string, e.g. `/pets/a%20b`.
 * Rejects: not starting with `/`; `.`/`..` segments (raw or percent-encoded); encoded `/` or `\`;
 * raw `\`; NUL (raw or encoded); control characters; invalid percent-encoding or invalid UTF-8
 * after decoding. Empty segments (`//`) are kept: AWS keeps them in the methodArn.
 */
export function normalizePath(wirePath: string): NormalizedPath {
  if (wirePath.length === 0 || wirePath.charCodeAt(0) !== 0x2f) {
    return { ok: false, reason: 'path must start with /' }
  }
  if (isPlain(wirePath)) {
    // Nothing to decode: the segments are the path's own, and so is the decoded path.
    const segments = wirePath.length === 1 ? [] : wirePath.slice(1).split('/')
    for (const segment of segments) {
      if (segment === '.' || segment === '..') return { ok: false, reason: 'dot segment' }
    }
    return { ok: true, segments, decodedPath: wirePath }
  }
  const rawSegments = wirePath.slice(1).split('/')
  const segments: string[] = []
  for (const raw of rawSegments) {
    const decoded = decodeSegment(raw)
    if (decoded === undefined) return { ok: false, reason: `invalid segment encoding: ${raw}` }
    if (decoded === '.' || decoded === '..') return { ok: false, reason: 'dot segment' }
    segments.push(decoded)
  }
  // The root `/` is one empty segment; represent it as no segments.
  if (segments.length === 1 && segments[0] === '') segments.length = 0
  return { ok: true, segments, decodedPath: '/' + segments.join('/') }
}

/** No `%`, `\\`, control character or DEL: the path decodes to itself. */
function isPlain(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === 0x25 || c === 0x5c || c < 0x20 || c === 0x7f) return false
  }
  return true
}

function decodeSegment(raw: string): string | undefined {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    // Raw backslash: some upstreams treat it as a separator. Control chars and NUL: never legitimate.
    if (c === 0x5c || c < 0x20 || c === 0x7f) return undefined
    if (c === 0x25) {
      if (!HEX.test(raw.slice(i + 1, i + 3))) return undefined
      i += 2
    }
  }
  if (!raw.includes('%')) return raw
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined // invalid UTF-8 sequence
  }
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i)
    if (c === 0x2f || c === 0x5c || c < 0x20 || c === 0x7f) return undefined
  }
  return decoded
}
