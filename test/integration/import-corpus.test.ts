/**
 * `portcullis import` on the corpus of real, published API Gateway definitions (OpenAPI exports,
 * SAM templates with SAM's own expected output, CloudFormation templates), read in place from the
 * shared test data. For every definition API Gateway accepts it proves: the import does not fail,
 * the manifests pass `portcullis validate`, every method / authorizer / policy statement of the
 * input is in the manifests or in the report (round trip), and the gRPC server started on the
 * imported folder decides requests derived from the definition the way API Gateway would. SAM's
 * expected outputs are the oracle for the ResourcePolicy shorthand expansion, and the templates
 * SAM refuses must be refused with SAM's reason.
 */
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiKeySpec } from '../../src/api/v1alpha1/api-key.js'
import type { RestApiSpec } from '../../src/api/v1alpha1/index.js'
import type { UsagePlanSpec } from '../../src/api/v1alpha1/usage-plan.js'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { runCli } from '../../src/cli/run-cli.js'
import { validateCommand } from '../../src/cli/validate.js'
import { importFiles, type ImportedFile, type ImportResult } from '../../src/import/import-files.js'
import { templateContext } from '../../src/import/intrinsics.js'
import { ImportInputError, readDocument } from '../../src/import/read-document.js'
import { ImportReport, pointerTo } from '../../src/import/report.js'
import { PLACEHOLDER_SOURCE_CIDR } from '../../src/import/to-manifests.js'
import { samResourcePolicies } from '../../src/import/sam.js'
import {
  buildCheckRequest,
  createOfficialCheckClient,
  type OfficialCheckClient,
} from '../helpers/envoy-client.js'
import { answer, loopbackAppOptions } from '../helpers/portcullis-app.js'

const CORPUS = resolve('../shared/testdata/apigw')
const present = existsSync(CORPUS)
// The corpus is third-party data beside the repository, never copied into it. `.ci/run`, where it
// is always present, sets PORTCULLIS_REQUIRE_TESTDATA: there its absence fails the run. A clone
// elsewhere runs without the corpus tests and says so loudly (no test is registered as skipped, so
// the suite's no-skip rule still holds for everything else).
const REQUIRED = (process.env['PORTCULLIS_REQUIRE_TESTDATA'] ?? '') !== ''
const ABSENT = `import corpus not found at ${CORPUS}: the corpus tests of portcullis import are NOT running`
if (!present) console.warn(`\n!!!!! ${ABSENT} !!!!!\n`)

/** Registers a corpus suite only where the corpus is. */
function describeWithCorpus(name: string, fn: () => void): void {
  if (present) describe(name, fn)
}

describe('import corpus availability', () => {
  it('is present wherever PORTCULLIS_REQUIRE_TESTDATA is set (always in CI)', () => {
    if (REQUIRED && !present) throw new Error(ABSENT)
    expect(present || !REQUIRED).toBe(true)
  })
})

const ACCOUNT = loopbackAppOptions().accountId
const REGION = 'us-east-1'
const list = (dir: string, ext: RegExp): string[] =>
  present
    ? readdirSync(join(CORPUS, dir))
        .filter((f) => ext.test(f))
        .sort()
        .map((f) => join(CORPUS, dir, f))
    : []

const isSamError = (f: string): boolean =>
  basename(f).startsWith('serverless-application-model__error_')
/** SAM inputs SAM itself refuses (their expected output is an error). */
const SAM_ERROR_CASES = list('sam', /\.yaml$/).filter(isSamError)
const OPENAPI = list('openapi', /\.(json|ya?ml)$/)
const SAM = list('sam', /\.ya?ml$/).filter((f) => !isSamError(f))
const SAM_OUTPUT = list('sam/translator-output', /\.json$/).filter((f) => !isSamError(f))
const CLOUDFORMATION = list('cloudformation', /\.(json|ya?ml)$/)
/**
 * Corpus files that are not YAML 1.2: a flow collection closes at the indentation of its key,
 * which YAML 1.2 forbids. PyYAML (SAM CLI) reads it; the `yaml` and `js-yaml` parsers refuse it
 * and `yaml` has no option to accept it, so the import must refuse it clearly.
 */
const NOT_YAML_1_2 = [
  'serverless-samples__owasp-api-security-controls-demo__fulfillment__template.yaml',
]

type Json = Record<string, unknown>
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
const OPERATIONS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'x-amazon-apigateway-any-method',
]

/** Pointers of the elements of an OpenAPI document (methods, schemes, policy statements). */
function openApiElements(doc: Json, base: string): string[] {
  const out: string[] = []
  for (const [p, item] of Object.entries(obj(doc.paths))) {
    const inner = Array.isArray(obj(item)['Fn::If'])
      ? obj((obj(item)['Fn::If'] as unknown[])[1])
      : obj(item)
    for (const k of Object.keys(inner))
      if (OPERATIONS.includes(k.toLowerCase())) out.push(pointerTo(base, 'paths', p, k))
  }
  const v3 = obj(obj(doc.components).securitySchemes)
  const schemes =
    Object.keys(v3).length > 0
      ? (['components/securitySchemes', v3] as const)
      : (['securityDefinitions', obj(doc.securityDefinitions)] as const)
  for (const k of Object.keys(schemes[1])) out.push(pointerTo(base, ...schemes[0].split('/'), k))
  const st = obj(doc['x-amazon-apigateway-policy']).Statement
  if (Array.isArray(st))
    st.forEach((_, i) => out.push(pointerTo(base, 'x-amazon-apigateway-policy', 'Statement', i)))
  return out
}

/** Pointers of the elements of a template: events, authorizers, shorthands, methods, statements. */
function templateElements(doc: Json): string[] {
  const out: string[] = []
  if (obj(obj(obj(doc.Globals).Api).Auth).UsagePlan !== undefined)
    out.push('/Globals/Api/Auth/UsagePlan')
  for (const [id, r] of Object.entries(obj(doc.Resources))) {
    const type = String(obj(r).Type)
    const props = obj(obj(r).Properties)
    const at = (...t: (string | number)[]): string =>
      pointerTo('/Resources', id, 'Properties', ...t)
    if (type === 'AWS::Serverless::Api') {
      if (obj(props.DefinitionBody).paths !== undefined)
        out.push(...openApiElements(obj(props.DefinitionBody), at('DefinitionBody')))
      for (const k of Object.keys(obj(obj(props.Auth).Authorizers)))
        out.push(at('Auth', 'Authorizers', k))
      for (const k of Object.keys(obj(obj(props.Auth).ResourcePolicy)))
        out.push(at('Auth', 'ResourcePolicy', k))
      if (obj(props.Auth).UsagePlan !== undefined) out.push(at('Auth', 'UsagePlan'))
    } else if (type === 'AWS::Serverless::Function' || type === 'AWS::Serverless::StateMachine') {
      for (const [e, ev] of Object.entries(obj(props.Events)))
        if (obj(ev).Type === 'Api') out.push(at('Events', e))
    } else if (type === 'AWS::ApiGateway::RestApi') {
      if (obj(props.Body).paths !== undefined)
        out.push(...openApiElements(obj(props.Body), at('Body')))
      const st = obj(props.Policy).Statement
      if (Array.isArray(st)) st.forEach((_, i) => out.push(at('Policy', 'Statement', i)))
    } else if (/^AWS::ApiGateway::(Method|Authorizer|ApiKey|UsagePlan|UsagePlanKey)$/.test(type)) {
      out.push(pointerTo('/Resources', id))
    }
  }
  return out
}

/** A concrete request path for a route path (`{id}` → a value, `{proxy+}` → two segments). */
const concretePath = (path: string): string =>
  path.replace(/\{[^}]+\+\}/g, 'zq7/zq8').replace(/\{[^}]+\}/g, 'zq9')

function describeCorpus(label: string, files: readonly string[], minDecisions: number): void {
  describeWithCorpus(`import corpus: ${label}`, () => {
    let dir: string
    let result: ImportResult
    /** Namespace each file was imported into (one import per file, as a user would run it). */
    const namespaceOf = new Map<string, string>()
    /** Files the import refused (exit 2), with its message. */
    const refused = new Map<string, string>()
    let app: RunningApp
    let client: OfficialCheckClient
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'portcullis-import-'))
      const report = new ImportReport()
      const apis: ImportedFile[] = []
      for (const [i, file] of files.entries()) {
        // One namespace and folder per file: the names of two files' APIs may be the same.
        const namespace = `i${i}`
        try {
          const one = await importFiles([file], {
            namespace,
            outDir: join(dir, namespace),
            accountId: ACCOUNT,
            region: REGION,
          })
          report.items.push(...one.report.items)
          apis.push(...one.apis)
          namespaceOf.set(file, namespace)
        } catch (e) {
          if (!(e instanceof ImportInputError)) throw e
          refused.set(file, e.message)
        }
      }
      result = { report, apis }
      app = await startApp({ ...loopbackAppOptions(), configDir: dir })
      client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
    }, 120_000)
    afterAll(async () => {
      client?.close()
      await app?.close()
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    })

    it('refuses only the files that are not valid YAML 1.2, with exit 2 and the parser error', async () => {
      for (const [file, message] of refused) {
        expect(message, basename(file)).toMatch(/: not valid JSON or YAML: .* at line \d+/)
        const stderr: string[] = []
        const code = await runCli(['import', '--out', join(dir, 'refused'), file], {
          stdout: { write: () => true },
          stderr: { write: (s: string) => stderr.push(s) },
        })
        expect({ file: basename(file), code }).toEqual({ file: basename(file), code: 2 })
        expect(stderr.join('')).toContain(`portcullis import: ${file}: not valid JSON or YAML`)
      }
      expect([...refused.keys()].map((f) => basename(f))).toEqual(
        files.map((f) => basename(f)).filter((f) => NOT_YAML_1_2.includes(f)),
      )
    })

    it('imports every definition and the manifests pass portcullis validate', async () => {
      expect(files.length).toBeGreaterThan(10)
      const lines: string[] = []
      const code = await validateCommand(
        [dir, '--account-id', ACCOUNT],
        (s) => lines.push(s),
        (s) => lines.push(s),
      )
      expect(lines.filter((l) => !l.startsWith('warning')).join('\n')).toMatch(/^valid: /m)
      expect(code).toBe(0)
    })

    it('round trip: every method, authorizer and policy statement of the input is in the report (and mapped ones in the manifests)', async () => {
      const missing: string[] = []
      for (const file of files) {
        if (refused.has(file)) continue
        const doc = (await readDocument(file)) as Json
        const elements =
          doc.Resources !== undefined ? templateElements(doc) : openApiElements(doc, '')
        const items = result.report.items.filter((i) => i.source.file === file)
        for (const p of elements)
          if (!items.some((i) => i.source.pointer === p || i.source.pointer.startsWith(`${p}/`)))
            missing.push(`${basename(file)}#${p}`)
        // A method reported as written is a route of the file's RestApi.
        const routes = result.apis
          .filter((a) => a.file === file)
          .flatMap(
            (a) =>
              (a.manifests.find((m) => m.kind === 'RestApi')?.spec as RestApiSpec | undefined)
                ?.routes ?? [],
          )
        // An API key or usage plan reported as written is an object of the file's manifests.
        const written = new Set(
          result.apis
            .filter((a) => a.file === file)
            .flatMap((a) => a.manifests.map((m) => `${m.kind} ${m.metadata.name}`)),
        )
        for (const i of items)
          if (/^(ApiKey|UsagePlan) \S+$/.test(i.element) && i.status !== 'not-mapped')
            if (!written.has(i.element)) missing.push(`${basename(file)}: ${i.element}`)
        for (const i of items) {
          const m = /^method (\S+) (\S+) \(/.exec(i.element)
          if (
            m !== null &&
            !routes.some((r) => r.path === m[2] && r.methods.includes(m[1] as never))
          )
            missing.push(`${basename(file)}: route ${m[1]} ${m[2]}`)
        }
      }
      expect(missing).toEqual([])
    })

    it('decides derived requests like API Gateway: Cognito/JWT/TOKEN routes 401 without a token, AWS_IAM 403 Missing Authentication Token unsigned, open NONE routes allowed', async () => {
      let checked = 0
      const authorizers = new Map(
        result.apis
          .flatMap((a) => a.manifests)
          .filter((m) => m.kind === 'Authorizer')
          .map((m) => [m.metadata.name, (m.spec as { type: string }).type]),
      )
      for (const a of result.apis) {
        const restApi = a.manifests.find((m) => m.kind === 'RestApi')
        if (restApi === undefined) continue
        const ns = namespaceOf.get(a.file)
        const spec = restApi.spec as RestApiSpec
        for (const r of spec.routes) {
          const method =
            r.methods.find((m) => m !== 'ANY' && m !== 'OPTIONS') ??
            (r.methods.includes('ANY') ? 'GET' : undefined)
          if (method === undefined) continue
          const res = answer(
            await client.check(
              buildCheckRequest({
                method,
                path: concretePath(r.path),
                // A PRIVATE API answers only requests through one of its PrivateEndpoints: the
                // import admits the placeholder documentation address on each of them.
                ...(spec.endpointConfiguration.type === 'PRIVATE'
                  ? { sourceIp: PLACEHOLDER_SOURCE_CIDR.replace(/\/\d+$/, '') }
                  : {}),
                contextExtensions: { 'portcullis.dev/api': `${ns}/${restApi.metadata.name}` },
              }),
            ),
          )
          const what = `${basename(a.file)} ${method} ${r.path} (${r.authorizationType})`
          const type =
            r.authorizerName !== undefined ? authorizers.get(r.authorizerName) : undefined
          if (r.authorizationType === 'AWS_IAM') {
            expect({ what, http: res.http, body: res.body }).toEqual({
              what,
              http: 403,
              body: { message: 'Missing Authentication Token' },
            })
          } else if (
            r.authorizationType === 'COGNITO_USER_POOLS' ||
            r.authorizationType === 'JWT' ||
            type === 'TOKEN'
          ) {
            expect({ what, http: res.http }).toEqual({ what, http: 401 })
          } else if (
            r.authorizationType === 'NONE' &&
            !r.apiKeyRequired &&
            spec.policy === undefined &&
            spec.endpointConfiguration.type === 'REGIONAL'
          ) {
            expect({ what, http: res.http }).toEqual({ what, http: 200 })
          } else continue
          checked++
        }
      }
      expect(checked).toBeGreaterThanOrEqual(minDecisions)
    })

    it('usage plans: an apiKeyRequired route answers 403 without a key, and 200 with the key of a plan covering it (value read from the Secret the import wrote)', async () => {
      let without = 0
      let withKey = 0
      for (const a of result.apis) {
        const restApi = a.manifests.find((m) => m.kind === 'RestApi')
        if (restApi === undefined) continue
        const spec = restApi.spec as RestApiSpec
        if (spec.policy !== undefined || spec.endpointConfiguration.type !== 'REGIONAL') continue
        const ns = namespaceOf.get(a.file)
        const inFile = result.apis.filter((x) => x.file === a.file).flatMap((x) => x.manifests)
        // The value of an enabled key in a plan covering this API, where the import wrote one.
        const plans = inFile.filter(
          (m) =>
            m.kind === 'UsagePlan' &&
            (m.spec as UsagePlanSpec).apiStages.some((s) => s.apiName === restApi.metadata.name),
        )
        const value = plans
          .flatMap((p) => (p.spec as UsagePlanSpec).apiKeys ?? [])
          .map((k) => inFile.find((m) => m.kind === 'ApiKey' && m.metadata.name === k))
          .filter((k) => (k?.spec as ApiKeySpec | undefined)?.enabled === true)
          .map((k) => {
            const ref = (k?.spec as ApiKeySpec).valueFrom.secretKeyRef
            const secret = inFile.find((m) => m.kind === 'Secret' && m.metadata.name === ref.name)
            return secret !== undefined && 'stringData' in secret
              ? secret.stringData?.[ref.key]
              : undefined
          })
          .find((v) => v !== undefined)
        for (const r of spec.routes) {
          if (!r.apiKeyRequired || r.authorizationType !== 'NONE') continue
          const method =
            r.methods.find((m) => m !== 'ANY' && m !== 'OPTIONS') ??
            (r.methods.includes('ANY') ? 'GET' : undefined)
          if (method === undefined) continue
          const ask = async (headers: Record<string, string>) =>
            answer(
              await client.check(
                buildCheckRequest({
                  method,
                  path: concretePath(r.path),
                  headers,
                  contextExtensions: { 'portcullis.dev/api': `${ns}/${restApi.metadata.name}` },
                }),
              ),
            )
          const what = `${basename(a.file)} ${method} ${r.path}`
          const res = await ask({})
          expect({ what, http: res.http, body: res.body }).toEqual({
            what,
            http: 403,
            body: { message: 'Forbidden' },
          })
          without++
          if (value === undefined || spec.apiKeySource !== 'HEADER') continue
          const ok = await ask({ 'x-api-key': value })
          expect({ what, http: ok.http }).toEqual({ what, http: 200 })
          withKey++
        }
      }
      if (label !== 'OpenAPI exports') {
        expect(without).toBeGreaterThan(0)
        expect(withKey).toBeGreaterThan(0)
      }
    })

    if (label === 'SAM templates')
      it('a resource policy from IpRangeBlacklist denies that range (explicit deny)', async () => {
        let checked = 0
        for (const a of result.apis) {
          const doc = (await readDocument(a.file)) as Json
          const blacklist = obj(obj(obj(obj(doc.Globals).Api).Auth).ResourcePolicy).IpRangeBlacklist
          if (!Array.isArray(blacklist) || a.api.name !== 'serverless-rest-api') continue
          const ip = String(blacklist[0]).replace(/\/\d+$/, '')
          for (const r of a.api.routes) {
            const res = answer(
              await client.check(
                buildCheckRequest({
                  method: r.method === 'ANY' ? 'GET' : r.method,
                  path: concretePath(r.path),
                  sourceIp: ip,
                  contextExtensions: {
                    'portcullis.dev/api': `${namespaceOf.get(a.file)}/${a.manifests[0]!.metadata.name}`,
                  },
                }),
              ),
            )
            expect({ file: basename(a.file), http: res.http, body: res.body }).toMatchObject({
              http: 403,
              body: { Message: expect.stringMatching(/with an explicit deny$/) },
            })
            checked++
          }
        }
        expect(checked).toBeGreaterThan(0)
      })
  })
}

describeCorpus('OpenAPI exports', OPENAPI, 50)
describeCorpus('SAM templates', SAM, 40)
describeCorpus("SAM's expected CloudFormation output", SAM_OUTPUT, 40)
describeCorpus('CloudFormation templates', CLOUDFORMATION, 5)

describeWithCorpus('import corpus: SAM ResourcePolicy shorthands equal what SAM generates', () => {
  it("expands every API's shorthands to exactly the statements of SAM's expected output", async () => {
    const canon = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) =>
        x !== null && typeof x === 'object' && !Array.isArray(x)
          ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
          : x,
      )
    let compared = 0
    let withPolicy = 0
    for (const out of SAM_OUTPUT) {
      const input = join(CORPUS, 'sam', basename(out).replace(/\.json$/, '.yaml'))
      if (!existsSync(input)) continue
      const expected = (await readDocument(out)) as Json
      const doc = (await readDocument(input)) as Json
      const mine = samResourcePolicies({
        doc,
        file: input,
        options: { namespace: 'x', accountId: ACCOUNT, region: REGION },
        ctx: templateContext(doc, ACCOUNT, REGION),
        report: new ImportReport(),
      })
      for (const [id, r] of Object.entries(obj(expected.Resources))) {
        if (obj(r).Type !== 'AWS::ApiGateway::RestApi') continue
        const st = obj(obj(obj(obj(r).Properties).Body)['x-amazon-apigateway-policy']).Statement
        const statements = st == null ? [] : Array.isArray(st) ? st : [st]
        expect({ file: basename(input), id, statements: canon(mine.get(id) ?? []) }).toEqual({
          file: basename(input),
          id,
          statements: canon(statements),
        })
        compared++
        if (statements.length > 0) withPolicy++
      }
    }
    expect(compared).toBeGreaterThan(60)
    expect(withPolicy).toBeGreaterThan(15)
  })

  it('writes the usage plans and API keys SAM generates for Auth.UsagePlan (its expected output, imported as CloudFormation, gives the same objects)', async () => {
    const objects = async (file: string, format: 'sam' | 'cloudformation'): Promise<string[]> =>
      (
        await importFiles([file], { format, namespace: 'x', accountId: ACCOUNT, region: REGION })
      ).apis
        .flatMap((a) => a.manifests)
        .filter((m) => m.kind === 'UsagePlan' || m.kind === 'ApiKey')
        .map((m) => JSON.stringify({ kind: m.kind, name: m.metadata.name, spec: m.spec }))
        .sort()
    let compared = 0
    for (const out of SAM_OUTPUT) {
      const input = join(CORPUS, 'sam', basename(out).replace(/\.json$/, '.yaml'))
      if (!existsSync(input)) continue
      const expected = await objects(out, 'cloudformation')
      const mine = await objects(input, 'sam')
      expect({ file: basename(input), objects: mine }).toEqual({
        file: basename(input),
        objects: expected,
      })
      if (expected.length > 0) compared++
    }
    expect(compared).toBeGreaterThanOrEqual(3)
  })

  it("gives every SAM API the routes of SAM's expected output: Auth defaults on the definition's methods, CORS preflights, events on an own DefinitionBody", async () => {
    // SAM's expected output for this input holds no path at all (its DefinitionBody has none to
    // merge the event into), so there is nothing to compare the event's route with.
    const NO_PATHS_IN_OUTPUT = [
      'serverless-application-model__api_merge_definitions_with_any_method.yaml',
    ]
    const routes = async (file: string, format: 'sam' | 'cloudformation'): Promise<string[]> =>
      (
        await importFiles([file], { format, namespace: 'x', accountId: ACCOUNT, region: REGION })
      ).apis
        .flatMap((a) => a.manifests)
        .flatMap((m) =>
          m.kind === 'RestApi'
            ? (m.spec as RestApiSpec).routes.flatMap((r) =>
                r.methods.map((method) =>
                  JSON.stringify({ api: m.metadata.name, method, ...r, methods: undefined }),
                ),
              )
            : [],
        )
        .sort()
    let compared = 0
    for (const out of SAM_OUTPUT) {
      const input = join(CORPUS, 'sam', basename(out).replace(/\.json$/, '.yaml'))
      if (!existsSync(input) || NO_PATHS_IN_OUTPUT.includes(basename(input))) continue
      expect({ file: basename(input), routes: await routes(input, 'sam') }).toEqual({
        file: basename(input),
        routes: await routes(out, 'cloudformation'),
      })
      compared++
    }
    expect(compared).toBeGreaterThan(50)
  })

  it("refuses each template SAM refuses, with SAM's reason (exit 2: nothing faithful can be written)", async () => {
    expect(SAM_ERROR_CASES).toHaveLength(8)
    for (const file of SAM_ERROR_CASES) {
      const expected = String(
        obj(
          await readDocument(
            join(CORPUS, 'sam/translator-output', basename(file).replace(/\.yaml$/, '.json')),
          ),
        ).errorMessage,
      )
      const err = await importFiles([file], {
        namespace: 'x',
        accountId: ACCOUNT,
        region: REGION,
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, basename(file)).toBeInstanceOf(ImportInputError)
      const message = (err as Error).message
      expect(message).toContain('SAM refuses this template')
      // SAM's reason is named: at least one of the properties SAM's own message names.
      const keys = [
        'Auth',
        'SourceVpcBlacklist',
        'SourceVpcWhitelist',
        'UsagePlan',
        'OverrideApiAuth',
        'AuthorizationScopes',
        'NONE',
        'ResourcePolicy',
      ].filter((k) => expected.includes(k))
      expect(
        keys.some((k) => message.includes(k)),
        `${basename(file)}: ${message}`,
      ).toBe(true)
    }
  })
})
