/**
 * Hot reload without loss: a valid change takes effect on its own; an invalid change is rejected
 * with `file: kind/namespace/name: field: problem`, the last good version keeps serving, /readyz
 * stays ready and portcullis_config_reloads_total{result="failure"} counts it.
 *
 * Every step asserts the decision code (dynamic metadata) and body, not only the HTTP status: a
 * 403 alone cannot tell "the last good API denies" (ERR_POLICY_EXPLICIT_DENY) from "no API at all"
 * (ERR_NO_API). Each test starts its own app over its own folder and sets up its own state, so
 * tests pass alone and in any order.
 *
 * The watcher polls the folder and debounces changes (both well under a second); waits here poll
 * for the observable effect up to a generous deadline so a loaded machine cannot fail them.
 */
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildCheckRequest } from '../helpers/envoy-client.js'
import { answer, startTestApp, type TestApp } from '../helpers/portcullis-app.js'

const api = (effect: 'Allow' | 'Deny', name = 'shop') => `
apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: ${name}, namespace: demo}
spec:
  hosts: [${name}.example.com]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: ${effect}, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/*"}
  routes:
    - {path: "/items", methods: [GET], authorizationType: NONE}
`

/** What each answer must be, code and body included. */
const ALLOWED = { http: 200, code: 'ALLOW_RESOURCE_POLICY', body: undefined }
const DENIED_BY_POLICY = {
  http: 403,
  code: 'ERR_POLICY_EXPLICIT_DENY',
  body: {
    Message:
      'User: anonymous is not authorized to perform: execute-api:Invoke on resource: ' +
      'arn:aws:execute-api:us-east-1:111122223333:shop/prod/GET/items with an explicit deny',
  },
}
const NO_API = { http: 403, code: 'ERR_NO_API', body: { message: 'Forbidden' } }

/** Generous: only a broken watcher takes this long; the product target is under a second. */
const DEADLINE_MS = 10_000

let t: TestApp
beforeEach(async () => {
  t = await startTestApp()
})
afterEach(async () => {
  await t.stop()
})

async function decide(host = 'shop.example.com') {
  const res = await t.client.check(buildCheckRequest({ method: 'GET', path: '/items', host }))
  const a = answer(res)
  return { http: a.http, code: res.dynamic_metadata?.fields.code?.stringValue, body: a.body }
}

/** Polls `fn` until it holds; fails with `what` after the deadline. */
async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${DEADLINE_MS} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const generation = () => t.app.config.current()?.generation ?? 0

/** Writes a file and reloads at once: test setup that does not depend on the watcher. */
async function given(file: string, yaml: string): Promise<void> {
  await writeFile(join(t.dir, file), yaml)
  await t.app.config.reload()
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.app.metricsPort}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

const readyz = async () => (await fetch(`http://127.0.0.1:${t.app.metricsPort}/readyz`)).status

describe('folder source hot reload', () => {
  it('is ready on an empty folder, then the watcher picks up a newly written API', async () => {
    expect(await readyz()).toBe(200)
    expect(await decide()).toEqual(NO_API)
    const before = generation()
    await writeFile(join(t.dir, 'api.yaml'), api('Allow'))
    await until('a new snapshot', () => Promise.resolve(generation() > before))
    expect(await decide()).toEqual(ALLOWED)
  })

  it('the watcher applies a valid edit (Allow → Deny): denied by the policy, not for a missing API', async () => {
    await given('api.yaml', api('Allow'))
    expect(await decide()).toEqual(ALLOWED)
    const before = generation()
    await writeFile(join(t.dir, 'api.yaml'), api('Deny'))
    await until('a new snapshot', () => Promise.resolve(generation() > before))
    expect(await decide()).toEqual(DENIED_BY_POLICY)
  })

  it('rejects broken YAML, keeps the last good version serving, counts the failure, stays ready', async () => {
    await given('api.yaml', api('Deny'))
    expect(await decide()).toEqual(DENIED_BY_POLICY)
    const failure = 'portcullis_config_reloads_total{result="failure"}'
    const failuresBefore = await metric(failure)
    await writeFile(join(t.dir, 'api.yaml'), api('Allow') + '\n  routes: [ {{{ broken')
    await until('a counted failure', async () => (await metric(failure)) > failuresBefore)
    // Still the last good (Deny) version: an explicit deny, not ERR_NO_API and not the broken Allow.
    expect(await decide()).toEqual(DENIED_BY_POLICY)
    expect(await readyz()).toBe(200)
  })

  it('rejects a schema violation with file: kind/namespace/name: field: problem, last good serving', async () => {
    await given('api.yaml', api('Deny'))
    await writeFile(
      join(t.dir, 'api.yaml'),
      api('Allow').replace('authorizationType: NONE', 'authorizationType: MAGIC'),
    )
    const result = await t.app.config.reload()
    const lines = result.allErrors.map(
      (e) =>
        `${e.file}: ${e.ref?.kind}/${e.ref?.namespace}/${e.ref?.name}: ${e.path}: ${e.message}`,
    )
    expect(lines).toContainEqual(
      expect.stringContaining('api.yaml: RestApi/demo/shop: spec.routes[0].authorizationType'),
    )
    expect(result.keptPrevious).toContain('RestApi/demo/shop')
    expect(await decide()).toEqual(DENIED_BY_POLICY)
  })

  it('an invalid object invalidates only itself: another API in another file keeps changing', async () => {
    await given('api.yaml', api('Deny'))
    await given(
      'api.yaml',
      api('Allow').replace('authorizationType: NONE', 'authorizationType: MAGIC'),
    )
    expect(await decide()).toEqual(DENIED_BY_POLICY) // shop: last good kept
    const before = generation()
    await writeFile(join(t.dir, 'other.yaml'), api('Allow', 'other'))
    await until('a new snapshot', () => Promise.resolve(generation() > before))
    expect(await decide('other.example.com')).toEqual(ALLOWED)
    expect(await decide()).toEqual(DENIED_BY_POLICY)
  })

  it('a dangling reference is reported and the referring object keeps its last good version', async () => {
    await given('api.yaml', api('Deny'))
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
    expect(await decide()).toEqual(DENIED_BY_POLICY)
  })

  it('the watcher sees a deleted file: its objects are gone (ERR_NO_API), the others stay', async () => {
    await given('api.yaml', api('Deny'))
    await given('other.yaml', api('Allow', 'other'))
    expect(await decide('other.example.com')).toEqual(ALLOWED)
    const before = generation()
    await rm(join(t.dir, 'other.yaml'))
    await until('a new snapshot', () => Promise.resolve(generation() > before))
    expect(await decide('other.example.com')).toEqual(NO_API)
    expect(await decide()).toEqual(DENIED_BY_POLICY)
  })
})
