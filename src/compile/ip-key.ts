/**
 * A Map key for an address: IPv4 as its 32-bit number (no string building on the hot path: ~10 ns
 * where ipaddr.js `toString()` costs ~270 ns), IPv6 as its RFC 5952 text. The pod index stores and
 * the decision looks up with this one function, so both sides always agree. Both sides hold values
 * from `parseIpAddress`, so an IPv4-mapped address is already its IPv4 key and an IPv4-compatible
 * one (`::a.b.c.d`) keys as the IPv6 address it is.
 *
 * @module
 */
import type ipaddr from 'ipaddr.js'
import type { IpAddress } from '../lib/ip-address.js'

export type IpKey = number | string

export function ipKey(ip: IpAddress): IpKey {
  if (ip.kind() === 'ipv4') {
    const o = (ip as ipaddr.IPv4).octets
    return (((o[0] ?? 0) << 24) | ((o[1] ?? 0) << 16) | ((o[2] ?? 0) << 8) | (o[3] ?? 0)) >>> 0
  }
  return ip.toString()
}
