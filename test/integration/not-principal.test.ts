/**
 * A resource policy `Deny` + `NotPrincipal` on an AWS_IAM route, through the gRPC server (Envoy's
 * official protos) and the HTTP server: the list exempts only callers named at every level AWS
 * checks (account, user or role, session). Other users and sessions of the listed account get the
 * explicit-deny answer even though their identity policies allow them: listing the account must not
 * exempt every principal of it.
 */
import { request } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'
import { ALICE, signWithSdk } from '../helpers/sign-request.js'

const HOST = 'petstore.example.com'
const ARN = 'arn:aws:execute-api:us-east-1:111122223333:petstore/prod'

interface Key {
  readonly arn: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}
const CAROL: Key = {
  arn: 'arn:aws:iam::111122223333:user/carol',
  accessKeyId: 'AKIACAROLEXAMPLE0001',
  secretAccessKey: 'carolsecretcarolsecretcarolsecret00000',
}
const BOB: Key = {
  arn: 'arn:aws:iam::111122223333:user/bob',
  accessKeyId: 'AKIABOBOFAEXAMPLE001',
  secretAccessKey: 'bobsecretbobsecretbobsecretbobsecret0000',
}
const CI: Key = {
  arn: 'arn:aws:sts::111122223333:assumed-role/deploy/ci',
  accessKeyId: 'AKIADEPLOYCIEXAMPLE1',
  secretAccessKey: 'cisecretcisecretcisecretcisecretcisecret',
}
const NIGHTLY: Key = {
  arn: 'arn:aws:sts::111122223333:assumed-role/deploy/nightly',
  accessKeyId: 'AKIADEPLOYNIGHTLY001',
  secretAccessKey: 'nightlysecretnightlysecretnightlysecret0',
}
const CALLERS = [CAROL, BOB, CI, NIGHTLY]

// Every caller's identity policy allows the pets routes: only the resource policy can deny them.
const principals = CALLERS.map(
  (k, i) => `---
apiVersion: portcullis.dev/v1alpha1
kind: Principal
metadata: {name: caller-${i}, namespace: shop}
spec:
  arn: "${k.arn}"
  accessKeys: [{accessKeyId: ${k.accessKeyId}, secretAccessKeyRef: {name: np-keys, key: k${i}}}]
  policies:
    - policyName: all-pets
      policyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:petstore/*"}]}
`,
).join('')
const EXTRA = `apiVersion: v1
kind: Secret
metadata: {name: np-keys, namespace: shop}
stringData: {${CALLERS.map((k, i) => `k${i}: ${k.secretAccessKey}`).join(', ')}}
${principals}`

// The IAM User Guide's shapes: a user with its account; a session with its role and account.
const DENY_ALL_BUT = `      - Sid: OnlyCarolAndCi
        Effect: Deny
        NotPrincipal:
          AWS:
            - arn:aws:iam::111122223333:user/carol
            - arn:aws:sts::111122223333:assumed-role/deploy/ci
            - arn:aws:iam::111122223333:role/deploy
            - arn:aws:iam::111122223333:root
        Action: execute-api:Invoke
        Resource: execute-api:/*/*/pets/*
      - Sid: AdminFromOfficeOnly`

let t: TestApp
beforeAll(async () => {
  t = await startTestApp('examples/quickstart')
  await writeFile(join(t.dir, 'np-extra.yaml'), EXTRA)
  const petstore = join(t.dir, 'petstore.yaml')
  const text = await readFile(petstore, 'utf8')
  expect(text).toContain('      - Sid: AdminFromOfficeOnly')
  await writeFile(petstore, text.replace('      - Sid: AdminFromOfficeOnly', DENY_ALL_BUT))
  expect((await t.app.config.reload()).allErrors).toEqual([])
})
afterAll(async () => {
  await t.stop()
})

const explicitDeny = (who: string): unknown => ({
  Message: `User: ${who} is not authorized to perform: execute-api:Invoke on resource: ${ARN}/PUT/pets/7 with an explicit deny`,
})

async function grpcCheck(key: { accessKeyId: string; secretAccessKey: string }) {
  const headers = await signWithSdk({ method: 'PUT', host: HOST, path: '/pets/7', ...key })
  return answer(
    await t.client.check(
      buildCheckRequest({ method: 'PUT', path: '/pets/7', host: HOST, headers }),
    ),
  )
}

function httpCheck(key: Key): Promise<{ status: number; body: string }> {
  return signWithSdk({ method: 'PUT', host: HOST, path: '/pets/7', ...key }).then(
    (signed) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: t.app.httpPort,
            method: 'PUT',
            path: '/pets/7',
            headers: { ...signed, host: HOST },
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => {
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
            })
          },
        )
        req.on('error', reject)
        req.end()
      }),
  )
}

describe('resource policy Deny + NotPrincipal [carol, deploy/ci session, deploy role, account] (gRPC)', () => {
  it('allows carol, named with her account', async () => {
    const a = await grpcCheck(CAROL)
    expect(a.http).toBe(200)
    expect(a.headers['x-portcullis-principal']).toBe(CAROL.arn)
  })

  it('allows the deploy/ci session, named with its role and account', async () => {
    expect((await grpcCheck(CI)).http).toBe(200)
  })

  it('denies bob, another user of the listed account, with the explicit-deny body', async () => {
    const a = await grpcCheck(BOB)
    expect(a.http).toBe(403)
    expect(a.headers['x-amzn-errortype']).toBe('AccessDeniedException')
    expect(a.body).toEqual(explicitDeny(BOB.arn))
  })

  it('denies alice (same account, not listed) although her identity policy allows the route', async () => {
    const a = await grpcCheck(ALICE)
    expect(a.http).toBe(403)
    expect(a.body).toEqual(explicitDeny('arn:aws:iam::111122223333:user/alice'))
  })

  it('denies another session of the listed role: the session level is not listed', async () => {
    const a = await grpcCheck(NIGHTLY)
    expect(a.http).toBe(403)
    expect(a.body).toEqual(explicitDeny(NIGHTLY.arn))
  })
})

describe('the same policy through the HTTP server', () => {
  it('allows carol and denies bob with the explicit-deny body', async () => {
    expect((await httpCheck(CAROL)).status).toBe(200)
    const denied = await httpCheck(BOB)
    expect(denied.status).toBe(403)
    expect(JSON.parse(denied.body)).toEqual(explicitDeny(BOB.arn))
  })
})
