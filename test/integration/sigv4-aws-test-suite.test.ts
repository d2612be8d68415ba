/**
 * AWS's official SigV4 test suite, from every copy present (aws-c-auth's `v4`: 38 cases in header
 * and query form; botocore's `aws4_testsuite`: 34 cases in header form; see aws-sigv4-suite.ts):
 * our canonical request, string to sign and signature equal AWS's, and the verifier accepts AWS's
 * signed requests (or refuses them for the documented Portcullis reasons).
 *
 * The suite's request files carry the path in raw form (`/example space/`, raw UTF-8 `/ሴ`), not
 * percent-encoded as a real client would put it on the wire. aws-c-auth builds the canonical URI by
 * URI-encoding that path once; our `canonicalUri` URI-encodes the *wire* path once more. Feeding
 * the suite's raw path as the "wire path" therefore produces exactly the suite's canonical URI
 * (`/example%20space/`, `/%E1%88%B4`): the same single encoding step, applied to the same bytes.
 *
 * @module
 */
import { createHmac } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import {
  canonicalRequest,
  canonicalUri,
  credentialScope,
  deriveSigningKey,
  payloadHashFor,
  SigningKeyCache,
  stringToSign,
  verifySigV4,
  type SigV4ErrorCode,
} from '../../src/authn/sigv4/index.js'
import type { RequestContext } from '../../src/request/request-context.js'
import { awsSigV4Suites } from './aws-sigv4-suite.js'
import { parseHttpMessage } from './sigv4-support.js'

/** The signing inputs the verifier reads from a signed request (header or query form). */
function signingInputs(
  req: RequestContext,
  form: 'header' | 'query',
): { signedHeaders: string[]; signature: string } {
  if (form === 'header') {
    const auth = req.headers.get('authorization') ?? ''
    const signedHeaders = /SignedHeaders=([^,\s]*)/.exec(auth)?.[1] ?? ''
    const signature = /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? ''
    return { signedHeaders: signedHeaders.split(';'), signature }
  }
  const query = new URLSearchParams(req.rawQuery)
  return {
    signedHeaders: (query.get('X-Amz-SignedHeaders') ?? '').split(';'),
    signature: query.get('X-Amz-Signature') ?? '',
  }
}

for (const suite of awsSigV4Suites()) {
  describe(`AWS SigV4 test suite (${suite.layout} layout)`, () => {
    // The tests below are generated from `suite.vectors`: this count is the number of vectors run.
    it(`runs all ${String(suite.expectedVectors)} vectors of a complete copy`, () => {
      expect(suite.vectors).toHaveLength(suite.expectedVectors)
    })

    for (const vector of suite.vectors) {
      const { case: name, form, context: ctx } = vector
      const timeMs = Date.parse(ctx.timestamp)
      const amzDate = ctx.timestamp.replace(/[-:]/g, '')
      const scope = credentialScope(amzDate.slice(0, 8), ctx.region, ctx.service)

      describe(`${name} (${form})`, () => {
        const req = parseHttpMessage(vector.signedRequest, timeMs)
        const { signedHeaders, signature } = signingInputs(req, form)
        const contentSha = signedHeaders.includes('x-amz-content-sha256')
          ? req.headers.get('x-amz-content-sha256')
          : undefined
        const payload = payloadHashFor(req, contentSha)
        if (!payload.ok) throw new Error(`payload hash refused: ${payload.failure.message}`)
        // `omit_session_token`: the signer added X-Amz-Security-Token after signing, so it is not
        // part of AWS's canonical query; leave it out of ours too (the verifier refuses tokens).
        const signedPart =
          form === 'query' && ctx.omit_session_token === true
            ? {
                ...req,
                rawQuery: req.rawQuery
                  .split('&')
                  .filter((p) => !p.startsWith('X-Amz-Security-Token='))
                  .join('&'),
              }
            : req
        const creq = canonicalRequest(signedPart, {
          signedHeaders,
          payloadHash: payload.payloadHash,
          dropSignature: form === 'query',
          normalizePath: ctx.normalize,
        })

        it('canonical request equals AWS', () => {
          expect(creq).toBe(vector.canonicalRequest)
        })

        it('string to sign equals AWS', () => {
          expect(stringToSign(amzDate, scope, creq ?? '')).toBe(vector.stringToSign)
        })

        it('signature equals AWS (and the one in the signed request)', () => {
          const key = deriveSigningKey(
            ctx.credentials.secret_access_key,
            amzDate.slice(0, 8),
            ctx.region,
            ctx.service,
          )
          const sig = createHmac('sha256', key)
            .update(stringToSign(amzDate, scope, creq ?? ''))
            .digest('hex')
          expect(sig).toBe(vector.signature)
          expect(signature).toBe(sig)
        })

        // End to end: the verifier on AWS's signed request. Session tokens are refused by design
        // (docs/aws-semantics.md#temporary-credentials); the verifier always normalises the path,
        // so `normalize: false` cases whose path changes under normalisation are (correctly) a
        // mismatch.
        const normalizes = canonicalUri(req.path) !== canonicalUri(req.path, { normalize: false })
        const expected: SigV4ErrorCode | 'ok' =
          ctx.credentials.token !== undefined &&
          (req.headers.has('x-amz-security-token') || req.rawQuery.includes('X-Amz-Security-Token'))
            ? 'ERR_SIGV4_SESSION_TOKEN'
            : !ctx.normalize && normalizes
              ? 'ERR_SIGV4_SIGNATURE_MISMATCH'
              : 'ok'
        it(`verifySigV4 gives ${expected}`, () => {
          const result = verifySigV4(req, {
            region: ctx.region,
            service: ctx.service,
            lookupKey: (akid) =>
              akid === ctx.credentials.access_key_id
                ? {
                    secretAccessKey: ctx.credentials.secret_access_key,
                    active: true,
                    principal: 'p',
                  }
                : undefined,
            signingKeys: new SigningKeyCache(),
          })
          expect(result.ok ? 'ok' : result.code).toBe(expected)
          if (result.ok) expect(result.form).toBe(form)
        })
      })
    }
  })
}
