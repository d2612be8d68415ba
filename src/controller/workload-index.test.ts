/**
 * The pod/namespace index: which pods may own an IP (running, not host-network, with an IP), how
 * watch events (as the reflector hands them: previous and next slim record) move IPs and labels,
 * that an IP claimed by two pods resolves to nobody, and when Kubernetes mode needs the index at all.
 */
import { describe, expect, it } from 'vitest'
import { ipKey } from '../compile/ip-key.js'
import { parseIp } from '../compile/private-endpoint-sources.js'
import { parseManifestObject, type LoadedObject } from '../sources/manifest.js'
import { needsWorkloadIndex } from './needs-workload-index.js'
import { PodEntry, WorkloadIndex, slimNamespace, slimPod } from './workload-index.js'

const pod = (
  name: string,
  opts: {
    ns?: string
    ip?: string
    ips?: string[]
    labels?: Record<string, string>
    sa?: string
    phase?: string
    hostNetwork?: boolean
  } = {},
): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: opts.ns ?? 'web',
    labels: opts.labels ?? { app: name },
    resourceVersion: '1',
    managedFields: [{ manager: 'x' }],
  },
  spec: {
    containers: [{ name: 'c', image: 'busybox' }],
    ...(opts.sa ? { serviceAccountName: opts.sa } : {}),
    ...(opts.hostNetwork ? { hostNetwork: true } : {}),
  },
  status: {
    phase: opts.phase ?? 'Running',
    ...(opts.ip ? { podIP: opts.ip } : {}),
    ...(opts.ips ? { podIPs: opts.ips.map((ip) => ({ ip })) } : {}),
    conditions: [{ type: 'Ready', status: 'True' }],
  },
})

const ns = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels, resourceVersion: '1' },
  status: { phase: 'Active' },
})

function ip(text: string) {
  const a = parseIp(text)
  if (a === undefined) throw new Error(`bad IP ${text}`)
  return a
}

function slim(raw: Record<string, unknown>): Record<string, unknown> {
  const s = slimPod(raw)
  if (s === undefined) throw new Error('pod dropped')
  return s
}

describe('slimPod', () => {
  it('keeps only namespace, name, service account, labels and normalised IPs', () => {
    const s = slimPod(
      pod('ui', { ip: '10.0.1.2', ips: ['10.0.1.2', 'fd00:0:0::0:2'], sa: 'frontend' }),
    )
    expect(s).toEqual({
      metadata: { namespace: 'web', name: 'ui' },
      entry: new PodEntry('web', 'frontend', new Map([['app', 'ui']]), [
        ipKey(ip('10.0.1.2')),
        'fd00::2',
      ]),
    })
  })

  it('a pod naming no service account runs as `default`', () => {
    expect((slim(pod('a', { ip: '10.0.0.9' }))['entry'] as PodEntry).serviceAccount).toBe('default')
  })

  it('drops pods that cannot own their IP: finished, host-network, no IP yet, or garbage', () => {
    expect(slimPod(pod('done', { ip: '10.0.0.1', phase: 'Succeeded' }))).toBeUndefined()
    expect(slimPod(pod('crashed', { ip: '10.0.0.1', phase: 'Failed' }))).toBeUndefined()
    expect(slimPod(pod('node-agent', { ip: '192.168.0.5', hostNetwork: true }))).toBeUndefined()
    expect(slimPod(pod('pending'))).toBeUndefined()
    expect(slimPod(pod('bad-ip', { ip: 'not-an-ip' }))).toBeUndefined()
    expect(slimPod({ metadata: { name: 'x' } })).toBeUndefined()
    // Pending with an IP (sandbox up, containers starting) is indexed: it can already send.
    expect(slimPod(pod('starting', { ip: '10.0.0.3', phase: 'Pending' }))).toBeDefined()
  })
})

describe('ipKey', () => {
  it('IPv4 as its 32-bit number, IPv6 as RFC 5952 text; one key per address however it is written', () => {
    expect(ipKey(ip('10.0.1.2'))).toBe(0x0a000102)
    expect(ipKey(ip('255.255.255.255'))).toBe(0xffffffff)
    expect(ipKey(ip('::ffff:10.0.1.2'))).toBe(0x0a000102)
    expect(ipKey(ip('FD00:0:0:0:0:0:0:1'))).toBe('fd00::1')
    expect(ipKey(ip('10.0.1.2'))).not.toBe(ipKey(ip('10.0.2.1')))
  })

  it('an IPv4-compatible address (::a.b.c.d) is not its IPv4 pod: only ::ffff:a.b.c.d is', () => {
    const idx = new WorkloadIndex()
    idx.applyPod('web/a', undefined, slim(pod('a', { ip: '10.0.0.1' })))
    expect(idx.podByIp(ip('::ffff:10.0.0.1'))).toBeDefined()
    expect(idx.podByIp(ip('::10.0.0.1'))).toBeUndefined()
    expect(ipKey(ip('::10.0.1.2'))).toBe('::a00:102')
  })
})

describe('WorkloadIndex', () => {
  it('an added pod is found by each of its IPs; a deleted one is gone', () => {
    const idx = new WorkloadIndex()
    const a = slim(pod('a', { ip: '10.0.0.1', ips: ['10.0.0.1', 'fd00::1'], sa: 'sa-a' }))
    idx.applyPod('web/a', undefined, a)
    expect(idx.podByIp(ip('10.0.0.1'))).toMatchObject({ namespace: 'web', serviceAccount: 'sa-a' })
    expect(idx.podByIp(ip('fd00:0::1'))?.labels.get('app')).toBe('a')
    expect(idx.podByIp(ip('10.0.0.2'))).toBeUndefined()
    idx.applyPod('web/a', a, undefined)
    expect(idx.podByIp(ip('10.0.0.1'))).toBeUndefined()
    expect(idx.stats()).toEqual({ pods: 0, ips: 0, ambiguousIps: 0, namespaces: 0 })
  })

  it('a label change replaces the pod record: lookups see the new labels at once', () => {
    const idx = new WorkloadIndex()
    const v1 = slim(pod('a', { ip: '10.0.0.1', labels: { app: 'a', tier: 'fe' } }))
    const v2 = slim(pod('a', { ip: '10.0.0.1', labels: { app: 'a', tier: 'be' } }))
    idx.applyPod('web/a', undefined, v1)
    idx.applyPod('web/a', v1, v2)
    expect(idx.podByIp(ip('10.0.0.1'))?.labels.get('tier')).toBe('be')
    expect(idx.stats().pods).toBe(1)
  })

  it('a pod that finishes (record dropped) releases its IP', () => {
    const idx = new WorkloadIndex()
    const running = slim(pod('job', { ip: '10.0.0.7' }))
    idx.applyPod('web/job', undefined, running)
    idx.applyPod('web/job', running, slimPod(pod('job', { ip: '10.0.0.7', phase: 'Succeeded' })))
    expect(idx.podByIp(ip('10.0.0.7'))).toBeUndefined()
  })

  it('an IP claimed by two pods resolves to nobody until one lets go (fail closed on reuse races)', () => {
    const idx = new WorkloadIndex()
    const old = slim(pod('old', { ip: '10.0.0.5', ns: 'shop' }))
    const fresh = slim(pod('new', { ip: '10.0.0.5', ns: 'web' }))
    idx.applyPod('shop/old', undefined, old)
    idx.applyPod('web/new', undefined, fresh)
    expect(idx.podByIp(ip('10.0.0.5'))).toBeUndefined()
    expect(idx.stats().ambiguousIps).toBe(1)
    idx.applyPod('shop/old', old, undefined)
    expect(idx.podByIp(ip('10.0.0.5'))?.namespace).toBe('web')
    // Three claimants, two leave.
    const x = slim(pod('x', { ip: '10.0.0.6' }))
    const y = slim(pod('y', { ip: '10.0.0.6' }))
    const z = slim(pod('z', { ip: '10.0.0.6' }))
    for (const [k, r] of [
      ['x', x],
      ['y', y],
      ['z', z],
    ] as const)
      idx.applyPod(k, undefined, r)
    idx.applyPod('x', x, undefined)
    expect(idx.podByIp(ip('10.0.0.6'))).toBeUndefined()
    idx.applyPod('z', z, undefined)
    expect(idx.podByIp(ip('10.0.0.6'))?.labels.get('app')).toBe('y')
  })

  it('a pod whose IP changes (sandbox recreated) moves to the new IP', () => {
    const idx = new WorkloadIndex()
    const v1 = slim(pod('a', { ip: '10.0.0.1' }))
    const v2 = slim(pod('a', { ip: '10.0.0.2' }))
    idx.applyPod('web/a', undefined, v1)
    idx.applyPod('web/a', v1, v2)
    expect(idx.podByIp(ip('10.0.0.1'))).toBeUndefined()
    expect(idx.podByIp(ip('10.0.0.2'))?.namespace).toBe('web')
  })

  it('namespaces: labels by name, replaced on change, gone on delete; clear() forgets everything', () => {
    const idx = new WorkloadIndex()
    const v1 = slimNamespace(ns('web', { team: 'a' }))
    const v2 = slimNamespace(ns('web', { team: 'b' }))
    idx.applyNamespace('/web', undefined, v1)
    expect(idx.namespaceLabels('web')?.get('team')).toBe('a')
    idx.applyNamespace('/web', v1, v2)
    expect(idx.namespaceLabels('web')?.get('team')).toBe('b')
    idx.applyNamespace('/web', v2, undefined)
    expect(idx.namespaceLabels('web')).toBeUndefined()
    idx.applyNamespace('/web', undefined, v2)
    idx.applyPod('web/a', undefined, slim(pod('a', { ip: '10.0.0.1' })))
    idx.clear()
    expect(idx.namespaceLabels('web')).toBeUndefined()
    expect(idx.podByIp(ip('10.0.0.1'))).toBeUndefined()
  })

  it('ignores records that are not its own (never trusts a foreign shape)', () => {
    const idx = new WorkloadIndex()
    idx.applyPod('web/a', undefined, {
      metadata: { name: 'a' },
      entry: { namespace: 'web', serviceAccount: 'x', labels: new Map(), ips: ['10.0.0.1'] },
    })
    expect(idx.podByIp(ip('10.0.0.1'))).toBeUndefined()
  })
})

describe('needsWorkloadIndex', () => {
  const load = (raw: unknown): LoadedObject => {
    const r = parseManifestObject(raw, 'test')
    if (r.status !== 'loaded') throw new Error(JSON.stringify(r))
    return r.object
  }
  const endpoint = (sources: unknown[]) =>
    load({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'PrivateEndpoint',
      metadata: { name: 'e', namespace: 'shop' },
      spec: { sources },
    })

  it('true for any source pod identity can satisfy; false for ipBlocks only or no endpoints', () => {
    expect(needsWorkloadIndex([])).toBe(false)
    expect(needsWorkloadIndex([endpoint([{ ipBlocks: [{ cidr: '10.0.0.0/8' }] }])])).toBe(false)
    for (const s of [
      { namespaceSelector: {} },
      { podSelector: { matchLabels: { a: 'b' } } },
      { namespaces: ['web'] },
      { serviceAccounts: [{ namespace: 'web', name: 'ui' }] },
    ]) {
      expect(needsWorkloadIndex([endpoint([{ ipBlocks: [{ cidr: '10.0.0.0/8' }] }, s])])).toBe(true)
    }
  })
})
