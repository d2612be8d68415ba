/**
 * Client-sent copies of the headers Portcullis injects are removed in every spelling an upstream
 * may read as the same: `x-portcullis-*`, and `x_portcullis_*` / mixed forms, which CGI, WSGI and
 * PHP servers turn into the same `HTTP_X_PORTCULLIS_*` variable. Through the gRPC server
 * (`headers_to_remove`) and the HTTP server (`x-envoy-auth-headers-to-remove`). And over HTTP an
 * untrusted peer's `X-Forwarded-Proto: https` does not satisfy `aws:SecureTransport`.
 */
import { request } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

const HOST = 'hygiene.example.com'
let t: TestApp

const config = `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: hygiene, namespace: shop}
spec:
  accountId: "111122223333"
  hosts: [${HOST}]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}
      - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/secure", Condition: {Bool: {aws:SecureTransport: "false"}}}
  routes:
    - {path: /open, methods: [GET], authorizationType: NONE}
    - {path: /secure, methods: [GET], authorizationType: NONE}
`

beforeAll(async () => {
  t = await startTestApp()
  await writeFile(join(t.dir, 'hygiene.yaml'), config)
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
})

const FORGED = {
  'x-portcullis-principal': 'forged',
  x_portcullis_principal: 'forged',
  'x_portcullis-context-role': 'admin',
  'x-portcullis_context_role': 'admin',
  x_portcullisx: 'not ours: kept',
}
const REMOVED = [
  'x-portcullis-principal',
  'x_portcullis_principal',
  'x_portcullis-context-role',
  'x-portcullis_context_role',
]

function httpCall(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.app.httpPort,
        method: 'GET',
        path,
        headers: { host: HOST, ...headers },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('client-sent x-portcullis-* in any CGI-equivalent spelling is removed', () => {
  it('gRPC: headers_to_remove lists every spelling, and nothing else', async () => {
    const a = answer(
      await t.client.check(
        buildCheckRequest({ method: 'GET', path: '/open', host: HOST, headers: FORGED }),
      ),
    )
    expect(a.http).toBe(200)
    expect([...a.removed].sort()).toEqual([...REMOVED].sort())
  })

  it('HTTP (Envoy HTTP ext_authz): x-envoy-auth-headers-to-remove lists every spelling', async () => {
    const r = await httpCall('/open', FORGED)
    expect(r.status).toBe(200)
    const listed = String(r.headers['x-envoy-auth-headers-to-remove']).split(', ')
    expect(listed.sort()).toEqual([...REMOVED].sort())
  })
})

describe('aws:SecureTransport over the HTTP server', () => {
  it('an untrusted peer saying X-Forwarded-Proto: https is still plain http → the SecureTransport deny applies', async () => {
    expect((await httpCall('/secure', { 'x-forwarded-proto': 'https' })).status).toBe(403)
    expect((await httpCall('/open', { 'x-forwarded-proto': 'https' })).status).toBe(200)
  })

  it('gRPC control: Envoy’s own scheme (https) satisfies it', async () => {
    const https = answer(
      await t.client.check(
        buildCheckRequest({ method: 'GET', path: '/secure', host: HOST, scheme: 'https' }),
      ),
    )
    expect(https.http).toBe(200)
    const http = answer(
      await t.client.check(
        buildCheckRequest({ method: 'GET', path: '/secure', host: HOST, scheme: 'http' }),
      ),
    )
    expect(http.http).toBe(403)
  })
})
