/**
 * AWS_IAM routes through the gRPC server: requests signed by the AWS SDK's signer are verified
 * against keys held in Secrets, then identity policies and the resource policy combine by Table A
 * (same account) or Table B (cross account). Proves the IAM answers on the wire (docs/wire.md).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { ALICE, presignWithSdk, signWithSdk } from '../helpers/sign-request.js'

const HOST = 'petstore.example.com'
const ARN = 'arn:aws:execute-api:us-east-1:111122223333:petstore/prod'

// Two extra callers: carol (same account, no identity policy) and bob (account 444455556666).
const EXTRA = `
apiVersion: v1
kind: Secret
metadata: {name: more-keys, namespace: shop}
stringData: {carol: carolsecretcarolsecretcarolsecret00000, bob: bobsecretbobsecretbobsecretbobsecret0000, dave: davesecretdavesecretdavesecretdavesecre}
---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: carol, namespace: shop}
spec:
  arn: "arn:aws:iam::111122223333:user/carol"
  accessKeys: [{accessKeyId: AKIACAROLEXAMPLE0001, secretAccessKeyRef: {name: more-keys, key: carol}}]
---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: bob, namespace: shop}
spec:
  arn: "arn:aws:iam::444455556666:user/bob"
  accessKeys: [{accessKeyId: AKIABOBEXAMPLE00001, secretAccessKeyRef: {name: more-keys, key: bob}}]
  policies:
    - policyName: all-pets
      policyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:petstore/*"}]}
---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: dave, namespace: shop}
spec:
  arn: "arn:aws:iam::111122223333:user/dave"
  accessKeys: [{accessKeyId: AKIADAVEEXAMPLE0001, secretAccessKeyRef: {name: more-keys, key: dave}, status: Inactive}]
  policies:
    - policyName: all
      policyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:*", Resource: "*"}]}
`

let t: TestApp
beforeAll(async () => {
  t = await startTestApp('examples/quickstart')
  await writeFile(join(t.dir, 'extra.yaml'), EXTRA)
  const r = await t.app.config.reload()
  expect(r.allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
})

async function signedCheck(
  method: string,
  path: string,
  key: { accessKeyId: string; secretAccessKey: string },
  extra: { headers?: Record<string, string>; sourceIp?: string } = {},
) {
  const headers = await signWithSdk({ method, host: HOST, path, ...key })
  return answer(
    await t.client.check(
      buildCheckRequest({
        method,
        path,
        host: HOST,
        headers: { ...headers, ...(extra.headers ?? {}) },
        ...(extra.sourceIp ? { sourceIp: extra.sourceIp } : {}),
      }),
    ),
  )
}

const CAROL = {
  accessKeyId: 'AKIACAROLEXAMPLE0001',
  secretAccessKey: 'carolsecretcarolsecretcarolsecret00000',
}
const BOB = {
  accessKeyId: 'AKIABOBEXAMPLE00001',
  secretAccessKey: 'bobsecretbobsecretbobsecretbobsecret0000',
}
const DAVE = {
  accessKeyId: 'AKIADAVEEXAMPLE0001',
  secretAccessKey: 'davesecretdavesecretdavesecretdavesecre',
}

describe('AWS_IAM: same account (Table A)', () => {
  it('allows alice (identity policy allows, resource policy silent) and names her upstream', async () => {
    const a = await signedCheck('PUT', '/pets/7', ALICE)
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBe('arn:aws:iam::111122223333:user/alice')
  })

  it('accepts a presigned URL from the SDK signer', async () => {
    const path = await presignWithSdk({ method: 'DELETE', host: HOST, path: '/pets/8', ...ALICE })
    const a = answer(
      await t.client.check(buildCheckRequest({ method: 'DELETE', path, host: HOST })),
    )
    expect(a.http).toBe(200)
  })

  it('denies carol (no identity policy, resource policy silent) with the IAM message naming her and the methodArn', async () => {
    const a = await signedCheck('PUT', '/pets/7', CAROL)
    expect(a.http).toBe(403)
    expect(a.headers['x-amzn-errortype']).toBe('AccessDeniedException')
    expect(a.body).toEqual({
      Message: `User: arn:aws:iam::111122223333:user/carol is not authorized to perform: execute-api:Invoke on resource: ${ARN}/PUT/pets/7`,
    })
  })

  it('answers an unsigned request with 403 Missing Authentication Token', async () => {
    const a = answer(
      await t.client.check(buildCheckRequest({ method: 'PUT', path: '/pets/7', host: HOST })),
    )
    expect(a).toMatchObject({ http: 403, body: { message: 'Missing Authentication Token' } })
    expect(a.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException')
  })

  it('refuses an unknown access key and an inactive key with AWS text', async () => {
    for (const key of [
      { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40) },
      DAVE,
    ]) {
      const a = await signedCheck('PUT', '/pets/7', key)
      expect(a).toMatchObject({
        http: 403,
        body: { message: 'The security token included in the request is invalid.' },
      })
    }
  })

  it('refuses a wrong secret with InvalidSignatureException', async () => {
    const a = await signedCheck('PUT', '/pets/7', {
      accessKeyId: ALICE.accessKeyId,
      secretAccessKey: 'wrong'.repeat(8),
    })
    expect(a.http).toBe(403)
    expect(a.headers['x-amzn-errortype']).toBe('InvalidSignatureException')
    expect((a.body as { message: string }).message).toMatch(
      /^The request signature we calculated does not match/,
    )
  })

  it('refuses a Bearer token on an IAM route with IncompleteSignatureException text', async () => {
    const a = answer(
      await t.client.check(
        buildCheckRequest({
          method: 'PUT',
          path: '/pets/7',
          host: HOST,
          headers: { authorization: 'Bearer x' },
        }),
      ),
    )
    expect(a.headers['x-amzn-errortype']).toBe('IncompleteSignatureException')
    expect(a.body).toEqual({
      message:
        "'x' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer x'.",
    })
  })
})

describe('AWS_IAM: cross account (Table B)', () => {
  it('denies bob (identity allows, resource policy silent): both sides must allow', async () => {
    const a = await signedCheck('PUT', '/pets/7', BOB)
    expect(a.http).toBe(403)
    expect((a.body as { Message: string }).Message).toBe(
      `User: arn:aws:iam::444455556666:user/bob is not authorized to perform: execute-api:Invoke on resource: ${ARN}/PUT/pets/7`,
    )
  })

  it('allows bob once the resource policy grants his account, and an explicit deny still wins', async () => {
    const api = (await import('node:fs/promises')).readFile
    const text = await api(join(t.dir, 'petstore.yaml'), 'utf8')
    const granted = text.replace(
      '      - Sid: AdminFromOfficeOnly',
      `      - Sid: PartnerAccount
        Effect: Allow
        Principal: {AWS: "444455556666"}
        Action: execute-api:Invoke
        Resource: execute-api:/*
      - Sid: PartnerNoDelete
        Effect: Deny
        Principal: {AWS: "arn:aws:iam::444455556666:root"}
        Action: execute-api:Invoke
        Resource: execute-api:/*/DELETE/*
      - Sid: AdminFromOfficeOnly`,
    )
    await writeFile(join(t.dir, 'petstore.yaml'), granted)
    expect((await t.app.config.reload()).allErrors).toEqual([])
    expect((await signedCheck('PUT', '/pets/7', BOB)).http).toBe(200)
    // An explicit Deny in the resource policy wins over both Allows.
    const denied = await signedCheck('DELETE', '/pets/7', BOB)
    expect(denied.http).toBe(403)
    expect((denied.body as { Message: string }).Message).toMatch(/with an explicit deny$/)
  })
})
