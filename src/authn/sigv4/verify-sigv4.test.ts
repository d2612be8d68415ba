/**
 * verifySigV4 refusals: every condition gives AWS's status, x-amzn-errortype and exact message
 * (docs/wire.md#denials), with a stable code. Valid requests are signed by `@smithy/signature-v4`.
 *
 * @module
 */
import { Sha256 } from '@aws-crypto/sha256-js'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { describe, expect, it } from 'vitest'

import { makeRequest } from '../../../test/integration/sigv4-support.js'
import type { RequestContext } from '../../request/request-context.js'
import { SigningKeyCache, deriveSigningKey } from './signing-key.js'
import { mismatchMessageWithDetails, type SigV4Failure, type SigV4Result } from './sigv4-result.js'
import { verifySigV4, type AccessKeyRecord } from './verify-sigv4.js'

const AKID = 'AKIAUNITTEST00000001'
const INACTIVE = 'AKIAUNITTESTINACTIVE'
const SECRET = 'unit/Test+Secret0000000000000000000000000'
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com'

const store = new Map<string, AccessKeyRecord<string>>([
  [
    AKID,
    { secretAccessKey: SECRET, active: true, principal: 'arn:aws:iam::111122223333:user/alice' },
  ],
  [
    INACTIVE,
    { secretAccessKey: SECRET, active: false, principal: 'arn:aws:iam::111122223333:user/bob' },
  ],
])
const failures: SigV4Failure[] = []

function verify(req: RequestContext): SigV4Result<string> {
  const r = verifySigV4(req, {
    region: 'us-east-1',
    service: 'execute-api',
    lookupKey: (k) => store.get(k),
    signingKeys: new SigningKeyCache(),
  })
  if (!r.ok) failures.push(r)
  return r
}

interface SignOptions {
  readonly method?: string
  readonly body?: string
  readonly headers?: Record<string, string>
  readonly query?: Record<string, string>
  readonly region?: string
  readonly service?: string
  readonly accessKeyId?: string
  readonly sessionToken?: string
  readonly atMs?: number
  readonly applyChecksum?: boolean
}

function smithyRequest(o: SignOptions): HttpRequest {
  return new HttpRequest({
    method: o.method ?? 'GET',
    protocol: 'https:',
    hostname: HOST,
    path: '/prod/pets',
    query: o.query ?? { limit: '10' },
    headers: { host: HOST, ...o.headers },
    ...(o.body === undefined ? {} : { body: o.body }),
  })
}

function signer(o: SignOptions): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: o.accessKeyId ?? AKID,
      secretAccessKey: SECRET,
      ...(o.sessionToken === undefined ? {} : { sessionToken: o.sessionToken }),
    },
    region: o.region ?? 'us-east-1',
    service: o.service ?? 'execute-api',
    sha256: Sha256,
    applyChecksum: o.applyChecksum ?? false,
  })
}

function toContext(
  signed: {
    method: string
    path: string
    query?: Record<string, string | string[] | null> | undefined
    headers: Record<string, string>
  },
  body: Buffer | undefined,
): RequestContext {
  const rawQuery = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')
  const headers = Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host')
  return makeRequest({
    method: signed.method,
    path: signed.path,
    rawQuery,
    authority: HOST,
    headers,
    body,
    timeMs: NOW,
  })
}

/** A header-signed request, as Envoy would hand it over (body forwarded when there is one). */
async function signed(o: SignOptions = {}): Promise<RequestContext> {
  const s = await signer(o).sign(smithyRequest(o), {
    signingDate: new Date(o.atMs ?? NOW),
  })
  return toContext(s, o.body === undefined ? undefined : Buffer.from(o.body))
}

/** A presigned GET URL. */
async function presigned(o: SignOptions & { expiresIn?: number } = {}): Promise<RequestContext> {
  const s = await signer(o).presign(smithyRequest(o), {
    signingDate: new Date(o.atMs ?? NOW),
    expiresIn: o.expiresIn ?? 300,
  })
  return toContext(s, undefined)
}

function withHeaders(
  req: RequestContext,
  changes: Record<string, string | undefined>,
): RequestContext {
  const headers = new Map(req.headers)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) headers.delete(k)
    else headers.set(k, v)
  }
  return { ...req, headers }
}

const INVALID_TOKEN = 'The security token included in the request is invalid.'
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'

describe('verifySigV4 accepts', () => {
  it('a header-signed GET, reporting key id, principal and form', async () => {
    expect(verify(await signed())).toEqual({
      ok: true,
      accessKeyId: AKID,
      principal: 'arn:aws:iam::111122223333:user/alice',
      form: 'header',
    })
  })

  it('a presigned GET', async () => {
    expect(verify(await presigned())).toMatchObject({ ok: true, form: 'query' })
  })

  it('exactly ±5 minutes of skew (the edges are inside the window)', async () => {
    expect(verify(await signed({ atMs: NOW - 300_000 }))).toMatchObject({ ok: true })
    expect(verify(await signed({ atMs: NOW + 300_000 }))).toMatchObject({ ok: true })
  })

  it('a signed x-amz-content-sha256: UNSIGNED-PAYLOAD only when no body is forwarded', async () => {
    // The claim stands in for the body only when the proxy did not send it
    // (docs/aws-semantics.md#payload-hash).
    const post = await signed({
      method: 'POST',
      body: 'abc',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    })
    expect(verify({ ...post, body: undefined })).toMatchObject({ ok: true })
    const get = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
    expect(get.body).toBeUndefined()
    expect(verify(get)).toMatchObject({ ok: true })
  })

  it('POST with Content-Length: 0 and no body forwarded (empty-body rule)', async () => {
    const req = await signed({ method: 'POST', headers: { 'content-length': '0' } })
    expect(verify(req)).toMatchObject({ ok: true })
  })

  it('a request timed by the HTTP Date header when X-Amz-Date is absent', async () => {
    // smithy always sets X-Amz-Date; sign with a Date header by hand through the building blocks.
    const { canonicalRequest } = await import('./canonical-request.js')
    const { stringToSign, credentialScope } = await import('./string-to-sign.js')
    const { createHmac } = await import('node:crypto')
    const base = makeRequest({
      authority: HOST,
      path: '/prod/pets',
      headers: [['date', 'Thu, 15 Jan 2026 12:01:00 GMT']],
      timeMs: NOW,
    })
    const creq =
      canonicalRequest(base, {
        signedHeaders: ['date', 'host'],
        payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        dropSignature: false,
      }) ?? ''
    const sts = stringToSign(
      '20260115T120100Z',
      credentialScope('20260115', 'us-east-1', 'execute-api'),
      creq,
    )
    const sig = createHmac(
      'sha256',
      deriveSigningKey(SECRET, '20260115', 'us-east-1', 'execute-api'),
    )
      .update(sts)
      .digest('hex')
    const req = withHeaders(base, {
      authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=date;host, Signature=${sig}`,
    })
    expect(verify(req)).toMatchObject({ ok: true })
  })
})

describe('verifySigV4 refuses with AWS status, type and text', () => {
  function expectFailure(
    r: SigV4Result<string>,
    code: string,
    errorType: string,
    message: string,
  ): void {
    expect(r).toEqual({
      ok: false,
      code,
      httpStatus: 403,
      errorType,
      message,
      ...(r.ok || r.diagnostics === undefined ? {} : { diagnostics: r.diagnostics }),
    })
  }

  it('no signature at all → MissingAuthenticationTokenException', () => {
    expectFailure(
      verify(makeRequest({ authority: HOST, timeMs: NOW })),
      'ERR_SIGV4_MISSING',
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    )
  })

  it('header and query signature both present', async () => {
    const req = await signed()
    expectFailure(
      verify({ ...req, rawQuery: `${req.rawQuery}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }),
      'ERR_SIGV4_BOTH_FORMS',
      'InvalidSignatureException',
      "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    )
  })

  it("'Bearer x' → the missing equal-sign text", () => {
    const req = makeRequest({
      authority: HOST,
      headers: [['authorization', 'Bearer x']],
      timeMs: NOW,
    })
    expectFailure(
      verify(req),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      "'x' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer x'.",
    )
  })

  it('a bare token and no date → all four requirements, then Authorization=<value>', () => {
    const req = makeRequest({ authority: HOST, headers: [['authorization', 'allow']], timeMs: NOW })
    expectFailure(
      verify(req),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=allow",
    )
  })

  it('only the missing parameters are listed', async () => {
    const req = withHeaders(await signed(), {
      authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20260115/us-east-1/execute-api/aws4_request`,
    })
    expectFailure(
      verify(req),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      `Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=${AKID}/20260115/us-east-1/execute-api/aws4_request`,
    )
  })

  it('no X-Amz-Date and no Date header', async () => {
    const req = withHeaders(await signed(), { 'x-amz-date': undefined })
    const auth = req.headers.get('authorization') ?? ''
    expectFailure(
      verify(req),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth}`,
    )
  })

  it('presigned query missing parameters', () => {
    const req = makeRequest({
      authority: HOST,
      rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260115T120000Z',
      timeMs: NOW,
    })
    expectFailure(
      verify(req),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    )
  })

  it.each(['Credential', 'Signature', 'SignedHeaders'])(
    'an Authorization header repeating %s, first or last copy the valid one',
    async (param) => {
      const req = await signed()
      const auth = req.headers.get('authorization') ?? ''
      const other = { Credential: 'AKIAOTHER', Signature: 'ab', SignedHeaders: 'host' }[param]
      const copy = `${param}=${other}`
      const [alg, rest] = [auth.slice(0, auth.indexOf(' ')), auth.slice(auth.indexOf(' ') + 1)]
      for (const value of [`${auth}, ${copy}`, `${alg} ${copy}, ${rest}`]) {
        expectFailure(
          verify(withHeaders(req, { authorization: value })),
          'ERR_SIGV4_INCOMPLETE',
          'IncompleteSignatureException',
          `Authorization header parameter '${param}' must appear only once. Re-examine the Authorization header.`,
        )
      }
    },
  )

  it('two Authorization headers (joined with a comma by the proxy) are refused in any order', async () => {
    const alice = (await signed()).headers.get('authorization') ?? ''
    const req = await signed()
    const REPEATED =
      'Authorization header must appear only once and hold a single credential. Re-examine the Authorization header.'
    // A second SigV4 credential, or another scheme whose token ends in '=' (base64 padding).
    for (const second of [
      `AWS4-HMAC-SHA256 Credential=AKIAOTHER/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      'Basic dXNlcjpwYXNzd29yZA==',
    ]) {
      expectFailure(
        verify(withHeaders(req, { authorization: `${alice},${second}` })),
        'ERR_SIGV4_INCOMPLETE',
        'IncompleteSignatureException',
        REPEATED,
      )
    }
    // The valid one second: a Bearer first fails at its token, a SigV4 first at the joined credential.
    expect(verify(withHeaders(req, { authorization: `Bearer abc,${alice}` }))).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_INCOMPLETE',
    })
    expectFailure(
      verify(
        withHeaders(req, {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIAOTHER/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)},${alice}`,
        }),
      ),
      'ERR_SIGV4_INCOMPLETE',
      'IncompleteSignatureException',
      REPEATED,
    )
  })

  it('a repeated x-amz-date / Date / x-amz-security-token / x-amz-content-sha256 (joined with a comma) is refused', async () => {
    // Proxies join repeated headers with `,`; every one of these must then fail, never pick a copy.
    const req = await signed()
    const date = req.headers.get('x-amz-date') ?? ''
    expect(verify(withHeaders(req, { 'x-amz-date': `${date},${date}` }))).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_MALFORMED_DATE',
    })
    const http = 'Thu, 15 Jan 2026 12:00:00 GMT'
    expect(
      verify(withHeaders(req, { 'x-amz-date': undefined, date: `${http},${http}` })),
    ).toMatchObject({ ok: false, code: 'ERR_SIGV4_MALFORMED_DATE' })
    expect(verify(withHeaders(req, { 'x-amz-security-token': 'a,b' }))).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_SESSION_TOKEN',
    })
    const hashed = await signed({ method: 'POST', body: 'hello', applyChecksum: true })
    const hash = hashed.headers.get('x-amz-content-sha256') ?? ''
    const twice = withHeaders(hashed, { 'x-amz-content-sha256': `${hash},${hash}` })
    expect(verify(twice)).toMatchObject({ ok: false, code: 'ERR_SIGV4_PAYLOAD_HASH_MISMATCH' })
    // Without the body, the joined value is what the canonical header says: not what was signed.
    expect(verify({ ...twice, body: undefined })).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_SIGNATURE_MISMATCH',
    })
  })

  it.each([
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-SignedHeaders',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-Security-Token',
  ])('presigned query repeating %s (also percent-encoded) is refused', async (name) => {
    const req = await presigned()
    const encoded = name.replace(/-/g, '%2D')
    for (const extra of [`${name}=x`, `${encoded}=x`]) {
      expectFailure(
        verify({ ...req, rawQuery: `${req.rawQuery}&${extra}&${name}=y` }),
        'ERR_SIGV4_INCOMPLETE',
        'IncompleteSignatureException',
        `AWS query-string parameter '${name}' must appear only once. Re-examine the query-string parameters.`,
      )
    }
  })

  it('presigned query with a repeated auth parameter', async () => {
    const req = await presigned()
    const r = verify({ ...req, rawQuery: `${req.rawQuery}&X-Amz-Credential=x` })
    expect(r).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_INCOMPLETE',
      errorType: 'IncompleteSignatureException',
    })
  })

  it('malformed X-Amz-Date', async () => {
    const req = withHeaders(await signed(), { 'x-amz-date': '2026-01-15T12:00:00Z' })
    expectFailure(
      verify(req),
      'ERR_SIGV4_MALFORMED_DATE',
      'IncompleteSignatureException',
      "Date must be in ISO-8601 'basic format'. Got '2026-01-15T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    )
    expect(verify(withHeaders(req, { 'x-amz-date': '20261315T120000Z' }))).toMatchObject({
      code: 'ERR_SIGV4_MALFORMED_DATE',
    })
  })

  it('expired (more than 5 minutes old)', async () => {
    expectFailure(
      verify(await signed({ atMs: NOW - 360_000 })),
      'ERR_SIGV4_EXPIRED',
      'InvalidSignatureException',
      'Signature expired: 20260115T115400Z is now earlier than 20260115T115500Z (20260115T120000Z - 5 min.)',
    )
  })

  it('future-dated (more than 5 minutes ahead)', async () => {
    expectFailure(
      verify(await signed({ atMs: NOW + 360_000 })),
      'ERR_SIGV4_NOT_YET_VALID',
      'InvalidSignatureException',
      'Signature not yet current: 20260115T120600Z is still later than 20260115T120500Z (20260115T120000Z + 5 min.)',
    )
  })

  it('presigned: valid for X-Amz-Expires seconds, then expired', async () => {
    const req = await presigned({ atMs: NOW - 600_000, expiresIn: 900 })
    expect(verify(req)).toMatchObject({ ok: true })
    expectFailure(
      verify({ ...req, timeMs: NOW + 300_001 }),
      'ERR_SIGV4_EXPIRED',
      'InvalidSignatureException',
      'Signature expired: 20260115T115000Z is now earlier than 20260115T115000Z (20260115T120500Z - 15 min.)',
    )
  })

  it('presigned without X-Amz-Expires: the ±5 minute header rule', async () => {
    const req = await presigned({ atMs: NOW - 360_000 })
    const noExpires = { ...req, rawQuery: req.rawQuery.replace(/&?X-Amz-Expires=\d+/, '') }
    expect(verify(noExpires)).toMatchObject({ ok: false, code: 'ERR_SIGV4_EXPIRED' })
  })

  it.each([
    ['0', 'X-Amz-Expires must be non-negative'],
    ['-5', 'X-Amz-Expires must be non-negative'],
    ['604801', 'X-Amz-Expires must be less than a week (in seconds) that is 604800'],
    ['12x', 'X-Amz-Expires should be a number'],
  ])('X-Amz-Expires=%s is refused', async (value, message) => {
    const req = await presigned()
    expectFailure(
      verify({
        ...req,
        rawQuery: req.rawQuery.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${value}`),
      }),
      'ERR_SIGV4_INVALID_EXPIRES',
      'IncompleteSignatureException',
      message,
    )
  })

  it('wrong region', async () => {
    expectFailure(
      verify(await signed({ region: 'eu-west-1' })),
      'ERR_SIGV4_WRONG_REGION',
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    )
  })

  it('wrong service (names the service expected, as AWS does)', async () => {
    expectFailure(
      verify(await signed({ service: 'apigateway' })),
      'ERR_SIGV4_WRONG_SERVICE',
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'execute-api'. ",
    )
  })

  function withCredential(req: RequestContext, credential: string): RequestContext {
    return withHeaders(req, {
      authorization: (req.headers.get('authorization') ?? '').replace(
        /Credential=[^,]+/,
        `Credential=${credential}`,
      ),
    })
  }

  it('wrong terminator', async () => {
    expectFailure(
      verify(withCredential(await signed(), `${AKID}/20260115/us-east-1/execute-api/aws5_request`)),
      'ERR_SIGV4_WRONG_TERMINATOR',
      'InvalidSignatureException',
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
    )
  })

  it('scope date differs from the timestamp date', async () => {
    expectFailure(
      verify(withCredential(await signed(), `${AKID}/20260114/us-east-1/execute-api/aws4_request`)),
      'ERR_SIGV4_DATE_MISMATCH',
      'InvalidSignatureException',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260114' != '20260115', from '20260115T120000Z'.",
    )
  })

  it('several scope errors are reported together; the code names the first', async () => {
    expectFailure(
      verify(withCredential(await signed(), `${AKID}/20260114/eu-west-1/s3/aws4_request`)),
      'ERR_SIGV4_WRONG_REGION',
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be scoped to correct service: 'execute-api'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260114' != '20260115', from '20260115T120000Z'.",
    )
  })

  it('credential without 5 elements', async () => {
    expectFailure(
      verify(withCredential(await signed(), `${AKID}/20260115/us-east-1/execute-api`)),
      'ERR_SIGV4_MALFORMED_CREDENTIAL',
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${AKID}/20260115/us-east-1/execute-api'`,
    )
  })

  it('unknown access key → UnrecognizedClientException', async () => {
    expectFailure(
      verify(await signed({ accessKeyId: 'AKIAUNKNOWN000000000' })),
      'ERR_SIGV4_UNKNOWN_KEY',
      'UnrecognizedClientException',
      INVALID_TOKEN,
    )
  })

  it('inactive access key → the same answer as unknown', async () => {
    expectFailure(
      verify(await signed({ accessKeyId: INACTIVE })),
      'ERR_SIGV4_INACTIVE_KEY',
      'UnrecognizedClientException',
      INVALID_TOKEN,
    )
  })

  it('host not signed', async () => {
    const req = await signed()
    const auth = (req.headers.get('authorization') ?? '').replace(
      /SignedHeaders=[^,]+/,
      'SignedHeaders=x-amz-date',
    )
    expectFailure(
      verify(withHeaders(req, { authorization: auth })),
      'ERR_SIGV4_HOST_NOT_SIGNED',
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )
  })

  it('an x-amz-* header that is not signed', async () => {
    expectFailure(
      verify(withHeaders(await signed(), { 'x-amz-target': 'Injected' })),
      'ERR_SIGV4_UNSIGNED_HEADER',
      'InvalidSignatureException',
      'There were headers present in the request which were not signed',
    )
  })

  it('an unsigned non-x-amz header is fine (proxies add them)', async () => {
    expect(
      verify(withHeaders(await signed(), { 'x-forwarded-for': '10.0.0.1', 'user-agent': 'x' })),
    ).toMatchObject({ ok: true })
  })

  it('session token in a header (signed by the SDK)', async () => {
    const req = await signed({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' })
    expect(req.headers.has('x-amz-security-token')).toBe(true)
    expectFailure(
      verify(req),
      'ERR_SIGV4_SESSION_TOKEN',
      'UnrecognizedClientException',
      INVALID_TOKEN,
    )
  })

  it('session token in a presigned query', async () => {
    const req = await presigned({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' })
    expect(req.rawQuery).toContain('X-Amz-Security-Token=')
    expectFailure(
      verify(req),
      'ERR_SIGV4_SESSION_TOKEN',
      'UnrecognizedClientException',
      INVALID_TOKEN,
    )
  })

  it('SigV4a (AWS4-ECDSA-P256-SHA256) is refused as incomplete', () => {
    const req = makeRequest({
      authority: HOST,
      timeMs: NOW,
      headers: [
        ['x-amz-date', '20260115T120000Z'],
        ['x-amz-region-set', 'us-east-1'],
        [
          'authorization',
          `AWS4-ECDSA-P256-SHA256 Credential=${AKID}/20260115/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100ab`,
        ],
      ],
    })
    expectFailure(
      verify(req),
      'ERR_SIGV4_UNSUPPORTED_ALGORITHM',
      'IncompleteSignatureException',
      "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    )
  })

  it('partial body → cannot verify', async () => {
    const req = await signed({ method: 'POST', body: 'hello world' })
    expect(verify(req)).toMatchObject({ ok: true })
    expect(verify({ ...req, body: Buffer.from('hello'), bodyPartial: true })).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_PARTIAL_BODY',
      errorType: 'InvalidSignatureException',
    })
  })

  it('body needed but not forwarded (no signed x-amz-content-sha256)', async () => {
    const req = await signed({ method: 'POST', body: 'hello', headers: { 'content-length': '5' } })
    const r = verify({ ...req, body: undefined })
    expect(r).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_BODY_REQUIRED',
      httpStatus: 403,
      errorType: 'InvalidSignatureException',
    })
    expect(r.ok ? '' : r.message).toMatch(/body is needed/)
  })

  it('UNSIGNED-PAYLOAD with the body forwarded: refused, the body as signed or swapped', async () => {
    const req = await signed({
      method: 'POST',
      body: 'abc',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    })
    for (const body of ['abc', 'tampered']) {
      expectFailure(
        verify({ ...req, body: Buffer.from(body) }),
        'ERR_SIGV4_UNSIGNED_PAYLOAD',
        'InvalidSignatureException',
        'The request body was forwarded for signature verification, so it must be signed: x-amz-content-sha256: UNSIGNED-PAYLOAD is accepted only when the proxy does not forward the body. Sign the body hash instead.',
      )
    }
  })

  it('UNSIGNED-PAYLOAD with a partial body, or the partial marker without body bytes: refused', async () => {
    const req = await signed({
      method: 'POST',
      body: 'abc',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    })
    for (const body of [Buffer.from('ab'), undefined]) {
      expect(verify({ ...req, body, bodyPartial: true })).toMatchObject({
        ok: false,
        code: 'ERR_SIGV4_PARTIAL_BODY',
        errorType: 'InvalidSignatureException',
      })
    }
  })

  it('a body that does not match the signed x-amz-content-sha256', async () => {
    const req = await signed({ method: 'POST', body: 'hello', applyChecksum: true })
    expectFailure(
      verify({ ...req, body: Buffer.from('hellp') }),
      'ERR_SIGV4_PAYLOAD_HASH_MISMATCH',
      'InvalidSignatureException',
      MISMATCH,
    )
  })

  it('an invalid escape in the query', async () => {
    const req = await signed()
    expect(verify({ ...req, rawQuery: 'limit=%zz' })).toMatchObject({
      ok: false,
      code: 'ERR_SIGV4_MALFORMED_QUERY',
      errorType: 'IncompleteSignatureException',
    })
  })

  it('signature mismatch: exact AWS text on the wire, canonical strings only in diagnostics', async () => {
    const req = await signed()
    const r = verify({ ...req, path: '/prod/pets/1' })
    expectFailure(r, 'ERR_SIGV4_SIGNATURE_MISMATCH', 'InvalidSignatureException', MISMATCH)
    if (r.ok || r.diagnostics === undefined) throw new Error('diagnostics expected')
    expect(r.diagnostics.canonicalRequest).toBe(
      `GET\n/prod/pets/1\nlimit=10\nhost:${HOST}\nx-amz-date:20260115T120000Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`,
    )
    expect(r.diagnostics.stringToSign.split('\n').slice(0, 3)).toEqual([
      'AWS4-HMAC-SHA256',
      '20260115T120000Z',
      '20260115/us-east-1/execute-api/aws4_request',
    ])
    expect(mismatchMessageWithDetails(r.diagnostics)).toBe(
      `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${r.diagnostics.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${r.diagnostics.stringToSign}'\n`,
    )
  })

  it('an upper-case or short signature is a mismatch, never an exception', async () => {
    const req = await signed()
    const auth = req.headers.get('authorization') ?? ''
    const sig = /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? ''
    expect(
      verify(withHeaders(req, { authorization: auth.replace(sig, sig.toUpperCase()) })),
    ).toMatchObject({ code: 'ERR_SIGV4_SIGNATURE_MISMATCH' })
    expect(
      verify(withHeaders(req, { authorization: auth.replace(sig, sig.slice(0, 10)) })),
    ).toMatchObject({ code: 'ERR_SIGV4_SIGNATURE_MISMATCH' })
  })

  it('only the exact lower-case hex text matches: look-alike code units, UTF-8 tricks and leftovers of the previous check never do', async () => {
    const req = await signed()
    const auth = req.headers.get('authorization') ?? ''
    const sig = /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? ''
    expect(sig).toHaveLength(64)
    const at = (i: number, c: string): string => sig.slice(0, i) + c + sig.slice(i + 1)
    const variants = [
      // Same low byte as the right digit (what a latin1 comparison would accept).
      at(5, String.fromCharCode(0x100 + sig.charCodeAt(5))),
      at(63, String.fromCharCode(0xff00 + sig.charCodeAt(63))),
      // 64 code units whose UTF-8 exactly fills 64 bytes (62 digits + a 2-byte character).
      sig.slice(0, 62) + 'é' + sig.slice(63),
      // UTF-8 longer than 64 bytes: truncated writes must not compare stale bytes.
      at(63, 'é'),
      at(0, '\ud800'),
      sig.slice(0, 63),
      sig + '0',
      sig.slice(0, 32) + sig.slice(32).toUpperCase(),
    ]
    for (const variant of variants) {
      // The correct signature first, so the comparison buffers hold the right bytes.
      expect(verify(req)).toMatchObject({ ok: true })
      expect(
        verify(withHeaders(req, { authorization: auth.replace(sig, variant) })),
        JSON.stringify(variant),
      ).toMatchObject({ code: 'ERR_SIGV4_SIGNATURE_MISMATCH' })
    }
    expect(verify(req)).toMatchObject({ ok: true })
  })

  it('a throwing key store fails closed (ERR_SIGV4_INTERNAL), never throws', async () => {
    const req = await signed()
    const r = verifySigV4(req, {
      region: 'us-east-1',
      service: 'execute-api',
      lookupKey: () => {
        throw new Error('boom')
      },
      signingKeys: new SigningKeyCache(),
    })
    expect(r).toMatchObject({ ok: false, code: 'ERR_SIGV4_INTERNAL', httpStatus: 403 })
  })

  it('no refusal message in this file ever contains the secret or a derived key', () => {
    expect(failures.length).toBeGreaterThan(25)
    const derived = deriveSigningKey(SECRET, '20260115', 'us-east-1', 'execute-api').toString('hex')
    for (const f of failures) {
      const text = JSON.stringify(f)
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain(derived)
    }
  })
})
