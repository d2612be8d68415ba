/**
 * Imported resource policies decided by the gRPC server (Envoy's official protos): an API whose
 * policy the import could not map (a Deny under an `Fn::If` the template does not determine) is
 * served with the policy denying every request, and answers 403 with an explicit deny; the same
 * API whose `Fn::If` the Conditions determine is served with the branch they choose.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { importFiles } from '../../src/import/import-files.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'

const DENY_SECRET = {
  Effect: 'Deny',
  Principal: '*',
  Action: 'execute-api:Invoke',
  Resource: 'execute-api:/*/GET/secret',
}
const ALLOW = {
  Effect: 'Allow',
  Principal: '*',
  Action: 'execute-api:Invoke',
  Resource: 'execute-api:/*',
}

/** A template whose policy is Allow everything, plus a Deny on /secret under `Fn::If` `condition`. */
const template = (condition: string) => ({
  Parameters: { Env: { Type: 'String', Default: 'prod' }, Open: { Type: 'String' } },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    Unknown: { 'Fn::Equals': [{ Ref: 'Open' }, 'yes'] },
  },
  Resources: {
    [condition === 'Unknown' ? 'Closed' : 'Resolved']: {
      Type: 'AWS::ApiGateway::RestApi',
      Properties: {
        Body: {
          swagger: '2.0',
          info: { title: 'x' },
          paths: { '/open': { get: {} }, '/secret': { get: {} } },
        },
        Policy: {
          Version: '2012-10-17',
          Statement: [ALLOW, { 'Fn::If': [condition, DENY_SECRET, { Ref: 'AWS::NoValue' }] }],
        },
      },
    },
  },
})

describe('imported resource policies through the gRPC server', () => {
  let dir: string
  let app: RunningApp
  let client: OfficialCheckClient
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-import-policy-'))
    for (const condition of ['Unknown', 'IsProd']) {
      const file = join(dir, `${condition}.json`)
      await writeFile(file, JSON.stringify(template(condition)))
      await importFiles([file], {
        namespace: 'imported',
        outDir: join(dir, 'out'),
        accountId: loopbackAppOptions().accountId,
        region: 'us-east-1',
      })
    }
    app = await startApp({ ...loopbackAppOptions(), configDir: join(dir, 'out') })
    client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
  })
  afterAll(async () => {
    client?.close()
    await app?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const ask = async (api: string, path: string) =>
    answer(
      await client.check(
        buildCheckRequest({
          method: 'GET',
          path,
          contextExtensions: { 'portcullis.dev/api': `imported/${api}` },
        }),
      ),
    )

  it('a policy the import turned into deny-all answers 403 with an explicit deny, even where the source allowed', async () => {
    const res = await ask('closed', '/open')
    expect(res.http).toBe(403)
    expect(res.body).toMatchObject({ Message: expect.stringMatching(/with an explicit deny$/) })
  })

  it('(contrast) the Fn::If the Conditions determine keeps the source policy: /open allowed, /secret denied', async () => {
    expect((await ask('resolved', '/open')).http).toBe(200)
    expect((await ask('resolved', '/secret')).http).toBe(403)
  })
})
