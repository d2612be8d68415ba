/**
 * What an mTLS source principal tells the decision: the workload's namespace and service account
 * (Istio's `spiffe://<td>/ns/<ns>/sa/<sa>`), and the principal policies may see as
 * `portcullis:SourcePrincipal`, for the trust domains this instance is configured to believe.
 *
 * A namespace name means something only inside the trust domain that issued it: a federated or
 * foreign domain's `ns/ops` is not our `ops`. So an id from an unlisted trust domain, and anything
 * that is not a valid SPIFFE id (query, fragment, userinfo, port, escapes, dot segments, upper-case
 * trust domain...), identifies nothing: no namespace, no service account, and no
 * `portcullis:SourcePrincipal` either (absent, as for a request without mTLS), so no policy can
 * match on text we do not vouch for. Such a principal still counts as presented: the pod that owns
 * the source IP does not stand in for it (see resolveSourceIdentity).
 *
 * @module
 */
import { isTrustDomainName, parseSpiffeId } from '../lib/spiffe-id.js'

/** The configured trust domains, checked once at startup. */
export type TrustDomains = ReadonlySet<string>

export const DEFAULT_TRUST_DOMAIN = 'cluster.local'

/**
 * Validates `--trust-domains` names. Throws TypeError on an empty list or a name that is not a
 * trust domain (`[a-z0-9._-]`, 1–255 bytes), so a typo never silently trusts or distrusts a domain.
 */
export function compileTrustDomains(names: readonly string[]): TrustDomains {
  if (names.length === 0) throw new TypeError('trustDomains: at least one trust domain is needed')
  for (const n of names) {
    if (!isTrustDomainName(n)) {
      throw new TypeError(
        `trustDomains: ${JSON.stringify(n)} is not a trust domain name (lower-case letters, digits, '.', '-', '_')`,
      )
    }
  }
  return new Set(names)
}

export const DEFAULT_TRUST_DOMAINS: TrustDomains = compileTrustDomains([DEFAULT_TRUST_DOMAIN])

export interface PeerIdentity {
  /** `portcullis:SourcePrincipal`: a valid SPIFFE id of a configured trust domain, else undefined. */
  readonly principal: string | undefined
  readonly namespace: string | undefined
  readonly serviceAccount: string | undefined
}

/** A presented principal that identifies nothing (foreign trust domain or malformed). */
const NOBODY: PeerIdentity = Object.freeze({
  principal: undefined,
  namespace: undefined,
  serviceAccount: undefined,
})

/**
 * The identity behind a source principal, or undefined when no principal was presented. One parse
 * of the principal; the trust domain check is a Set lookup.
 */
export function identifyPeer(
  principal: string | undefined,
  trustDomains: TrustDomains,
): PeerIdentity | undefined {
  if (principal === undefined || principal === '') return undefined
  const id = parseSpiffeId(principal)
  if (id === undefined || !trustDomains.has(id.trustDomain)) return NOBODY
  // The path is already checked segment by segment: `/ns/<ns>/sa/<sa>` is five parts split on `/`.
  const parts = id.path.split('/')
  if (parts.length === 5 && parts[1] === 'ns' && parts[3] === 'sa') {
    return { principal, namespace: parts[2], serviceAccount: parts[4] }
  }
  return { principal, namespace: undefined, serviceAccount: undefined }
}
