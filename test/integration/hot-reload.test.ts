/**
 * Hot reload without loss: a valid change takes effect within a second; an invalid change is
 * rejected with `file: kind/namespace/name: field: problem`, the last good version keeps serving,
 * /readyz stays ready and portcullis_config_reloads_total{result="failure"} counts it.
 */
import { writeFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

const api = (statusForGet: 'Allow' | 'Deny', extra = '') => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: shop, namespace: demo}
spec:
  hosts: [shop.example.com]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: ${statusForGet}, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/*"}
  routes:
    - {path: "/items", methods: [GET], authorizationType: NONE}
${extra}`

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t.stop()
})

const get = async () =>
  answer(
    await t.client.check(
      buildCheckRequest({ method: 'GET', path: '/items', host: 'shop.example.com' }),
    ),
  )

async function eventually(fn: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = Date.now()
  for (;;) {
    if (await fn()) return Date.now() - start
    if (Date.now() - start > withinMs) throw new Error(`condition not met within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.app.metricsPort}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

describe('folder source hot reload', () => {
  it('is ready, and serves a newly written API within a second', async () => {
    expect((await fetch(`http://127.0.0.1:${t.app.metricsPort}/readyz`)).status).toBe(200)
    expect((await get()).http).toBe(403) // no API yet
    const generation = t.app.config.current()!.generation
    await writeFile(join(t.dir, 'api.yaml'), api('Allow'))
    // The new snapshot is in place within a second of the write...
    const ms = await eventually(
      () => Promise.resolve(t.app.config.current()!.generation > generation),
      1000,
    )
    expect(ms).toBeLessThan(1000)
    // ...and the next check is answered from it.
    expect((await get()).http).toBe(200)
  })

  it('applies a valid edit (Allow → Deny) within a second', async () => {
    await writeFile(join(t.dir, 'api.yaml'), api('Deny'))
    await eventually(async () => (await get()).http === 403, 1000)
  })

  it('rejects broken YAML, keeps the last good version serving, counts the failure, stays ready', async () => {
    const failuresBefore = await metric('portcullis_config_reloads_total{result="failure"}')
    await writeFile(join(t.dir, 'api.yaml'), api('Allow') + '\n  routes: [ {{{ broken')
    await eventually(
      async () =>
        (await metric('portcullis_config_reloads_total{result="failure"}')) > failuresBefore,
      2000,
    )
    expect((await get()).http).toBe(403) // still the last good (Deny) version
    expect((await fetch(`http://127.0.0.1:${t.app.metricsPort}/readyz`)).status).toBe(200)
  })

  it('rejects a schema violation with file: kind/namespace/name: field: problem, last good serving', async () => {
    const result = await (async () => {
      await writeFile(
        join(t.dir, 'api.yaml'),
        api('Allow').replace('authorizationType: NONE', 'authorizationType: MAGIC'),
      )
      return t.app.config.reload()
    })()
    const lines = result.allErrors.map(
      (e) =>
        `${e.file}: ${e.ref?.kind}/${e.ref?.namespace}/${e.ref?.name}: ${e.path}: ${e.message}`,
    )
    expect(
      lines.some((l) =>
        l.includes('api.yaml: RestApi/demo/shop: spec.routes[0].authorizationType'),
      ),
    ).toBe(true)
    expect(result.keptPrevious).toContain('RestApi/demo/shop')
    expect((await get()).http).toBe(403)
  })

  it('an invalid object invalidates only itself: another API in another file keeps changing', async () => {
    await writeFile(
      join(t.dir, 'other.yaml'),
      api('Allow')
        .replace('name: shop', 'name: other')
        .replace('shop.example.com', 'other.example.com'),
    )
    await eventually(
      async () =>
        answer(
          await t.client.check(
            buildCheckRequest({ method: 'GET', path: '/items', host: 'other.example.com' }),
          ),
        ).http === 200,
      1000,
    )
    expect((await get()).http).toBe(403)
  })

  it('a dangling reference is reported and the referring object keeps its last good version', async () => {
    await writeFile(
      join(t.dir, 'api.yaml'),
      api('Allow').replace(
        'authorizationType: NONE',
        'authorizationType: CUSTOM, authorizerName: missing',
      ),
    )
    const result = await t.app.config.reload()
    expect(result.allErrors.map((e) => e.message).join('\n')).toMatch(
      /Authorizer demo\/missing not found/,
    )
    expect((await get()).http).toBe(403)
  })

  it('deleting a file removes its objects', async () => {
    await rm(join(t.dir, 'other.yaml'))
    await eventually(
      async () =>
        answer(
          await t.client.check(
            buildCheckRequest({ method: 'GET', path: '/items', host: 'other.example.com' }),
          ),
        ).http === 403,
      1000,
    )
  })
})
