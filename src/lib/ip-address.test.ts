/**
 * The address rule every parser shares: only `::ffff:0:0/96` (IPv4-mapped) stands for an IPv4
 * peer; `::a.b.c.d` (IPv4-compatible, RFC 4291 §2.5.5.1) and the other embeddings stay IPv6.
 * Also: strict syntax (no legacy IPv4 forms), zone ids and brackets only in `canonicalIp`.
 */
import { describe, expect, it } from 'vitest'
import { canonicalIp, ipv6Bytes, isIpv4Mapped, parseIpAddress, parseIpCidr } from './ip-address.js'

const kindAndText = (text: string): [string, string] | undefined => {
  const a = parseIpAddress(text)
  return a === undefined ? undefined : [a.kind(), a.toString()]
}

describe('parseIpAddress', () => {
  it('unwraps only IPv4-mapped addresses, in dotted or hex notation and any letter case', () => {
    expect(kindAndText('::ffff:10.50.1.5')).toEqual(['ipv4', '10.50.1.5'])
    expect(kindAndText('::FFFF:a32:105')).toEqual(['ipv4', '10.50.1.5'])
    expect(kindAndText('0:0:0:0:0:ffff:10.50.1.5')).toEqual(['ipv4', '10.50.1.5'])
  })

  it('keeps IPv4-compatible and other IPv4-embedding addresses IPv6 (ipaddr.js would map ::a.b.c.d)', () => {
    expect(kindAndText('::10.50.1.5')?.[0]).toBe('ipv6')
    expect(parseIpAddress('::10.50.1.5')?.toByteArray()).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 50, 1, 5,
    ])
    expect(kindAndText('::ffff:0:10.50.1.5')?.[0]).toBe('ipv6') // RFC 6145 translated
    expect(kindAndText('64:ff9b::10.50.1.5')?.[0]).toBe('ipv6') // RFC 6052 NAT64
    expect(kindAndText('::1')?.[0]).toBe('ipv6')
    expect(kindAndText('::')?.[0]).toBe('ipv6')
  })

  it.each([
    '127.1',
    '0x7f.0.0.1',
    '010.0.0.1',
    '10.0.0.256',
    '::1.2.3',
    'fe80::1%eth0',
    '[::1]',
    '',
    'x',
  ])('refuses %j (legacy IPv4, zone id, brackets, garbage)', (text) => {
    expect(parseIpAddress(text)).toBeUndefined()
  })
})

describe('ipv6Bytes', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['1::1.2.3.4', '00010000000000000000000001020304'],
    ['::10.50.1.5', '0000000000000000000000000a320105'],
    ['fe80:0000::0001', 'fe800000000000000000000000000001'],
  ])('%s', (text, hex) => {
    expect(Buffer.from(ipv6Bytes(text) ?? []).toString('hex')).toBe(hex)
  })

  it('refuses IPv4 text and zone ids', () => {
    expect(ipv6Bytes('10.0.0.1')).toBeNull()
    expect(ipv6Bytes('fe80::1%1')).toBeNull()
  })

  it('isIpv4Mapped is exactly ::ffff:0:0/96', () => {
    expect(isIpv4Mapped(ipv6Bytes('::ffff:1.2.3.4') ?? [])).toBe(true)
    expect(isIpv4Mapped(ipv6Bytes('::1.2.3.4') ?? [])).toBe(false)
    expect(isIpv4Mapped(ipv6Bytes('1::ffff:1.2.3.4') ?? [])).toBe(false)
  })
})

describe('parseIpCidr', () => {
  it('parses blocks in the family they are written in', () => {
    expect(parseIpCidr('10.0.0.0/8')?.map(String)).toEqual(['10.0.0.0', '8'])
    expect(parseIpCidr('10.1.2.3')?.map(String)).toEqual(['10.1.2.3', '32'])
    expect(parseIpCidr('fd00::/8')?.map(String)).toEqual(['fd00::', '8'])
    const compat = parseIpCidr('::10.0.0.0/104')
    expect(compat?.[0].kind()).toBe('ipv6')
    expect(compat?.[0].toByteArray().slice(10)).toEqual([0, 0, 10, 0, 0, 0])
  })

  it.each([
    '10.0.0.0/33',
    'fd00::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '127.1/8',
    'fe80::%1/64',
  ])('refuses %j', (text) => {
    expect(parseIpCidr(text)).toBeUndefined()
  })
})

describe('canonicalIp', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    [' 10.1.2.3 ', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['[::ffff:10.1.2.3]', '10.1.2.3'],
    ['::10.1.2.3', '::a01:203'],
    ['2001:0DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['127.1', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (raw, expected) => {
    expect(canonicalIp(raw)).toBe(expected)
  })
})
