/**
 * Who the caller is for a private API's endpoint policy (docs/aws-semantics.md): no Authorization →
 * anonymous; a valid SigV4 signature → that principal; an invalid one → denied with AWS's signature
 * error; non-SigV4 content (a bearer token) → anonymous.
 *
 * @module
 */
import { detectSigV4, type SigningKeyCache } from '../authn/sigv4/index.js'
import type { PrivateGateIdentity } from './decide.js'
import { CallerVerifier } from './flows/iam-flow.js'

export function createPrivateGateIdentity(signingKeys: SigningKeyCache): PrivateGateIdentity {
  const verifier = new CallerVerifier(signingKeys)
  return (req, api, snapshot, deny) => {
    const presence = detectSigV4(req)
    if (presence === 'none' || presence === 'other-authorization') return { kind: 'anonymous' }
    const v = verifier.verify(req, api, snapshot, deny)
    return v.ok ? { kind: 'principal', verified: v.verified } : { kind: 'deny', outcome: v.outcome }
  }
}
