/**
 * Which peers may tell us about the client's connection (`X-Forwarded-For`, `X-Real-IP`,
 * `X-Forwarded-Proto`): a CIDR list compiled once. Without it the TCP peer is the client and the
 * scheme is `http`, whatever headers say.
 *
 * @module
 */
import { canonicalIp, parseIpAddress, type IpAddress } from '../lib/ip-address.js'

/** Returns true when a canonical IP (see canonicalIp) belongs to a trusted proxy. */
export type TrustedProxies = (ip: string) => boolean

/** Trusts nobody: forwarded client addresses are ignored. */
export const TRUST_NONE: TrustedProxies = () => false

/**
 * Compiles `10.0.0.0/8`, `fd00::/8`, or bare addresses (`127.0.0.1`, `::1`). Throws TypeError on an
 * entry that is neither, at startup, so a typo never silently trusts (or distrusts) a network.
 */
export function compileTrustedProxies(cidrs: readonly string[] | undefined): TrustedProxies {
  if (cidrs === undefined || cidrs.length === 0) return TRUST_NONE
  const ranges: [IpAddress, number][] = []
  for (const entry of cidrs) {
    const slash = entry.indexOf('/')
    const addr = parseIpAddress(canonicalIp(slash === -1 ? entry : entry.slice(0, slash)))
    const bits = slash === -1 ? undefined : Number(entry.slice(slash + 1))
    if (addr === undefined || (bits !== undefined && !Number.isInteger(bits))) {
      throw new TypeError(
        `trustForwardedFrom: ${JSON.stringify(entry)} is not an IP address or CIDR`,
      )
    }
    const max = addr.kind() === 'ipv4' ? 32 : 128
    const prefix = bits ?? max
    if (prefix < 0 || prefix > max) {
      throw new TypeError(
        `trustForwardedFrom: ${JSON.stringify(entry)} has an invalid prefix length`,
      )
    }
    ranges.push([addr, prefix])
  }
  return (ip: string): boolean => {
    const addr = parseIpAddress(ip)
    if (addr === undefined) return false
    return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))
  }
}
