import { describe, expect, it } from 'vitest'
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
