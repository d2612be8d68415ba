/**
 * identifyPeer: only a valid SPIFFE id of a configured trust domain names a namespace and service
 * account or reaches policies as portcullis:SourcePrincipal; foreign and malformed ids identify
 * nothing but still count as presented; trust domain lists are validated at startup.
 */
import { describe, expect, it } from 'vitest'
import { compileTrustDomains, DEFAULT_TRUST_DOMAINS, identifyPeer } from './peer-identity.js'

const NOBODY = { principal: undefined, namespace: undefined, serviceAccount: undefined }

describe('identifyPeer', () => {
  it('no principal: undefined (nothing presented)', () => {
    expect(identifyPeer(undefined, DEFAULT_TRUST_DOMAINS)).toBeUndefined()
    expect(identifyPeer('', DEFAULT_TRUST_DOMAINS)).toBeUndefined()
  })

  it('an Istio id of a configured trust domain names namespace and service account', () => {
    const p = 'spiffe://cluster.local/ns/ops/sa/default'
    expect(identifyPeer(p, DEFAULT_TRUST_DOMAINS)).toEqual({
      principal: p,
      namespace: 'ops',
      serviceAccount: 'default',
    })
  })

  it('another path in a configured trust domain is a principal without namespace', () => {
    for (const p of [
      'spiffe://cluster.local/payments/web',
      'spiffe://cluster.local',
      'spiffe://cluster.local/ns/ops',
      'spiffe://cluster.local/ns/ops/sa/default/extra',
      'spiffe://cluster.local/sa/default/ns/ops',
    ]) {
      expect(identifyPeer(p, DEFAULT_TRUST_DOMAINS), p).toEqual({
        principal: p,
        namespace: undefined,
        serviceAccount: undefined,
      })
    }
  })

  it('a foreign trust domain identifies nothing unless configured', () => {
    const p = 'spiffe://other.example/ns/ops/sa/default'
    expect(identifyPeer(p, DEFAULT_TRUST_DOMAINS)).toEqual(NOBODY)
    const federated = compileTrustDomains(['cluster.local', 'other.example'])
    expect(identifyPeer(p, federated)).toEqual({
      principal: p,
      namespace: 'ops',
      serviceAccount: 'default',
    })
    // The configured domain must match exactly: no suffix or case folding.
    expect(identifyPeer('spiffe://evil.cluster.local/ns/ops/sa/default', federated)).toEqual(NOBODY)
  })

  it.each([
    'spiffe://evil@cluster.local/ns/ops/sa/default',
    'spiffe://cluster.local/ns/ops/sa/default?x=1',
    'spiffe://cluster.local/ns/ops/sa/default#x',
    'spiffe://cluster.local:15443/ns/ops/sa/default',
    'spiffe://cluster.local/ns/op%73/sa/default',
    'spiffe://cluster.local/ns/x/../ops/sa/default',
    'CN=ops,O=cluster.local',
    'https://cluster.local/ns/ops/sa/default',
  ])('a malformed or non-SPIFFE principal identifies nothing: %s', (p) => {
    expect(identifyPeer(p, DEFAULT_TRUST_DOMAINS)).toEqual(NOBODY)
  })
})

describe('compileTrustDomains', () => {
  it('refuses an empty list and invalid names at startup', () => {
    expect(() => compileTrustDomains([])).toThrow(TypeError)
    for (const bad of ['Cluster.local', 'spiffe://cluster.local', 'a:1', '']) {
      expect(() => compileTrustDomains([bad]), bad).toThrow(TypeError)
    }
    expect([...compileTrustDomains(['a.example', 'b.example'])]).toEqual(['a.example', 'b.example'])
  })
})
