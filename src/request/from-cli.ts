/**
 * Builds a RequestContext from `portcullis check` flags, the way Envoy would have described the
 * same request: method, URL (host from the URL unless a Host header is given), headers, source.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { canonicalIp } from '../lib/ip-address.js'
import type { RequestContext } from './request-context.js'

export interface CliRequestInput {
  readonly method: string
  readonly url: string
  /** `Name: value` strings as given to `-H`. */
  readonly headers: readonly string[]
  readonly sourceIp?: string | undefined
  readonly sourcePrincipal?: string | undefined
  /** `key=value` strings. */
  readonly contextExtensions: readonly string[]
  readonly body?: Buffer | undefined
  readonly timeMs?: number
}

export function requestFromCli(
  input: CliRequestInput,
): { ok: true; req: RequestContext } | { ok: false; error: string } {
  let url: URL
  try {
    url = new URL(input.url)
  } catch {
    return { ok: false, error: `--url: not an absolute URL: ${input.url}` }
  }
  // The same canonical form the servers give Envoy's and the proxy's addresses.
  const sourceIp = canonicalIp(input.sourceIp)
  if (input.sourceIp !== undefined && sourceIp === undefined) {
    return { ok: false, error: `--source-ip: not an IP address: ${input.sourceIp}` }
  }
  const headers = new Map<string, string>()
  for (const h of input.headers) {
    const i = h.indexOf(':')
    if (i <= 0) return { ok: false, error: `-H: expected 'Name: value', got '${h}'` }
    const name = h.slice(0, i).trim().toLowerCase()
    const value = h.slice(i + 1).trim()
    const prev = headers.get(name)
    headers.set(name, prev === undefined ? value : `${prev},${value}`)
  }
  const ext = new Map<string, string>()
  for (const kv of input.contextExtensions) {
    const i = kv.indexOf('=')
    if (i <= 0) return { ok: false, error: `--context-extension: expected key=value, got '${kv}'` }
    ext.set(kv.slice(0, i), kv.slice(i + 1))
  }
  // The raw path as a client would send it: URL keeps percent-encoding as given.
  const rawTarget = input.url.replace(/^[a-z]+:\/\/[^/?#]*/i, '')
  const target = rawTarget === '' || rawTarget.startsWith('?') ? `/${rawTarget}` : rawTarget
  const q = target.indexOf('?')
  const path = (q < 0 ? target : target.slice(0, q)).replace(/#.*$/, '')
  const rawQuery = q < 0 ? '' : target.slice(q + 1).replace(/#.*$/, '')
  const authority = headers.get('host') ?? url.host
  headers.delete('host')
  return {
    ok: true,
    req: {
      requestId: randomUUID(),
      // As sent, like the servers: methods are case-sensitive (RFC 9110 §9.1), so `get` matches no
      // route offline either, and `check` explains the answer the service would give.
      method: input.method,
      path,
      rawQuery,
      authority,
      host: hostOf(authority),
      scheme: url.protocol.replace(':', ''),
      protocol: 'HTTP/1.1',
      headers,
      body: input.body,
      bodyPartial: false,
      sourceIp,
      sourcePrincipal: input.sourcePrincipal,
      contextExtensions: ext,
      timeMs: input.timeMs ?? Date.now(),
    },
  }
}

/** Lower-cased host without port; IPv6 literals keep their brackets stripped. */
export function hostOf(authority: string): string {
  const a = authority.trim().toLowerCase()
  if (a.startsWith('[')) {
    const end = a.indexOf(']')
    return end < 0 ? a : a.slice(1, end)
  }
  const colon = a.lastIndexOf(':')
  return colon < 0 ? a : a.slice(0, colon)
}
