/**
 * IpAddress / NotIpAddress policy values: IPv4 or IPv6 CIDR blocks, a bare address meaning /32 or
 * /128. Strict dotted-quad IPv4, IPv6 without zone ids, and `::a.b.c.d` is the IPv6 address it
 * spells (not IPv4-mapped: see ip-address.ts). IPv4 request values are parsed by hand so the hot
 * path does not allocate; request addresses arrive canonical, IPv4-mapped ones already as IPv4.
 * @module
 */
import { ipv6Bytes } from '../../lib/ip-address.js'
import type { FamilyCompiler, PositiveTest } from './condition-types.js'

interface V4Block {
  readonly base: number
  readonly mask: number
}

interface V6Block {
  readonly bytes: readonly number[]
  readonly prefix: number
}

/** Strict dotted-quad IPv4 to an unsigned 32-bit integer, or -1. */
export function parseIpv4(text: string): number {
  let value = 0
  let part = 0
  let digits = 0
  let parts = 0
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46
    if (c === 46 /* . */) {
      if (digits === 0 || part > 255) return -1
      value = value * 256 + part
      parts++
      part = 0
      digits = 0
      continue
    }
    if (c < 48 || c > 57) return -1
    if (digits > 0 && part === 0) return -1 // no leading zeros (ambiguous octal forms)
    part = part * 10 + (c - 48)
    digits++
    if (digits > 3) return -1
  }
  return parts === 4 ? value : -1
}

function maskFor(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

type Block = { readonly v4: V4Block } | { readonly v6: V6Block }

function parseBlock(value: string): Block | null {
  const slash = value.indexOf('/')
  const address = slash === -1 ? value : value.slice(0, slash)
  const prefixText = slash === -1 ? undefined : value.slice(slash + 1)
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null
  const v4 = parseIpv4(address)
  if (v4 !== -1) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText)
    if (prefix > 32) return null
    const mask = maskFor(prefix)
    return { v4: { base: (v4 & mask) >>> 0, mask } }
  }
  const bytes = ipv6Bytes(address)
  if (bytes === null) return null
  const prefix = prefixText === undefined ? 128 : Number(prefixText)
  if (prefix > 128) return null
  return { v6: { bytes, prefix } }
}

function v6Contains(block: V6Block, bytes: readonly number[]): boolean {
  let bits = block.prefix
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if (((block.bytes[i] ?? 0) & mask) !== ((bytes[i] ?? 0) & mask)) return false
  }
  return true
}

export const compileIpAddress: FamilyCompiler = (input) => {
  const v4: V4Block[] = []
  const v6: V6Block[] = []
  const bad: number[] = []
  input.values.forEach((value, i) => {
    const block = parseBlock(value)
    if (block === null) bad.push(i)
    else if ('v4' in block) v4.push(block.v4)
    else v6.push(block.v6)
  })
  if (bad.length > 0) {
    return {
      ok: false,
      errors: bad.map((i) => ({ path: input.paths[i] ?? '', message: 'not an IP or CIDR' })),
    }
  }
  const test: PositiveTest = (r) => {
    const a = parseIpv4(r)
    if (a !== -1) {
      for (const b of v4) if ((a & b.mask) >>> 0 === b.base) return true
      return false
    }
    if (v6.length === 0) return false
    const bytes = ipv6Bytes(r)
    if (bytes === null) return false
    for (const b of v6) if (v6Contains(b, bytes)) return true
    return false
  }
  return { ok: true, test }
}
