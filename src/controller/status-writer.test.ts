/**
 * The status writer through @kubernetes/client-node's real HTTP against a PROTOCOL DOUBLE (a
 * loopback server that records PATCHes to `/status` and answers 200, 404 or 500): leader only,
 * merge patches, nothing written when the stored status already matches, a written status is not
 * rewritten while the watch catches up, the rate limit holds, 404 is dropped and 500 retried.
 * The real API server path is covered by test/integration/kubernetes-mode.test.ts.
 */
import { createServer, type Server } from 'node:http'
import { KubeConfig } from '@kubernetes/client-node'
import { afterEach, describe, expect, it } from 'vitest'
import { KubeClient } from '../sources/kubernetes-client.js'
import type { CustomObjectView } from '../sources/kubernetes-source.js'
import { readyStatusPatch, type ReadyTarget } from './ready-condition.js'
import { StatusWriter } from './status-writer.js'

interface Recorded {
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  readonly body: unknown
  readonly at: number
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

async function double(answer: (path: string, n: number) => number) {
  const seen: Recorded[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      seen.push({
        method: req.method ?? '',
        path,
        contentType: req.headers['content-type'],
        body: JSON.parse(body || 'null') as unknown,
        at: Date.now(),
      })
      const status = answer(path, seen.filter((s) => s.path === path).length)
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? body : '{"kind":"Status","message":"x"}')
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const kc = new KubeConfig()
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off; the double is loopback http.
    clusters: [
      {
        name: 'd',
        server: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'd', user: 'u' }],
    currentContext: 'c',
  })
  return { seen, client: new KubeClient(kc, { timeoutMs: 2000 }) }
}

const view = (name: string, status?: unknown): CustomObjectView => ({
  kind: 'RestApi',
  plural: 'restapis',
  namespace: 'shop',
  name,
  generation: 1,
  status,
})
const bad = (name: string, status?: unknown): ReadyTarget => ({
  object: view(name, status),
  desired: { status: 'False', reason: 'Invalid', message: 'spec.x: bad', observedGeneration: 1 },
})

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('StatusWriter (against a status-subresource protocol double)', () => {
  it('merge-patches /status once; does not rewrite while the watch catches up; skips matching statuses', async () => {
    const d = await double(() => 200)
    const w = new StatusWriter({ client: d.client, isLeader: () => true })
    w.update([bad('a')])
    await w.idle()
    w.update([bad('a')]) // same desired, stored status not yet updated by the watch
    await w.idle()
    expect(d.seen).toHaveLength(1)
    expect(d.seen[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/portcullis.dev/v1alpha1/namespaces/shop/restapis/a/status',
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          observedGeneration: 1,
          conditions: [
            { type: 'Ready', status: 'False', reason: 'Invalid', message: 'spec.x: bad' },
          ],
        },
      },
    })
    // Stored status already says so: nothing to write.
    const stored = readyStatusPatch(undefined, bad('b').desired, Date.now()).status
    w.update([bad('b', stored)])
    await w.idle()
    expect(d.seen).toHaveLength(1)
    w.close()
  })

  it('followers write nothing', async () => {
    const d = await double(() => 200)
    const w = new StatusWriter({ client: d.client, isLeader: () => false })
    w.update([bad('a'), bad('b')])
    await w.idle()
    expect(d.seen).toHaveLength(0)
  })

  it('holds the rate: a burst of 2 then 20/s', async () => {
    const d = await double(() => 200)
    const w = new StatusWriter({
      client: d.client,
      isLeader: () => true,
      burst: 2,
      writesPerSecond: 20,
    })
    w.update(Array.from({ length: 8 }, (_, i) => bad(`o${i}`)))
    await w.idle()
    expect(d.seen).toHaveLength(8)
    const spanMs = (d.seen.at(-1)?.at ?? 0) - (d.seen[0]?.at ?? 0)
    // 6 writes beyond the burst at 20/s need at least ~300 ms.
    expect(spanMs).toBeGreaterThanOrEqual(250)
    w.close()
  })

  it('drops an object that vanished (404) and retries a failed write (500) until it lands', async () => {
    const d = await double((path, n) =>
      path.includes('/gone/') ? 404 : path.includes('/flaky/') && n < 2 ? 500 : 200,
    )
    const w = new StatusWriter({ client: d.client, isLeader: () => true })
    w.update([bad('gone'), bad('flaky')])
    await until(() => w.writes === 1, 5000)
    expect(d.seen.filter((s) => s.path.includes('/gone/'))).toHaveLength(1)
    expect(d.seen.filter((s) => s.path.includes('/flaky/'))).toHaveLength(2)
    w.close()
  })
})
