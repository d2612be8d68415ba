/**
 * Secrets never reach logs or metrics: with the app logging at debug level, requests carrying
 * signatures, bearer tokens and API keys, a failing signature, a malformed Authorization header and
 * a configuration with a broken Secret produce logs and /metrics in which none of those values appear.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { startApp } from '../../src/app/app.js'
import { createLogger } from '../../src/observability/logger.js'
import { buildCheckRequest, createOfficialCheckClient } from '../helpers/envoy-client.js'
import { ALICE, presignWithSdk, signWithSdk } from '../helpers/sign-request.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'

/** A stream that keeps what is written to it, chunk by chunk. */
function capture(): { lines: string[]; sink: Writable } {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'))
      done()
    },
  })
  return { lines, sink }
}

describe('no credentials in logs or metrics', () => {
  it('keeps secret keys, signatures, tokens and Secret data out of every log line and metric', async () => {
    const { lines, sink } = capture()
    const dir = await mkdtemp(join(tmpdir(), 'nosecrets-'))
    await cp('examples/quickstart', dir, { recursive: true })
    // Every petstore decision goes to the decision log too, which must stay as clean.
    const petstore = await readFile(join(dir, 'petstore.yaml'), 'utf8')
    await writeFile(
      join(dir, 'petstore.yaml'),
      petstore.replace('  stage: prod\n', '  stage: prod\n  decisionLog: {enabled: true}\n'),
    )
    const { lines: decisionLines, sink: decisionSink } = capture()
    const app = await startApp({
      decisionLog: decisionSink,
      configDir: dir,
      ...loopbackAppOptions(),
      logLevel: 'debug',
      logger: createLogger({ level: 'trace', destination: sink }),
    })
    const client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
    const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldA'
    const BROKEN_SECRET = 'this-is-a-very-secret-value-!!'
    try {
      const signed = await signWithSdk({
        method: 'DELETE',
        host: 'petstore.example.com',
        path: '/pets/1',
        ...ALICE,
      })
      const wrong = await signWithSdk({
        method: 'DELETE',
        host: 'petstore.example.com',
        path: '/pets/1',
        accessKeyId: ALICE.accessKeyId,
        secretAccessKey: 'WRONGsecretWRONGsecretWRONGsecret1234567',
      })
      const presignedPath = await presignWithSdk({
        method: 'GET',
        host: 'petstore.example.com',
        path: '/pets/1',
        ...ALICE,
      })
      const presignedSignature =
        new URLSearchParams(presignedPath.split('?')[1]).get('X-Amz-Signature') ?? 'missing'
      const reqs = [
        { method: 'GET', path: presignedPath, headers: {} },
        { method: 'DELETE', path: '/pets/1', headers: signed },
        { method: 'DELETE', path: '/pets/1', headers: wrong },
        {
          method: 'DELETE',
          path: '/pets/1',
          headers: {
            authorization: `AWS4-HMAC-SHA256 Credential=${ALICE.accessKeyId}/x, Signature=deadbeef`,
          },
        },
        {
          method: 'GET',
          path: '/me',
          headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': 'apikey-secret-123' },
        },
        { method: 'GET', path: '/orders', headers: { authorization: `Bearer ${TOKEN}` } },
      ]
      for (const r of reqs)
        await client.check(buildCheckRequest({ ...r, host: 'petstore.example.com' }))
      await writeFile(
        join(dir, 'broken-secret.yaml'),
        `apiVersion: v1\nkind: Secret\nmetadata: {name: broken, namespace: shop}\ndata: {k: "${BROKEN_SECRET}"}\n`,
      )
      await app.config.reload()
      const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text()
      await new Promise((r) => setTimeout(r, 50)) // the decision log is written in a later turn
      const everything = lines.join('') + metrics + decisionLines.join('')
      expect(lines.length).toBeGreaterThan(3) // the test saw real log output
      // One decision line per petstore request, custom-token and JWT requests included.
      expect(decisionLines.join('').trim().split('\n')).toHaveLength(reqs.length)
      for (const secret of [
        ALICE.secretAccessKey,
        'WRONGsecretWRONGsecretWRONGsecret1234567',
        TOKEN,
        'apikey-secret-123',
        BROKEN_SECRET,
        signed['authorization']!.split('Signature=')[1]!,
        presignedSignature,
        'X-Amz-Credential',
      ]) {
        expect(everything).not.toContain(secret)
      }
    } finally {
      client.close()
      await app.close()
    }
  })

  it('logs the per-kind object counts, ApiKey and Secret included, on "configuration loaded"', async () => {
    const { lines, sink } = capture()
    const dir = await mkdtemp(join(tmpdir(), 'nosecrets-'))
    await cp('examples/quickstart', dir, { recursive: true })
    const app = await startApp({
      configDir: dir,
      ...loopbackAppOptions(),
      logger: createLogger({ level: 'info', destination: sink }),
    })
    try {
      const loaded = lines
        .join('')
        .split('\n')
        .filter((l) => l.includes('"configuration loaded"'))
        .map((l) => JSON.parse(l) as { objects: Record<string, unknown> })
      expect(loaded).toHaveLength(1)
      // The quickstart holds one ApiKey and two Secrets (an HMAC secret key and an API key value).
      expect(loaded[0]!.objects).toMatchObject({ ApiKey: 1, Secret: 2, RestApi: 2 })
    } finally {
      await app.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
