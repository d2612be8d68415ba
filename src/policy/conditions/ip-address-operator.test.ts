/**
 * IpAddress values and request values agree with the shared address rule: an IPv4-compatible
 * address (`::a.b.c.d`) is IPv6, never inside an IPv4 block, and a policy block written in that
 * form means the IPv6 addresses it spells.
 */
import { describe, expect, it } from 'vitest'
import { compileIpAddress } from './ip-address-operator.js'

function matcher(...values: string[]): (requestValue: string) => boolean {
  const r = compileIpAddress({ values, paths: values.map((_, i) => `v[${i}]`), variables: false })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return (v) => r.test(v, new Map())
}

describe('compileIpAddress', () => {
  it('an IPv4 block matches IPv4 request values, not the IPv4-compatible IPv6 spelling', () => {
    const inTen = matcher('10.50.0.0/16')
    expect(inTen('10.50.1.5')).toBe(true)
    expect(inTen('::a32:105')).toBe(false)
    expect(inTen('::10.50.1.5')).toBe(false)
  })

  it('a block written as ::a.b.c.d/n covers IPv4-compatible addresses, not IPv4-mapped ones', () => {
    const compat = matcher('::10.50.0.0/112')
    expect(compat('::10.50.1.5')).toBe(true)
    expect(compat('::a32:105')).toBe(true)
    expect(compat('::ffff:10.50.1.5')).toBe(false)
    expect(compat('10.50.1.5')).toBe(false)
  })

  it('refuses legacy IPv4 forms and zone ids at compile time', () => {
    for (const bad of ['127.1', '::ffff:0x7f.0.0.1', 'fe80::1%eth0']) {
      const r = compileIpAddress({ values: [bad], paths: ['v'], variables: false })
      expect(r.ok).toBe(false)
    }
  })
})
