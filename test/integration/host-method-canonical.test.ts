/**
 * The host and method a decision is made on are the ones the proxy and the upstream see, through
 * the gRPC server and the HTTP server. An authority that only matches an API after repair (userinfo
 * stripped, non-ASCII lower-cased into ASCII: `\u212Aiosk` → `kiosk`) is refused with 400
 * `Invalid request path`; a method is matched as sent (`get` is not `GET`, RFC 9110 §9.1), so a
 * lower-case or made-up method (`ANY`) is an unknown route: 403 Missing Authentication Token.
 */
import { connect } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

const HOST = 'kiosk.example.com'
let t: TestApp

// The resource policy denies DELETE on /admin: a method that reached the ANY route under another
// name would slip past it.
const config = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: kiosk, namespace: shop}
spec:
  accountId: "111122223333"
  hosts: [${HOST}]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}
      - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/DELETE/admin"}
  routes:
    - {path: /items, methods: [GET], authorizationType: NONE}
    - {path: /admin, methods: [ANY], authorizationType: NONE}
`

beforeAll(async () => {
  t = await startTestApp()
  await writeFile(join(t.dir, 'kiosk.yaml'), config)
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
})

interface Result {
  http: number
  body: unknown
}

async function viaGrpc(method: string, path: string, host: string): Promise<Result> {
  const a = answer(await t.client.check(buildCheckRequest({ method, path, host })))
  return { http: a.http, body: a.body }
}

/**
 * The HTTP server as nginx's auth_request calls it (X-Original-*, X-Forwarded-Host), over a raw
 * socket: node's client would refuse the non-ASCII header bytes a client can put on the wire.
 */
function viaHttp(method: string, path: string, host: string): Promise<Result> {
  const head = Buffer.from(
    `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URI: ${path}\r\n` +
      `X-Original-Method: ${method}\r\nX-Forwarded-Host: ${host}\r\nConnection: close\r\n\r\n`,
    'utf8',
  )
  return new Promise((resolve, reject) => {
    const socket = connect(t.app.httpPort, '127.0.0.1', () => socket.end(head))
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      resolve({ http: status, body: body === '' ? undefined : (JSON.parse(body) as unknown) })
    })
  })
}

const INVALID = { http: 400, body: { message: 'Invalid request path' } }
const MISSING_TOKEN = { http: 403, body: { message: 'Missing Authentication Token' } }

for (const [server, call] of [
  ['gRPC', viaGrpc],
  ['HTTP', viaHttp],
] as const) {
  describe(`through the ${server} server`, () => {
    it('control: GET on the configured host is allowed, whatever the host letter case and port', async () => {
      expect((await call('GET', '/items', HOST)).http).toBe(200)
      expect((await call('GET', '/items', 'Kiosk.Example.COM:443')).http).toBe(200)
    })

    it('an authority that lower-cases into the host (KELVIN SIGN, U+212A) → 400, not a match', async () => {
      expect(await call('GET', '/items', '\u212Aiosk.example.com')).toEqual(INVALID)
    })

    it('an authority with userinfo → 400, never stripped into a match', async () => {
      expect(await call('GET', '/items', `evil@${HOST}`)).toEqual(INVALID)
      expect(await call('GET', '/items', `user:pw@${HOST}:443`)).toEqual(INVALID)
    })

    it('a lower-case method matches no route (methods are case-sensitive) → 403 Missing Authentication Token', async () => {
      expect(await call('get', '/items', HOST)).toEqual(MISSING_TOKEN)
      expect(await call('Get', '/items', HOST)).toEqual(MISSING_TOKEN)
    })

    it('ANY routes serve API Gateway verbs only: `delete` or a literal `ANY` cannot pass a DELETE deny', async () => {
      expect((await call('DELETE', '/admin', HOST)).http).toBe(403)
      expect((await call('GET', '/admin', HOST)).http).toBe(200)
      expect(await call('delete', '/admin', HOST)).toEqual(MISSING_TOKEN)
      expect(await call('ANY', '/admin', HOST)).toEqual(MISSING_TOKEN)
    })
  })
}
