/**
 * The one place a textual IP address becomes a value: request addresses, PrivateEndpoint
 * `ipBlocks`, trusted proxies, pod IPs and `IpAddress` policy values all parse here, so they agree.
 *
 * Syntax is `node:net`'s (strict dotted-quad IPv4 without leading zeros, RFC 4291 IPv6), never
 * ipaddr.js's parser: that one accepts legacy IPv4 forms (`127.1`, `0x7f.0.0.1`, octal `010.0.0.1`)
 * and reads the deprecated IPv4-compatible form `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`.
 * Only IPv4-mapped addresses (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) stand for an IPv4 peer; an
 * IPv4-compatible one (`::a.b.c.d`, §2.5.5.1) is an ordinary IPv6 address and never matches an
 * IPv4 range.
 *
 * @module
 */
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6

/** An address and a prefix length valid for its family. */
export type IpCidr = [IpAddress, number]

/**
 * The 16 bytes of an IPv6 address in text form (no zone id, no brackets), or null when `text` is
 * not one. Conversion by hand, after `node:net` validated the syntax, so `::a.b.c.d` keeps its
 * meaning (zeros, then the four bytes).
 */
export function ipv6Bytes(text: string): number[] | null {
  if (text.includes('%') || isIP(text) !== 6) return null
  return expandIpv6(text)
}

/** {@link ipv6Bytes} for text `isIP` already called IPv6 and that has no zone id. */
function expandIpv6(text: string): number[] {
  let s = text
  if (s.includes('.')) {
    // A trailing dotted quad is the last two 16-bit groups.
    const start = s.lastIndexOf(':') + 1
    const o = s.slice(start).split('.').map(Number)
    const hi = ((o[0] ?? 0) << 8) | (o[1] ?? 0)
    const lo = ((o[2] ?? 0) << 8) | (o[3] ?? 0)
    s = `${s.slice(0, start)}${hi.toString(16)}:${lo.toString(16)}`
  }
  const gap = s.indexOf('::')
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const left = groups(gap === -1 ? s : s.slice(0, gap))
  const right = gap === -1 ? [] : groups(s.slice(gap + 2))
  const all = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right]
  const bytes: number[] = []
  for (const g of all) {
    const v = parseInt(g, 16)
    bytes.push(v >> 8, v & 0xff)
  }
  return bytes
}

/** True for `::ffff:0:0/96`, the only IPv6 range that carries an IPv4 peer's address. */
export function isIpv4Mapped(bytes: readonly number[]): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false
  return bytes[10] === 0xff && bytes[11] === 0xff
}

/**
 * A strict textual address (no brackets, no zone id) as a value: IPv4, IPv6, or, for an
 * IPv4-mapped IPv6 address, the IPv4 address it carries. Undefined when `text` is not an address.
 */
export function parseIpAddress(text: string | undefined): IpAddress | undefined {
  if (text === undefined) return undefined
  const family = isIP(text)
  if (family === 4) return ipaddr.IPv4.parse(text)
  if (family !== 6 || text.includes('%')) return undefined
  const bytes = expandIpv6(text)
  return isIpv4Mapped(bytes) ? new ipaddr.IPv4(bytes.slice(12)) : new ipaddr.IPv6(bytes)
}

/**
 * `addr/prefix`, or a bare address as a host route (/32, /128). The block keeps the family it is
 * written in: an IPv4-mapped block stays IPv6 (and so never matches, since request addresses are
 * unmapped), and an IPv4-compatible one is IPv6 as in {@link parseIpAddress}.
 */
export function parseIpCidr(text: string): IpCidr | undefined {
  const slash = text.indexOf('/')
  const addressText = slash === -1 ? text : text.slice(0, slash)
  let addr: IpAddress
  if (isIP(addressText) === 4) addr = ipaddr.IPv4.parse(addressText)
  else {
    const bytes = ipv6Bytes(addressText)
    if (bytes === null) return undefined
    addr = new ipaddr.IPv6(bytes)
  }
  const max = addr.kind() === 'ipv4' ? 32 : 128
  if (slash === -1) return [addr, max]
  const prefixText = text.slice(slash + 1)
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  return prefix <= max ? [addr, prefix] : undefined
}

/**
 * A client address as received (possibly bracketed, possibly with a zone id) in canonical text:
 * IPv4 dotted quad, IPv6 RFC 5952, IPv4-mapped IPv6 as the IPv4 address. Undefined when `raw`
 * is not an address.
 */
export function canonicalIp(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  let s = raw.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  const pct = s.indexOf('%')
  if (pct !== -1) s = s.slice(0, pct)
  if (isIP(s) === 4) return s
  const addr = parseIpAddress(s)
  if (addr === undefined) return undefined
  return addr.kind() === 'ipv4' ? addr.toString() : (addr as ipaddr.IPv6).toRFC5952String()
}
