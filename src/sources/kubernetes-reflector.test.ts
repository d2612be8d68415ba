/**
 * The reflector's failure handling, driven through @kubernetes/client-node's real HTTP and watch
 * code against a PROTOCOL DOUBLE: a loopback HTTP server speaking the Kubernetes list/watch wire
 * protocol (JSON lists with resourceVersion and `continue` paging, `?watch=true` newline-delimited
 * event streams, a `410 Gone` ERROR event, HTTP 500s). It exists because a real API server cannot be
 * made to expire a watch or fail a list on demand; test/integration/kubernetes-*.test.ts covers the
 * same code against a real kube-apiserver.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { KubeConfig } from '@kubernetes/client-node'
import { afterEach, describe, expect, it } from 'vitest'
import { KubeClient } from './kubernetes-client.js'
import { Reflector } from './kubernetes-reflector.js'

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void

interface Double {
  readonly server: Server
  readonly client: KubeClient
  readonly requests: URL[]
  /** Handlers for successive list requests / watch requests (the last one repeats). */
  lists: Handler[]
  watches: Handler[]
}

const PATH = '/apis/portcullis.dev/v1alpha1/restapis'
const open: Server[] = []

afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

async function startDouble(): Promise<Double> {
  const d = { requests: [] as URL[], lists: [] as Handler[], watches: [] as Handler[] }
  let nList = 0
  let nWatch = 0
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    d.requests.push(url)
    const isWatch = url.searchParams.get('watch') === 'true'
    const queue = isWatch ? d.watches : d.lists
    const i = isWatch ? nWatch++ : nList++
    const h = queue[Math.min(i, queue.length - 1)]
    if (h === undefined) {
      res.writeHead(500).end()
      return
    }
    h(req, res, url)
  })
  open.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const kc = new KubeConfig()
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off; the double is loopback http.
    clusters: [{ name: 'd', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'd', user: 'u' }],
    currentContext: 'c',
  })
  return Object.assign(d, { server, client: new KubeClient(kc, { timeoutMs: 2000 }) })
}

const item = (name: string, rv: string, generation = 1) => ({
  metadata: { name, namespace: 'shop', resourceVersion: rv, generation },
  spec: { routes: [] },
})

const list =
  (rv: string, items: unknown[], cont?: string): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        kind: 'RestApiList',
        apiVersion: 'portcullis.dev/v1alpha1',
        metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
        items,
      }),
    )
  }

const stream =
  (events: unknown[], end: 'close' | 'hold'): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    for (const e of events) res.write(`${JSON.stringify(e)}\n`)
    if (end === 'close') res.end()
  }

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met')
    await new Promise((r) => setTimeout(r, 10))
  }
}

function reflector(d: Double, changes: { n: number }, extra = {}): Reflector {
  return new Reflector({
    client: d.client,
    path: PATH,
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'RestApi',
    onChange: () => {
      changes.n++
    },
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    ...extra,
  })
}

describe('Reflector (against a list/watch protocol double)', () => {
  it('lists all pages, then applies watch events from the listed resourceVersion', async () => {
    const d = await startDouble()
    d.lists = [list('10', [item('a', '5')], 'page2'), list('11', [item('b', '6')])]
    d.watches = [
      stream(
        [
          { type: 'ADDED', object: item('c', '12') },
          { type: 'MODIFIED', object: item('a', '13', 2) },
          { type: 'DELETED', object: item('b', '14') },
        ],
        'hold',
      ),
    ]
    const changes = { n: 0 }
    const r = reflector(d, changes)
    r.start()
    await until(() => r.items.has('shop/c') && !r.items.has('shop/b'))
    r.stop()
    expect([...r.items.keys()].sort()).toEqual(['shop/a', 'shop/c'])
    // Items get apiVersion/kind even though the list items had none.
    expect(r.items.get('shop/a')).toMatchObject({ kind: 'RestApi', metadata: { generation: 2 } })
    const [p1, p2, w] = d.requests
    expect(p1?.searchParams.get('continue')).toBeNull()
    expect(p2?.searchParams.get('continue')).toBe('page2')
    expect(w?.searchParams.get('watch')).toBe('true')
    expect(w?.searchParams.get('resourceVersion')).toBe('11')
    expect(w?.searchParams.get('allowWatchBookmarks')).toBe('true')
    expect(changes.n).toBe(4) // the list, then add, modify, delete
  })

  it('410 Gone as a watch ERROR event relists and replaces the store (deleted objects disappear)', async () => {
    const d = await startDouble()
    d.lists = [list('10', [item('a', '5'), item('b', '6')]), list('50', [item('b', '40')])]
    d.watches = [
      stream(
        [
          {
            type: 'ERROR',
            object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 },
          },
        ],
        'hold',
      ),
      stream([], 'hold'),
    ]
    const changes = { n: 0 }
    const r = reflector(d, changes)
    r.start()
    await until(() => r.lists === 2)
    await until(() => d.requests.filter((u) => u.searchParams.get('watch') === 'true').length === 2)
    r.stop()
    expect([...r.items.keys()]).toEqual(['shop/b'])
    const watches = d.requests.filter((u) => u.searchParams.get('watch') === 'true')
    expect(watches.map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '50'])
  })

  it('410 as the watch HTTP status also relists', async () => {
    const d = await startDouble()
    d.lists = [list('10', [item('a', '5')]), list('20', [item('z', '19')])]
    d.watches = [(_q, res) => res.writeHead(410).end(), stream([], 'hold')]
    const r = reflector(d, { n: 0 })
    r.start()
    await until(() => r.items.has('shop/z'))
    r.stop()
    expect(r.lists).toBe(2)
  })

  it('a watch the server ends cleanly is resumed from the last seen resourceVersion (incl. BOOKMARK), without relisting', async () => {
    const d = await startDouble()
    d.lists = [list('10', [])]
    d.watches = [
      stream(
        [
          { type: 'ADDED', object: item('a', '11') },
          { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } },
        ],
        'close',
      ),
      stream([], 'hold'),
    ]
    const r = reflector(d, { n: 0 })
    r.start()
    await until(() => d.requests.filter((u) => u.searchParams.get('watch') === 'true').length === 2)
    r.stop()
    const watches = d.requests.filter((u) => u.searchParams.get('watch') === 'true')
    expect(watches.map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '15'])
    expect(r.lists).toBe(1)
    expect(r.items.has('shop/a')).toBe(true)
  })

  it('list failures (HTTP 500, garbage) retry with backoff and never throw; not synced until a list succeeds', async () => {
    const d = await startDouble()
    d.lists = [
      (_q, res) =>
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"boom"}'),
      (_q, res) => res.writeHead(200).end('not json'),
      list('7', [item('a', '3')]),
    ]
    d.watches = [stream([], 'hold')]
    const r = reflector(d, { n: 0 })
    expect(r.synced).toBe(false)
    r.start()
    await until(() => r.synced)
    r.stop()
    expect(d.requests.filter((u) => u.searchParams.get('watch') !== 'true')).toHaveLength(3)
    expect(r.items.has('shop/a')).toBe(true)
  })

  it('status-only modifications (same generation) update the store without a change notification', async () => {
    const d = await startDouble()
    d.lists = [list('10', [item('a', '5', 3)])]
    const withStatus = { ...item('a', '11', 3), status: { observedGeneration: 3 } }
    d.watches = [stream([{ type: 'MODIFIED', object: withStatus }], 'hold')]
    const changes = { n: 0 }
    const r = reflector(d, changes, {
      significant: (a: Record<string, unknown>, b: Record<string, unknown>) =>
        (a['metadata'] as { generation: number }).generation !==
        (b['metadata'] as { generation: number }).generation,
    })
    r.start()
    await until(() => r.items.get('shop/a')?.['status'] !== undefined)
    r.stop()
    expect(changes.n).toBe(1) // only the list
  })

  it('onItem reports every add, replace and removal, including the difference a relist after 410 makes', async () => {
    const d = await startDouble()
    d.lists = [
      list('10', [item('a', '5'), item('b', '6')]),
      list('50', [item('b', '40'), item('d', '41')]),
    ]
    d.watches = [
      stream(
        [
          { type: 'ADDED', object: item('c', '11') },
          { type: 'MODIFIED', object: item('a', '12', 2) },
          { type: 'DELETED', object: item('c', '13') },
          { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
        ],
        'hold',
      ),
      stream([], 'hold'),
    ]
    const seen: string[] = []
    const rv = (o: Record<string, unknown> | undefined) =>
      o === undefined ? '-' : (o['metadata'] as { resourceVersion: string }).resourceVersion
    const r = reflector(
      d,
      { n: 0 },
      {
        onItem: (
          key: string,
          prev: Record<string, unknown> | undefined,
          next: Record<string, unknown> | undefined,
        ) => {
          seen.push(`${key} ${rv(prev)}→${rv(next)}`)
        },
      },
    )
    r.start()
    await until(() => r.lists === 2)
    r.stop()
    expect(seen).toEqual([
      'shop/a -→5',
      'shop/b -→6',
      'shop/c -→11',
      'shop/a 5→12',
      'shop/c 11→-',
      // The relist: a vanished (a delete the watch never delivered), b replaced, d new.
      'shop/a 12→-',
      'shop/b 6→40',
      'shop/d -→41',
    ])
  })
})
