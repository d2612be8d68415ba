import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { normalizePath } from './normalize-path.js'

describe('normalizePath: ambiguous paths are refused, never guessed at', () => {
  it.each([
    ['/a/../b', 'dot-dot segment'],
    ['/a/./b', 'dot segment'],
    ['/a/%2e%2E/b', 'encoded dot-dot'],
    ['/a%2fb', 'encoded slash'],
    ['/a%5Cb', 'encoded backslash'],
    ['/a\\b', 'raw backslash'],
    ['/a%00b', 'encoded NUL'],
    ['/a%zzb', 'invalid escape'],
    ['/a%e2%28%a1', 'invalid UTF-8'],
    ['/a%', 'truncated escape'],
    ['relative', 'no leading slash'],
    ['', 'empty path'],
  ])('%s is rejected (%s)', (path) => {
    expect(normalizePath(path).ok).toBe(false)
  })
  it.each([
    ['/', [], '/'],
    ['/pets', ['pets'], '/pets'],
    ['/pets/a%20b', ['pets', 'a b'], '/pets/a b'],
    ['/caf%C3%A9', ['café'], '/café'],
    ['/test//', ['test', '', ''], '/test//'],
    ['/a/...', ['a', '...'], '/a/...'],
  ])('%s decodes per segment', (path, segments, decoded) => {
    expect(normalizePath(path)).toEqual({ ok: true, segments, decodedPath: decoded })
  })
})

/** The general algorithm alone (decode every segment), to hold the plain-path shortcut to. */
function reference(wirePath: string): ReturnType<typeof normalizePath> {
  if (wirePath.length === 0 || !wirePath.startsWith('/')) {
    return { ok: false, reason: 'path must start with /' }
  }
  const segments: string[] = []
  for (const raw of wirePath.slice(1).split('/')) {
    if (/[\\\x00-\x1f\x7f]/.test(raw)) {
      return { ok: false, reason: `invalid segment encoding: ${raw}` }
    }
    let decoded: string
    try {
      if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw new URIError('bad escape')
      decoded = decodeURIComponent(raw)
    } catch {
      return { ok: false, reason: `invalid segment encoding: ${raw}` }
    }
    if (/[/\\\x00-\x1f\x7f]/.test(decoded)) {
      return { ok: false, reason: `invalid segment encoding: ${raw}` }
    }
    if (decoded === '.' || decoded === '..') return { ok: false, reason: 'dot segment' }
    segments.push(decoded)
  }
  if (segments.length === 1 && segments[0] === '') segments.length = 0
  return { ok: true, segments, decodedPath: '/' + segments.join('/') }
}

describe('normalizePath equals the decode-every-segment algorithm', () => {
  it('on generated paths, plain (the shortcut) and encoded alike (5,000 cases)', () => {
    const path = fc
      .array(fc.constantFrom('/', 'a', 'é', '.', '..', '%2e', '%2F', '%41', '%', '\\', '\t', '~'), {
        maxLength: 12,
      })
      .map((parts) => `/${parts.join('')}`)
    fc.assert(
      fc.property(path, (p) => {
        const got = normalizePath(p)
        const want = reference(p)
        expect(got.ok).toBe(want.ok)
        if (got.ok && want.ok) expect(got).toEqual(want)
      }),
      { numRuns: 5000 },
    )
  })
})
