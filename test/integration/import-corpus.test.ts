/**
 * `portcullis import` on the corpus of real, published API Gateway definitions (OpenAPI exports,
 * SAM templates with SAM's own expected output, CloudFormation templates), read in place from the
 * shared test data. For every definition API Gateway accepts it proves: the import does not fail,
 * the manifests pass `portcullis validate`, every method / authorizer / policy statement of the
 * input is in the manifests or in the report (round trip), and the gRPC server started on the
 * imported folder decides requests derived from the definition the way API Gateway would.
 */
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RestApiSpec } from '../../src/api/v1alpha1/index.js'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { validateCommand } from '../../src/cli/validate.js'
import { importFiles, type ImportResult } from '../../src/import/import-files.js'
import { readDocument } from '../../src/import/read-document.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'

const CORPUS = resolve('../shared/testdata/apigw')
const present = existsSync(CORPUS)
if (!present) {
  const msg = `import corpus not found at ${CORPUS}: the corpus tests of portcullis import are NOT running`
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(msg)
  console.warn(`\n!!!!! ${msg} !!!!!\n`)
}

const ACCOUNT = loopbackAppOptions().accountId
const list = (dir: string, ext: RegExp): string[] =>
  present
    ? readdirSync(join(CORPUS, dir))
        .filter((f) => ext.test(f))
        .sort()
        .map((f) => join(CORPUS, dir, f))
    : []

/** SAM inputs SAM itself refuses (their expected output is an error). */
export const SAM_ERROR_CASES = list('sam', /^serverless-application-model__error_.*\.yaml$/)

const OPENAPI = list('openapi', /\.(json|ya?ml)$/)

/** Every path+method of an OpenAPI document, as the report and routes name them. */
function openApiMethods(doc: Record<string, unknown>): string[] {
  const keys: Record<string, string> = {
    get: 'GET',
    put: 'PUT',
    post: 'POST',
    delete: 'DELETE',
    options: 'OPTIONS',
    head: 'HEAD',
    patch: 'PATCH',
    'x-amazon-apigateway-any-method': 'ANY',
  }
  const out: string[] = []
  for (const [p, item] of Object.entries(
    (doc.paths ?? {}) as Record<string, Record<string, unknown>>,
  ))
    for (const k of Object.keys(item))
      if (keys[k.toLowerCase()])
        out.push(`${keys[k.toLowerCase()]} ${p.length > 1 ? p.replace(/\/+$/, '') : p}`)
  return out
}

/** A concrete request path for a route path (`{id}` → a value, `{proxy+}` → two segments). */
function concretePath(path: string): string {
  return path.replace(/\{[^}]+\+\}/g, 'zq7/zq8').replace(/\{[^}]+\}/g, 'zq9')
}

function routesOf(result: ImportResult, name: string): RestApiSpec['routes'] {
  const m = result.apis
    .flatMap((a) => a.manifests)
    .find((x) => x.kind === 'RestApi' && x.metadata.name === name)
  return m === undefined ? [] : (m.spec as RestApiSpec).routes
}

describe.skipIf(!present)('import corpus: OpenAPI exports', () => {
  let dir: string
  let result: ImportResult
  let app: RunningApp
  let client: OfficialCheckClient
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-import-'))
    result = await importFiles(OPENAPI, {
      namespace: 'imported',
      outDir: dir,
      accountId: ACCOUNT,
      region: 'us-east-1',
    })
    app = await startApp({ ...loopbackAppOptions(), configDir: dir })
    client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
  }, 60_000)
  afterAll(async () => {
    client?.close()
    await app?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('imports every OpenAPI definition and the manifests pass portcullis validate', async () => {
    expect(OPENAPI.length).toBeGreaterThan(40)
    const lines: string[] = []
    const code = await validateCommand(
      [dir, '--account-id', ACCOUNT],
      (s) => lines.push(s),
      (s) => lines.push(s),
    )
    expect(lines.join('\n')).toMatch(/^valid: /m)
    expect(code).toBe(0)
  })

  it('round trip: every method, security scheme and policy statement is in the manifests or the report', async () => {
    for (const file of OPENAPI) {
      const doc = (await readDocument(file)) as Record<string, unknown>
      const api = result.apis.find((a) => a.file === file)
      expect(api, file).toBeDefined()
      const routes = routesOf(result, api!.api.name)
      const items = result.report.items.filter((i) => i.source.file === file)
      for (const m of openApiMethods(doc)) {
        const [method, path] = m.split(' ')
        const inRoutes = routes.some((r) => r.path === path && r.methods.includes(method as never))
        const reported = items.find(
          (i) => i.element === `method ${m}` || i.element.startsWith(`method ${m} (`),
        )
        // Written as a route and reported mapped/approximated, or reported as left out.
        const ok =
          reported !== undefined && (reported.status === 'not-mapped' ? !inRoutes : inRoutes)
        expect(ok ? 'ok' : `${file}: ${m}`).toBe('ok')
      }
      const schemes = Object.keys(
        (doc.components as Record<string, unknown> | undefined)?.securitySchemes ??
          doc.securityDefinitions ??
          {},
      )
      for (const s of schemes)
        expect(
          items.some(
            (i) =>
              i.element.startsWith(`security scheme ${s}`) ||
              i.element.startsWith(`authorizer ${s} (`),
          ),
          `${file}: ${s}`,
        ).toBe(true)
    }
  })

  it('decides derived requests like API Gateway: Cognito/JWT/TOKEN routes 401 without a token, AWS_IAM 403 Missing Authentication Token unsigned, open NONE routes allowed', async () => {
    let checked = 0
    for (const a of result.apis) {
      for (const r of routesOf(result, a.api.name)) {
        const method =
          r.methods.find((m) => m !== 'ANY' && m !== 'OPTIONS') ??
          (r.methods.includes('ANY') ? 'GET' : undefined)
        if (method === undefined) continue
        const res = answer(
          await client.check(
            buildCheckRequest({
              method,
              path: concretePath(r.path),
              contextExtensions: { 'portcullis.dev/api': `imported/${a.api.name}` },
            }),
          ),
        )
        const what = `${a.file} ${method} ${r.path} (${r.authorizationType})`
        const authorizer = result.apis
          .flatMap((x) => x.manifests)
          .find((m) => m.kind === 'Authorizer' && m.metadata.name === r.authorizerName)
        const authorizerType = (authorizer?.spec as { type?: string } | undefined)?.type
        if (r.authorizationType === 'AWS_IAM') {
          expect({ what, http: res.http, body: res.body }).toEqual({
            what,
            http: 403,
            body: { message: 'Missing Authentication Token' },
          })
        } else if (
          r.authorizationType === 'COGNITO_USER_POOLS' ||
          r.authorizationType === 'JWT' ||
          authorizerType === 'TOKEN'
        ) {
          expect({ what, http: res.http }).toEqual({ what, http: 401 })
        } else if (
          r.authorizationType === 'NONE' &&
          !r.apiKeyRequired &&
          a.api.policy === undefined &&
          a.api.endpointType === 'REGIONAL'
        ) {
          expect({ what, http: res.http }).toEqual({ what, http: 200 })
        } else continue
        checked++
      }
    }
    expect(checked).toBeGreaterThan(50)
  })
})
