/**
 * Fills the condition keys (docs/decision-flow.md) from the request, once per check. Keys are
 * stored lower-cased because IAM key names are case-insensitive. Keys AWS leaves absent stay absent
 * (e.g. `aws:SourceIp` on a private API, `aws:Referer` without the header), because absence has its
 * own meaning in IAM (negated operators, `...IfExists`, `Null`).
 *
 * @module
 */
import type { ConditionValue } from '../policy/types.js'
import type { RequestContext } from '../request/request-context.js'

export interface SourceAttribution {
  /**
   * `portcullis:SourcePrincipal`: the source principal only when it is a valid SPIFFE id of a
   * configured trust domain (identifyPeer); a foreign or malformed one leaves the key absent.
   */
  readonly principal: string | undefined
  readonly namespace: string | undefined
  readonly serviceAccount: string | undefined
  /** PrivateEndpoint name the request came through (private APIs only). */
  readonly endpointName: string | undefined
}

let lastSecond = -1
let lastTime = { iso: '', epoch: '' }

/** aws:CurrentTime (ISO 8601 without milliseconds, as AWS prints it) and aws:EpochTime, formatted once per second. */
function timeKeys(timeMs: number): { iso: string; epoch: string } {
  const second = Math.floor(timeMs / 1000)
  if (second !== lastSecond) {
    lastTime = {
      iso: new Date(second * 1000).toISOString().replace('.000Z', 'Z'),
      epoch: String(second),
    }
    lastSecond = second
  }
  return lastTime
}

export function buildConditionContext(
  req: RequestContext,
  isPrivate: boolean,
  source: SourceAttribution,
): Map<string, ConditionValue> {
  const ctx = new Map<string, ConditionValue>()
  const time = timeKeys(req.timeMs)
  ctx.set('aws:currenttime', time.iso)
  ctx.set('aws:epochtime', time.epoch)
  ctx.set('aws:securetransport', req.scheme === 'https' ? 'true' : 'false')
  const referer = req.headers.get('referer')
  if (referer !== undefined) ctx.set('aws:referer', referer)
  const ua = req.headers.get('user-agent')
  if (ua !== undefined) ctx.set('aws:useragent', ua)
  if (req.sourceIp !== undefined) {
    // Through a VPC endpoint AWS rewrites the source: the client IP is aws:VpcSourceIp and
    // aws:SourceIp is absent (docs/aws-semantics.md#private-apis).
    ctx.set(isPrivate ? 'aws:vpcsourceip' : 'aws:sourceip', req.sourceIp)
  }
  if (isPrivate) {
    if (source.endpointName !== undefined) ctx.set('aws:sourcevpce', source.endpointName)
    if (source.namespace !== undefined) ctx.set('aws:sourcevpc', source.namespace)
  }
  if (source.namespace !== undefined) ctx.set('portcullis:sourcenamespace', source.namespace)
  if (source.serviceAccount !== undefined) {
    ctx.set('portcullis:sourceserviceaccount', source.serviceAccount)
  }
  if (source.principal !== undefined) ctx.set('portcullis:sourceprincipal', source.principal)
  return ctx
}

/** A copy of `base` with an authenticated principal's keys added (aws:PrincipalArn, tags, ...). */
export function withPrincipalKeys(
  base: ReadonlyMap<string, ConditionValue>,
  principalKeys: ReadonlyMap<string, string>,
): Map<string, ConditionValue> {
  const ctx = new Map(base)
  for (const [k, v] of principalKeys) ctx.set(k, v)
  return ctx
}
