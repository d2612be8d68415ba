/** Signing-key derivation and its bounded, rotation-safe cache. @module */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { deriveSigningKey, SigningKeyCache } from './signing-key.js'

describe('deriveSigningKey', () => {
  it("matches AWS's documented example key (IAM UG, wJalr... / 20150830 / us-east-1 / iam)", () => {
    expect(
      deriveSigningKey(
        'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        '20150830',
        'us-east-1',
        'iam',
      ).toString('hex'),
    ).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9')
  })
})

describe('SigningKeyCache', () => {
  it('derives once per scope and returns the cached key', () => {
    const cache = new SigningKeyCache(10)
    const a = cache.get('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    const b = cache.get('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    expect(b).toBe(a)
    expect(cache.size).toBe(1)
  })

  it('a rotated secret never reuses the stale key', () => {
    const cache = new SigningKeyCache(10)
    const old = cache.get('AKID', 'old-secret', '20260101', 'us-east-1', 'execute-api')
    const fresh = cache.get('AKID', 'new-secret', '20260101', 'us-east-1', 'execute-api')
    expect(fresh.equals(old)).toBe(false)
    expect(
      fresh.equals(deriveSigningKey('new-secret', '20260101', 'us-east-1', 'execute-api')),
    ).toBe(true)
  })

  it('getKeyObject holds the same bytes as get, shares the cache entry, and follows rotation', () => {
    const cache = new SigningKeyCache(10)
    const ko = cache.getKeyObject('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    expect(ko.type).toBe('secret')
    const raw = cache.get('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    expect(ko.export().equals(raw)).toBe(true)
    expect(cache.getKeyObject('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')).toBe(ko)
    expect(cache.size).toBe(1)
    const rotated = cache.getKeyObject('AKID', 'new', '20260101', 'us-east-1', 'execute-api')
    expect(
      rotated.export().equals(deriveSigningKey('new', '20260101', 'us-east-1', 'execute-api')),
    ).toBe(true)
  })

  it('getHmacKey signs with the cached key (HMAC equals createHmac with get) and follows rotation', () => {
    const cache = new SigningKeyCache(10)
    const hk = cache.getHmacKey('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    const raw = cache.get('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')
    expect(
      hk
        .digest('string to sign')
        .equals(createHmac('sha256', raw).update('string to sign').digest()),
    ).toBe(true)
    expect(cache.getHmacKey('AKID', 'secret', '20260101', 'us-east-1', 'execute-api')).toBe(hk)
    expect(cache.size).toBe(1)
    const rotated = cache.getHmacKey('AKID', 'new', '20260101', 'us-east-1', 'execute-api')
    const fresh = deriveSigningKey('new', '20260101', 'us-east-1', 'execute-api')
    expect(rotated.digest('x').equals(createHmac('sha256', fresh).update('x').digest())).toBe(true)
  })

  it('the last-used shortcut never hands out the key of another scope (each part counts)', () => {
    const cache = new SigningKeyCache(10)
    const scopes: [string, string, string, string, string][] = [
      ['AKID', 's', '20260101', 'us-east-1', 'execute-api'],
      ['AKID', 's', '20260102', 'us-east-1', 'execute-api'],
      ['AKID', 's', '20260101', 'eu-west-1', 'execute-api'],
      ['AKID', 's', '20260101', 'us-east-1', 'iam'],
      ['AKID2', 's', '20260101', 'us-east-1', 'execute-api'],
      ['AKID', 't', '20260101', 'us-east-1', 'execute-api'],
    ]
    for (let round = 0; round < 2; round++) {
      for (const [id, secret, date, region, service] of [...scopes, ...scopes.reverse()]) {
        expect(cache.get(id, secret, date, region, service)).toEqual(
          deriveSigningKey(secret, date, region, service),
        )
      }
    }
  })

  it('is bounded (LRU eviction)', () => {
    const cache = new SigningKeyCache(3)
    for (let i = 0; i < 10; i++) cache.get(`AKID${i}`, 's', '20260101', 'us-east-1', 'execute-api')
    expect(cache.size).toBe(3)
  })

  it('rejects a non-positive size at construction (TypeError)', () => {
    expect(() => new SigningKeyCache(0)).toThrow(TypeError)
  })
})
