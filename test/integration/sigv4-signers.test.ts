/**
 * Requests signed by real signers — `@smithy/signature-v4` (the AWS SDK's signer, with
 * `@aws-crypto/sha256-js` and with a node:crypto hash), `aws4`, and the `curl --aws-sigv4` binary —
 * sent over loopback HTTP, captured byte-exactly, turned into the RequestContext Envoy would hand
 * over, and verified. Each single-byte tampering of method, path, query, a signed header, the
 * date, the body or the signature is then refused with the right code.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { createHash, createHmac, type Hash } from 'node:crypto'
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http'

import { Sha256 } from '@aws-crypto/sha256-js'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import aws4 from 'aws4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  SigningKeyCache,
  verifySigV4,
  type SigV4ErrorCode,
  type SigV4Result,
} from '../../src/authn/sigv4/index.js'
import type { RequestContext } from '../../src/request/request-context.js'
import { requestFromCapture, startCaptureServer, type CaptureServer } from './sigv4-support.js'

const AKID = 'AKIAPORTCULLISTEST01'
const SECRET = 'pOrTcUlLiS/secret+Key0123456789abcdefABCD'
const REGION = 'us-east-1'
const SERVICE = 'execute-api'

const keys = new SigningKeyCache(100)
function verify(req: RequestContext): SigV4Result<string> {
  return verifySigV4(req, {
    region: REGION,
    service: SERVICE,
    lookupKey: (akid) =>
      akid === AKID
        ? {
            secretAccessKey: SECRET,
            active: true,
            principal: 'arn:aws:iam::123456789012:user/alice',
          }
        : undefined,
    signingKeys: keys,
  })
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** A node:crypto hash in the shape smithy's signer expects (its `sha256` constructor option). */
class NodeSha256 {
  readonly #hash: Hash | ReturnType<typeof createHmac>
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret))
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()))
  }
}

/** RFC 3986 query encoding, as the SDK's query builder puts parameters on the wire. */
function encode3986(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
function wireQuery(query: Record<string, string | string[] | null> = {}): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    for (const value of Array.isArray(v) ? v : [v])
      parts.push(value === null ? encode3986(k) : `${encode3986(k)}=${encode3986(value)}`)
  }
  return parts.join('&')
}

let server: CaptureServer
beforeAll(async () => {
  server = await startCaptureServer()
})
afterAll(async () => {
  await server.close()
})

/** Sends a request over loopback HTTP and returns what the server captured. */
async function send(
  method: string,
  target: string,
  headers: OutgoingHttpHeaders | undefined,
  body?: string | Buffer,
): Promise<RequestContext> {
  const captured = server.next()
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path: target, headers },
      (res) => {
        res.resume()
        res.on('end', resolve)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
  return requestFromCapture(await captured, Date.now())
}

/** Runs curl with --aws-sigv4 against the capture server; a missing curl fails the test. */
async function curl(args: string[]): Promise<RequestContext> {
  const captured = server.next()
  await new Promise<void>((resolve, reject) => {
    execFile(
      'curl',
      [
        '-sS',
        '--aws-sigv4',
        `aws:amz:${REGION}:${SERVICE}`,
        '--user',
        `${AKID}:${SECRET}`,
        ...args,
      ],
      (err) => {
        if (err) reject(new Error(`curl failed: ${err.message}`))
        else resolve()
      },
    )
  })
  return requestFromCapture(await captured, Date.now())
}

// ---- single-byte tampering ------------------------------------------------------------------

/** Changes the character at `index` to a different one of the same kind (digit, hex, letter). */
function flip(s: string, index: number): string {
  const c = s.charAt(index)
  let r: string
  if (/[0-9]/.test(c)) r = c === '9' ? '8' : String(Number(c) + 1)
  else if (/[a-f]/.test(c)) r = c === 'f' ? 'e' : String.fromCharCode(c.charCodeAt(0) + 1)
  else if (/[A-Za-z]/.test(c))
    r =
      c === 'z' || c === 'Z'
        ? String.fromCharCode(c.charCodeAt(0) - 1)
        : String.fromCharCode(c.charCodeAt(0) + 1)
  else throw new Error(`cannot flip ${JSON.stringify(c)} in ${s}`)
  return s.slice(0, index) + r + s.slice(index + 1)
}
function lastIndexMatching(s: string, re: RegExp): number {
  for (let i = s.length - 1; i >= 0; i--) if (re.test(s.charAt(i))) return i
  throw new Error(`no match in ${s}`)
}
function withHeader(req: RequestContext, name: string, value: string): RequestContext {
  const headers = new Map(req.headers)
  headers.set(name, value)
  return { ...req, headers }
}
function signedHeadersOf(req: RequestContext): string[] {
  const auth = req.headers.get('authorization')
  const list =
    auth !== undefined
      ? /SignedHeaders=([^,\s]*)/.exec(auth)?.[1]
      : new URLSearchParams(req.rawQuery).get('X-Amz-SignedHeaders')
  return (list ?? '').split(';')
}

interface Tampering {
  readonly what: string
  readonly req: RequestContext
  readonly codes: readonly SigV4ErrorCode[]
}

/** Every single-byte tampering that applies to this valid request, with the expected refusal. */
function tamperings(req: RequestContext): Tampering[] {
  const out: Tampering[] = []
  const mismatch: SigV4ErrorCode[] = ['ERR_SIGV4_SIGNATURE_MISMATCH']
  const presigned = !req.headers.has('authorization')
  // A flipped GET is no longer a body-less method; with no body forwarded the verifier would stop
  // at "body needed", so declare an empty body (unsigned Content-Length: 0) to reach the signature.
  const tamperedMethod = { ...req, method: flip(req.method, 1) }
  out.push({
    what: 'method',
    req:
      req.body === undefined && !req.headers.has('content-length')
        ? withHeader(tamperedMethod, 'content-length', '0')
        : tamperedMethod,
    codes: mismatch,
  })
  out.push({
    what: 'path',
    req: { ...req, path: flip(req.path, lastIndexMatching(req.path, /[A-Za-z0-9]/)) },
    codes: mismatch,
  })
  const appQuery = req.rawQuery.split('&').filter((p) => p !== '' && !p.startsWith('X-Amz-'))
  if (appQuery.length > 0) {
    const piece = appQuery[0] as string
    const tampered = flip(piece, lastIndexMatching(piece, /[A-Za-z0-9]/))
    out.push({
      what: 'query',
      req: { ...req, rawQuery: req.rawQuery.replace(piece, tampered) },
      codes: mismatch,
    })
  }
  const signed = signedHeadersOf(req)
  const header = signed.find(
    (h) =>
      !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(h) &&
      /[A-Za-z0-9]/.test(req.headers.get(h) ?? ''),
  )
  if (header !== undefined) {
    const v = req.headers.get(header) ?? ''
    out.push({
      what: `signed header ${header}`,
      req: withHeader(req, header, flip(v, lastIndexMatching(v, /[A-Za-z0-9]/))),
      codes: mismatch,
    })
  }
  out.push({
    what: 'signed header host',
    req: { ...req, authority: flip(req.authority, lastIndexMatching(req.authority, /[0-9]/)) },
    codes: mismatch,
  })
  // The seconds digit: still well-formed, same day, inside the window → only the signature fails.
  if (presigned) {
    const m = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(req.rawQuery)
    if (m?.[1] === undefined) throw new Error('no X-Amz-Date')
    out.push({
      what: 'date',
      req: { ...req, rawQuery: req.rawQuery.replace(m[1], flip(m[1], 14)) },
      codes: mismatch,
    })
  } else {
    const d = req.headers.get('x-amz-date') ?? ''
    out.push({ what: 'date', req: withHeader(req, 'x-amz-date', flip(d, 14)), codes: mismatch })
  }
  if (req.body !== undefined && req.body.length > 0) {
    const body = Buffer.from(req.body)
    body[0] = (body[0] as number) ^ 0x01
    // With a signed x-amz-content-sha256 the body no longer matches the signed hash; without it
    // the recomputed body hash changes the signature.
    out.push({
      what: 'body',
      req: { ...req, body },
      codes: signed.includes('x-amz-content-sha256')
        ? ['ERR_SIGV4_PAYLOAD_HASH_MISMATCH']
        : mismatch,
    })
  }
  if (presigned) {
    const m = /X-Amz-Signature=([0-9a-f]{64})/.exec(req.rawQuery)
    if (m?.[1] === undefined) throw new Error('no X-Amz-Signature')
    out.push({
      what: 'signature',
      req: { ...req, rawQuery: req.rawQuery.replace(m[1], flip(m[1], 63)) },
      codes: mismatch,
    })
  } else {
    const auth = req.headers.get('authorization') ?? ''
    out.push({
      what: 'signature',
      req: withHeader(req, 'authorization', flip(auth, auth.length - 1)),
      codes: mismatch,
    })
  }
  return out
}

/** Asserts the request verifies, then that each tampering is refused with its code. */
function expectVerifiedAndTamperProof(req: RequestContext, form: 'header' | 'query'): void {
  const result = verify(req)
  expect(result).toMatchObject({
    ok: true,
    accessKeyId: AKID,
    principal: 'arn:aws:iam::123456789012:user/alice',
    form,
  })
  const cases = tamperings(req)
  expect(cases.length).toBeGreaterThanOrEqual(6)
  for (const t of cases) {
    const r = verify(t.req)
    expect({ what: t.what, code: r.ok ? 'ok' : r.code }).toEqual({
      what: t.what,
      code: expect.toBeOneOf([...t.codes]),
    })
  }
}

// ---- @smithy/signature-v4 -------------------------------------------------------------------

describe('@smithy/signature-v4 (AWS SDK signer)', () => {
  const hashes = [
    ['@aws-crypto/sha256-js', Sha256],
    ['node:crypto Hash class', NodeSha256],
  ] as const
  for (const [hashName, sha256] of hashes) {
    const signer = (applyChecksum: boolean) =>
      new SignatureV4({
        credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
        region: REGION,
        service: SERVICE,
        sha256,
        applyChecksum,
      })

    function smithyRequest(method: string, body?: string): HttpRequest {
      return new HttpRequest({
        method,
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: server.port,
        // Already percent-encoded, as the SDK's serializers produce it; the signer encodes it again.
        path: '/prod/pets/a%20b/caf%C3%A9',
        query: { limit: '10', q: 'x y+z', empty: '', tag: ['b', 'a'] },
        headers: {
          host: `127.0.0.1:${server.port}`,
          'content-type': 'application/json',
          'x-amz-meta-client': 'web',
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
        ...(body === undefined ? {} : { body }),
      })
    }

    it(`[${hashName}] header form, POST with body and x-amz-content-sha256, verifies and resists tampering`, async () => {
      const signed = await signer(true).sign(smithyRequest('POST', '{"name":"rex"}'))
      const req = await send(
        'POST',
        `${signed.path}?${wireQuery(signed.query)}`,
        signed.headers,
        signed.body,
      )
      expect(req.path).toBe('/prod/pets/a%20b/caf%C3%A9')
      expect(req.headers.get('x-amz-content-sha256')).toMatch(/^[0-9a-f]{64}$/)
      expectVerifiedAndTamperProof(req, 'header')
    })

    it(`[${hashName}] header form without x-amz-content-sha256: the body Envoy sent is hashed`, async () => {
      const signed = await signer(false).sign(smithyRequest('PUT', 'hello'))
      const req = await send(
        'PUT',
        `${signed.path}?${wireQuery(signed.query)}`,
        signed.headers,
        signed.body,
      )
      expect(req.headers.has('x-amz-content-sha256')).toBe(false)
      expectVerifiedAndTamperProof(req, 'header')
      // Envoy not configured to send the body: no signed hash, a body announced → body needed.
      expect(verify({ ...req, body: undefined })).toMatchObject({
        ok: false,
        code: 'ERR_SIGV4_BODY_REQUIRED',
      })
    })

    it(`[${hashName}] header form: body not forwarded, the signed x-amz-content-sha256 is used`, async () => {
      const signed = await signer(true).sign(smithyRequest('POST', '{"a":1}'))
      const req = await send(
        'POST',
        `${signed.path}?${wireQuery(signed.query)}`,
        signed.headers,
        signed.body,
      )
      expect(verify({ ...req, body: undefined })).toMatchObject({ ok: true })
      expect(verify({ ...req, bodyPartial: true })).toMatchObject({
        ok: false,
        code: 'ERR_SIGV4_PARTIAL_BODY',
      })
    })

    it(`[${hashName}] header form, GET without body (Envoy sends no body), verifies and resists tampering`, async () => {
      const signed = await signer(false).sign(smithyRequest('GET'))
      const req = await send('GET', `${signed.path}?${wireQuery(signed.query)}`, signed.headers)
      expectVerifiedAndTamperProof({ ...req, body: undefined }, 'header')
    })

    it(`[${hashName}] presigned URL verifies and resists tampering`, async () => {
      const presigned = await signer(false).presign(smithyRequest('GET'), {
        expiresIn: 300,
      })
      const req = await send(
        'GET',
        `${presigned.path}?${wireQuery(presigned.query)}`,
        presigned.headers,
      )
      expect(req.rawQuery).toContain('X-Amz-Expires=300')
      expectVerifiedAndTamperProof({ ...req, body: undefined }, 'query')
    })
  }

  it('presigned URL is refused once X-Amz-Expires has passed, accepted just before', async () => {
    const signingDate = new Date(Date.now() - 120_000)
    const s = new SignatureV4({
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
      region: REGION,
      service: SERVICE,
      sha256: Sha256,
    })
    const presigned = await s.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: server.port,
        path: '/p',
        headers: { host: `127.0.0.1:${server.port}` },
      }),
      { expiresIn: 60, signingDate },
    )
    const req = await send(
      'GET',
      `${presigned.path}?${wireQuery(presigned.query)}`,
      presigned.headers,
    )
    const expired = verify({ ...req, body: undefined })
    expect(expired).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_EXPIRED',
      errorType: 'InvalidSignatureException',
    })
    expect(
      verify({ ...req, body: undefined, timeMs: signingDate.getTime() + 59_000 }),
    ).toMatchObject({ ok: true })
  })
})

// ---- aws4 -------------------------------------------------------------------------------------

describe('aws4', () => {
  const credentials = { accessKeyId: AKID, secretAccessKey: SECRET }

  it('header form, POST with body (aws4 signs content-type and content-length), verifies and resists tampering', async () => {
    const opts = aws4.sign(
      {
        host: `127.0.0.1:${server.port}`,
        path: '/prod/orders/o%2B1?b=2&a=x+y&a=%7E',
        method: 'POST',
        service: SERVICE,
        region: REGION,
        body: 'item=1&qty=2',
        headers: { 'X-Client': 'mobile' },
      },
      credentials,
    )
    const req = await send('POST', opts.path ?? '', opts.headers, opts.body)
    expectVerifiedAndTamperProof(req, 'header')
  })

  it('header form, GET, verifies and resists tampering', async () => {
    const opts = aws4.sign(
      {
        host: `127.0.0.1:${server.port}`,
        path: '/prod/pets/1?x=a%20b',
        service: SERVICE,
        region: REGION,
        headers: { 'X-Trace': 'abc' },
      },
      credentials,
    )
    const req = await send('GET', opts.path ?? '', opts.headers)
    expectVerifiedAndTamperProof({ ...req, body: undefined }, 'header')
  })

  it('presigned (signQuery) URL verifies and resists tampering', async () => {
    const opts = aws4.sign(
      {
        host: `127.0.0.1:${server.port}`,
        path: '/prod/pets?limit=5',
        service: SERVICE,
        region: REGION,
        signQuery: true,
      },
      credentials,
    )
    const req = await send('GET', opts.path ?? '', opts.headers)
    // aws4 omits X-Amz-Expires for non-S3 services: the header rule (±5 min) applies.
    expect(req.rawQuery).not.toContain('X-Amz-Expires')
    expectVerifiedAndTamperProof({ ...req, body: undefined }, 'query')
  })
})

// ---- curl --aws-sigv4 -------------------------------------------------------------------------

describe('curl --aws-sigv4 (real binary)', () => {
  it('GET verifies and resists tampering', async () => {
    const req = await curl([
      '-H',
      'X-Amz-Meta-Team: blue',
      `http://127.0.0.1:${server.port}/prod/pets/42?limit=10&page=2`,
    ])
    expect(req.headers.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=/)
    expectVerifiedAndTamperProof({ ...req, body: undefined }, 'header')
  })

  it('POST with a JSON body (curl hashes the body) verifies and resists tampering', async () => {
    const req = await curl([
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"name":"rex","age":3}',
      `http://127.0.0.1:${server.port}/prod/pets`,
    ])
    expect(req.body?.toString()).toBe('{"name":"rex","age":3}')
    expectVerifiedAndTamperProof(req, 'header')
  })

  it('DELETE without body verifies (empty-body rule, body not forwarded)', async () => {
    const req = await curl(['-X', 'DELETE', `http://127.0.0.1:${server.port}/prod/pets/42`])
    expect(verify({ ...req, body: undefined })).toMatchObject({ ok: true, form: 'header' })
  })

  it('curl 7.88 signs the wire path without re-encoding it: a path needing encoding is refused (curl bug, AWS rule)', async () => {
    // curl before 8.x puts `/a%20b` in the canonical request verbatim; AWS (and SDKs) use
    // `/a%2520b`. API Gateway would refuse such a curl request too, so must we.
    const req = await curl([`http://127.0.0.1:${server.port}/prod/a%20b`])
    const version = await new Promise<string>((resolve, reject) => {
      execFile('curl', ['--version'], (err, stdout) => {
        if (err) reject(new Error(`curl --version failed: ${err.message}`))
        else resolve(stdout)
      })
    })
    const result = verify({ ...req, body: undefined })
    if (/^curl 7\./.test(version))
      expect(result).toMatchObject({ ok: false, code: 'ERR_SIGV4_SIGNATURE_MISMATCH' })
    else expect(result).toMatchObject({ ok: true })
  })
})
