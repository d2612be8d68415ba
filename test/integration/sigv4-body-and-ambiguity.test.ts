/**
 * SigV4 regressions through the real app, over gRPC (official protos, both header encodings) and
 * over the HTTP decision port:
 * - `x-amz-content-sha256: UNSIGNED-PAYLOAD` stands in for the body only when the proxy did not
 *   forward it; a forwarded body (as signed or swapped) or a partial one is refused;
 * - a request naming more than one credential (two Authorization headers, or one repeating
 *   `Credential` / `Signature` / `SignedHeaders`) is refused with IncompleteSignatureException, so
 *   no reader downstream can take another identity from the same request.
 */
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { ALICE, signWithSdk } from '../helpers/sign-request.js'

const HOST = 'petstore.example.com'
const PATH = '/pets/7'
const BODY = '{"name":"rex"}'
const UNSIGNED = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
const UNSIGNED_WITH_BODY =
  'The request body was forwarded for signature verification, so it must be signed: x-amz-content-sha256: UNSIGNED-PAYLOAD is accepted only when the proxy does not forward the body. Sign the body hash instead.'
const REPEATED =
  'Authorization header must appear only once and hold a single credential. Re-examine the Authorization header.'
const duplicated = (param: string) =>
  `Authorization header parameter '${param}' must appear only once. Re-examine the Authorization header.`

/** A second, well-formed credential for another key (never verified: it must not be read). */
const OTHER_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=AKIAOTHEREXAMPLE0001/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`

interface Verdict {
  readonly http: number
  readonly errorType: string | undefined
  readonly message: string | undefined
}

let t: TestApp
beforeAll(async () => {
  t = await startTestApp('examples/quickstart')
})
afterAll(async () => {
  await t.stop()
})

function signAlice(headers: Record<string, string> = {}, body?: string) {
  return signWithSdk({
    method: 'PUT',
    host: HOST,
    path: PATH,
    headers,
    ...(body === undefined ? {} : { body }),
    ...ALICE,
  })
}

async function viaGrpc(
  headers: Record<string, string | string[]>,
  body?: string,
  encodeRawHeaders = false,
): Promise<Verdict> {
  const a = answer(
    await t.client.check(
      buildCheckRequest({
        method: 'PUT',
        path: PATH,
        host: HOST,
        headers,
        encodeRawHeaders,
        ...(body === undefined ? {} : { body }),
      }),
    ),
  )
  const message = (a.body as { message?: string } | undefined)?.message
  return { http: a.http, errorType: a.headers['x-amzn-errortype'], message }
}

function viaHttp(headers: Record<string, string | string[]>, body?: string): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.app.httpPort,
        method: 'PUT',
        path: PATH,
        headers: { host: HOST, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const errorType = res.headers['x-amzn-errortype']
          resolve({
            http: res.statusCode ?? 0,
            errorType: typeof errorType === 'string' ? errorType : undefined,
            message: text === '' ? undefined : (JSON.parse(text) as { message?: string }).message,
          })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const allowed: Verdict = { http: 200, errorType: undefined, message: undefined }
const refused = (errorType: string, message: string): Verdict => ({
  http: 403,
  errorType,
  message,
})

describe('UNSIGNED-PAYLOAD only stands in for a body the proxy did not forward', () => {
  it('gRPC: body forwarded as signed or swapped → 403; partial → 403; not forwarded → allowed', async () => {
    const h = await signAlice(UNSIGNED, BODY)
    const withBody = refused('InvalidSignatureException', UNSIGNED_WITH_BODY)
    expect(await viaGrpc(h, BODY)).toEqual(withBody)
    expect(await viaGrpc(h, '{"name":"rex","admin":true}')).toEqual(withBody)
    // What Envoy sends when the body is over max_request_bytes and allow_partial_message is on.
    const partial = await viaGrpc({ ...h, 'x-envoy-auth-partial-body': 'true' }, BODY.slice(0, 4))
    expect(partial).toMatchObject({ http: 403, errorType: 'InvalidSignatureException' })
    expect(partial.message).toMatch(/truncated/)
    // Envoy without with_request_body: the signed claim is all there is (reference decision).
    expect(await viaGrpc({ ...h, 'content-length': String(BODY.length) })).toEqual(allowed)
  })

  it('gRPC: a signed body hash still verifies the forwarded body (control)', async () => {
    const hash = createHash('sha256').update(BODY).digest('hex')
    const h = await signAlice({ 'x-amz-content-sha256': hash }, BODY)
    expect(await viaGrpc(h, BODY)).toEqual(allowed)
    expect((await viaGrpc(h, '{"name":"rey"}')).http).toBe(403)
  })

  it('HTTP: body forwarded as signed or swapped → 403; partial marker → 403', async () => {
    const h = await signAlice(UNSIGNED, BODY)
    const withBody = refused('InvalidSignatureException', UNSIGNED_WITH_BODY)
    expect(await viaHttp(h, BODY)).toEqual(withBody)
    expect(await viaHttp(h, '{"name":"rex","admin":true}')).toEqual(withBody)
    const partial = await viaHttp({ ...h, 'x-envoy-auth-partial-body': 'true' }, BODY.slice(0, 4))
    expect(partial).toMatchObject({ http: 403, errorType: 'InvalidSignatureException' })
    expect(partial.message).toMatch(/truncated/)
  })

  it('HTTP (nginx auth_request, which never forwards the body): the signed claim is accepted', async () => {
    const h = await signAlice(UNSIGNED, BODY)
    const nginx = {
      ...h,
      'x-original-uri': PATH,
      'x-original-method': 'PUT',
      'x-original-content-length': String(BODY.length),
    }
    expect(await viaHttp(nginx)).toEqual(allowed)
  })
})

describe('one request, one credential', () => {
  it('gRPC: two Authorization headers, joined in `headers` or repeated in `header_map`, in either order → 403', async () => {
    const h = await signAlice()
    const alice = h.authorization ?? ''
    expect(await viaGrpc(h)).toEqual(allowed)
    for (const raw of [false, true]) {
      for (const pair of [
        [alice, OTHER_AUTHORIZATION],
        [OTHER_AUTHORIZATION, alice],
      ]) {
        expect(await viaGrpc({ ...h, authorization: pair }, undefined, raw)).toEqual(
          refused('IncompleteSignatureException', REPEATED),
        )
      }
    }
  })

  it.each(['Credential', 'Signature', 'SignedHeaders'])(
    'gRPC and HTTP: an Authorization header repeating %s → 403 IncompleteSignatureException',
    async (param) => {
      const h = await signAlice()
      const alice = h.authorization ?? ''
      const copy = `${param}=${param === 'SignedHeaders' ? 'host' : 'AKIAOTHEREXAMPLE0001'}`
      const expected = refused('IncompleteSignatureException', duplicated(param))
      expect(await viaGrpc({ ...h, authorization: `${alice}, ${copy}` })).toEqual(expected)
      expect(await viaHttp({ ...h, authorization: `${alice}, ${copy}` })).toEqual(expected)
    },
  )

  it('HTTP: two Authorization header lines, in either order → 403', async () => {
    const h = await signAlice()
    const alice = h.authorization ?? ''
    expect(await viaHttp(h)).toEqual(allowed)
    for (const pair of [
      [alice, OTHER_AUTHORIZATION],
      [OTHER_AUTHORIZATION, alice],
    ]) {
      expect(await viaHttp({ ...h, authorization: pair })).toEqual(
        refused('IncompleteSignatureException', REPEATED),
      )
    }
  })
})
