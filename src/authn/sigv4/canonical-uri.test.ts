/** Canonical URI: the non-S3 "encode the wire path once more" rule and SDK normalisation. @module */
import { describe, expect, it } from 'vitest'

import { canonicalUri, normalizeUriPath } from './canonical-uri.js'

describe('canonicalUri', () => {
  it.each([
    ['/a%20b', '/a%2520b', 'wire escapes are encoded again (% → %25), as SDKs sign non-S3 paths'],
    [
      '/test/%40connections/x%3D',
      '/test/%2540connections/x%253D',
      'API Gateway observed form, re-encoded',
    ],
    [
      '/test/@connections/x=',
      '/test/%40connections/x%3D',
      'raw reserved chars are encoded once (okigan/awscurl#61)',
    ],
    ['', '/', 'empty path is /'],
    ['/', '/', 'root stays /'],
    ['/-._~AZaz09', '/-._~AZaz09', 'unreserved bytes are never encoded'],
    ['/ሴ', '/%E1%88%B4', 'UTF-8 bytes, upper-case hex'],
    ['/a+b', '/a%2Bb', '+ is a literal byte in a path'],
    ['/a/./b/../c/', '/a/c/', 'dot segments removed, trailing slash kept'],
    ['//a//b', '/a/b', 'repeated slashes collapse (SDK rule)'],
    ['/a/..', '/', '.. above the last segment leaves the root'],
    ['/../../x', '/x', '.. never climbs above the root'],
    ['/a/.', '/a', 'a final . drops without trailing slash (botocore, smithy)'],
  ])('%s → %s (%s)', (wire, expected) => {
    expect(canonicalUri(wire)).toBe(expected)
  })

  it('normalize: false keeps the path verbatim apart from encoding (AWS suite "unnormalized" cases)', () => {
    expect(canonicalUri('//example//', { normalize: false })).toBe('//example//')
    expect(canonicalUri('/example/..', { normalize: false })).toBe('/example/..')
  })

  it('normalizeUriPath matches the SDK helper on edge cases', () => {
    expect(normalizeUriPath('/a/b/../')).toBe('/a/')
    expect(normalizeUriPath('/./')).toBe('/')
  })
})
