/**
 * Derived facts about a request shared by identity-source resolution and event building (context
 * variables, times, decoded path), computed the same way for both so a cache key and the event the
 * authorizer sees can never disagree.
 *
 * @module
 */
import type { AuthorizerRequest } from './authorizer-request.js'
import type { ContextIdentityVariable } from './lambda-authorizer-config.js'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `$context.requestTime` format, CLF: `12/Mar/2020:19:03:58 +0000`. */
export function clfTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? 'Jan'}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
}

/**
 * The request path with each segment percent-decoded (API Gateway's `path` / `$context.path` are
 * decoded). A segment with an invalid escape stays as received: the decider already refuses
 * ambiguous paths (docs/aws-semantics.md#ambiguous-paths), this is only a guard against throwing.
 */
export function decodedPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => {
      try {
        return decodeURIComponent(seg)
      } catch {
        return seg
      }
    })
    .join('/')
}

/** First label of the domain name: `$context.domainPrefix`. */
export function domainPrefix(domainName: string): string {
  const dot = domainName.indexOf('.')
  return dot === -1 ? domainName : domainName.slice(0, dot)
}

/** Value of a supported `$context` variable, or undefined when the request does not have it. */
export function contextVariable(
  name: ContextIdentityVariable,
  input: AuthorizerRequest,
): string | undefined {
  const req = input.req
  switch (name) {
    case 'requestId':
      return req.requestId
    case 'accountId':
      return input.accountId
    case 'apiId':
      return input.apiId
    case 'stage':
      return input.stage
    case 'httpMethod':
    case 'http.method':
      return req.method
    case 'resourcePath':
      return input.resourcePath
    case 'path':
    case 'http.path':
      return decodedPath(req.path)
    case 'domainName':
      return input.domainName
    case 'domainPrefix':
      return domainPrefix(input.domainName)
    case 'protocol':
    case 'http.protocol':
      return req.protocol
    case 'routeKey':
      return input.routeKey
    case 'requestTimeEpoch':
      return String(req.timeMs)
    case 'identity.sourceIp':
    case 'http.sourceIp':
      return req.sourceIp
    case 'identity.userAgent':
    case 'http.userAgent':
      return req.headers.get('user-agent')
  }
}
