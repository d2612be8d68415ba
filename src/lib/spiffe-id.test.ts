/**
 * The SPIFFE-ID grammar, case by case: what a valid id is, and every loose form (userinfo, port,
 * query, fragment, escapes, dot and empty segments, case, length) refused rather than repaired.
 */
import { describe, expect, it } from 'vitest'
import { isTrustDomainName, parseSpiffeId, SPIFFE_ID_MAX_LENGTH } from './spiffe-id.js'

describe('parseSpiffeId', () => {
  it.each([
    ['spiffe://cluster.local/ns/web/sa/frontend', 'cluster.local', '/ns/web/sa/frontend'],
    ['spiffe://cluster.local', 'cluster.local', ''],
    ['spiffe://td_1-a.example/A.b-C_9', 'td_1-a.example', '/A.b-C_9'],
    ['spiffe://example.org/..a/.b/a..', 'example.org', '/..a/.b/a..'],
    [
      'spiffe://x/9eebccd2-12bf-40a6-b262-65fe0487d453',
      'x',
      '/9eebccd2-12bf-40a6-b262-65fe0487d453',
    ],
  ])('accepts %s', (text, trustDomain, path) => {
    expect(parseSpiffeId(text)).toEqual({ trustDomain, path })
  })

  it.each([
    ['empty', ''],
    ['another scheme', 'https://cluster.local/ns/a/sa/b'],
    ['upper-case scheme', 'SPIFFE://cluster.local/ns/a/sa/b'],
    ['no authority', 'spiffe:/cluster.local/ns/a/sa/b'],
    ['empty trust domain', 'spiffe:///ns/a/sa/b'],
    ['userinfo', 'spiffe://evil@cluster.local/ns/a/sa/b'],
    ['empty userinfo', 'spiffe://@cluster.local/ns/a/sa/b'],
    ['port', 'spiffe://cluster.local:8443/ns/a/sa/b'],
    ['empty port', 'spiffe://cluster.local:/ns/a/sa/b'],
    ['upper-case trust domain', 'spiffe://Cluster.local/ns/a/sa/b'],
    ['percent-encoded trust domain', 'spiffe://cluster%2elocal/ns/a/sa/b'],
    ['IP literal trust domain', 'spiffe://[::1]/ns/a/sa/b'],
    ['query', 'spiffe://cluster.local/ns/a/sa/b?x=1'],
    ['empty query', 'spiffe://cluster.local/ns/a/sa/b?'],
    ['query on the trust domain', 'spiffe://cluster.local?x=1'],
    ['fragment', 'spiffe://cluster.local/ns/a/sa/b#x'],
    ['percent-encoded path', 'spiffe://cluster.local/ns/%61/sa/b'],
    ['trailing slash', 'spiffe://cluster.local/ns/a/sa/b/'],
    ['root path only', 'spiffe://cluster.local/'],
    ['empty segment', 'spiffe://cluster.local/ns//a/sa/b'],
    ['dot segment', 'spiffe://cluster.local/ns/./a/sa/b'],
    ['dot-dot segment', 'spiffe://cluster.local/ns/x/../a/sa/b'],
    ['final dot-dot', 'spiffe://cluster.local/ns/a/sa/..'],
    ['space', 'spiffe://cluster.local/ns/a b/sa/b'],
    ['non-ASCII', 'spiffe://cluster.local/ns/ä/sa/b'],
    ['backslash', 'spiffe://cluster.local\\ns/a/sa/b'],
    ['control character', 'spiffe://cluster.local/ns/a\n/sa/b'],
    ['leading space', ' spiffe://cluster.local/ns/a/sa/b'],
  ])('refuses %s', (_what, text) => {
    expect(parseSpiffeId(text)).toBeUndefined()
  })

  it('accepts 2048 bytes and refuses 2049; a trust domain up to 255 bytes', () => {
    const base = 'spiffe://cluster.local/'
    const max = base + 'a'.repeat(SPIFFE_ID_MAX_LENGTH - base.length)
    expect(parseSpiffeId(max)?.trustDomain).toBe('cluster.local')
    expect(parseSpiffeId(`${max}a`)).toBeUndefined()
    expect(parseSpiffeId(`spiffe://${'a'.repeat(255)}/x`)?.trustDomain).toHaveLength(255)
    expect(parseSpiffeId(`spiffe://${'a'.repeat(256)}/x`)).toBeUndefined()
  })

  it('never throws, whatever the input', () => {
    for (let c = 0; c < 0x3000; c += 7) {
      const ch = String.fromCharCode(c)
      expect(() => parseSpiffeId(`spiffe://cluster.local/ns/${ch}/sa/${ch}`)).not.toThrow()
      expect(() => parseSpiffeId(`spiffe://${ch}`)).not.toThrow()
    }
  })
})

describe('isTrustDomainName', () => {
  it('accepts the trust domain alphabet only', () => {
    expect(isTrustDomainName('cluster.local')).toBe(true)
    expect(isTrustDomainName('prod_west-2.example.com')).toBe(true)
    for (const bad of [
      '',
      'Cluster.local',
      'a b',
      'a:1',
      'a@b',
      'a/b',
      'spiffe://a',
      'x'.repeat(256),
    ]) {
      expect(isTrustDomainName(bad), bad).toBe(false)
    }
  })
})
