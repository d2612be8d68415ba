/**
 * `portcullis import` without the command line: reads each input, maps it with the mapper its
 * format needs, turns every API into manifests and writes them, filling one report.
 *
 * @module
 */
import { basename, extname } from 'node:path'
import { mapCloudFormation } from './cloudformation.js'
import { detectKind, usesSamTransform } from './detect-format.js'
import type { ImportedApi } from './imported-api.js'
import type { ImportOptions, MapperInput } from './import-options.js'
import { emptyContext, templateContext } from './intrinsics.js'
import type { JsonObject } from './json-shape.js'
import { asObject, asString, toObjectName } from './json-shape.js'
import { mapOpenApi } from './openapi.js'
import { ImportInputError, readDocument } from './read-document.js'
import { ImportReport } from './report.js'
import { mapSam } from './sam.js'
import { mapCloudFormationUsage } from './usage-plans.js'
import { toManifests, type Manifest } from './to-manifests.js'
import { writeApiManifests } from './write-manifests.js'

export type { ImportOptions } from './import-options.js'

export interface ImportedFile {
  readonly file: string
  readonly api: ImportedApi
  readonly manifests: readonly Manifest[]
  /** Where the manifests were written. */
  readonly written?: string
}

export interface ImportResult {
  readonly report: ImportReport
  readonly apis: readonly ImportedFile[]
}

function mapDocument(
  doc: JsonObject,
  file: string,
  options: ImportOptions,
  report: ImportReport,
): ImportedApi[] {
  const kind = detectKind(doc)
  if (kind === 'unknown')
    throw new ImportInputError(
      `${file}: neither an OpenAPI document (swagger/openapi + paths) nor a CloudFormation/SAM template (Resources)`,
    )
  if (kind === 'openapi') {
    if (options.format !== undefined && options.format !== 'openapi')
      throw new ImportInputError(`${file}: an OpenAPI document, not ${options.format}`)
    const title = asString(asObject(doc.info)?.title)
    const name = toObjectName(title ?? basename(file, extname(file)))
    const ctx = emptyContext(options.accountId, options.region)
    return [
      mapOpenApi(doc, { file, pointer: '', name, stage: options.stage ?? 'prod', ctx, report }),
    ]
  }
  if (options.format === 'openapi')
    throw new ImportInputError(`${file}: a template, not an OpenAPI document`)
  const ctx = templateContext(doc, options.accountId, options.region)
  const input: MapperInput = { doc, file, options, ctx, report }
  const apis: ImportedApi[] = []
  const sam = options.format === 'sam' || (options.format === undefined && usesSamTransform(doc))
  if (sam) apis.push(...mapSam(input))
  if (options.format !== 'sam') apis.push(...mapCloudFormation(input))
  // Raw AWS::ApiGateway usage resources may name SAM APIs as well as RestApis.
  mapCloudFormationUsage(
    input,
    new Map(apis.flatMap((a) => (a.logicalId !== undefined ? [[a.logicalId, a] as const] : []))),
  )
  if (apis.length === 0)
    report.add(
      'not-mapped',
      'template',
      file,
      '/Resources',
      'no REST API (AWS::Serverless::Api, Api events, AWS::ApiGateway::RestApi) found',
    )
  for (const api of apis) {
    if (ctx.usedPseudo.has('AWS::AccountId')) api.accountId = options.accountId
    if (ctx.usedPseudo.has('AWS::Region')) api.region = options.region
  }
  if (ctx.usedPseudo.size > 0)
    report.add(
      'approximated',
      `pseudo parameters ${[...ctx.usedPseudo].join(', ')}`,
      file,
      '',
      `resolved to the install defaults (account ${options.accountId}, region ${options.region}) and set on the RestApi: change both if your account differs`,
    )
  return apis
}

export async function importFiles(
  files: readonly string[],
  options: ImportOptions,
): Promise<ImportResult> {
  const report = new ImportReport()
  const out: ImportedFile[] = []
  /** `base`, or `base-2`, `base-3`... : the first name not yet taken in `taken`, now taken. */
  const uniqueIn =
    (taken: Set<string>) =>
    (base: string): string => {
      let name = base
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
      taken.add(name)
      return name
    }
  const unique = uniqueIn(new Set<string>())
  // Kinds have their own names, but a key's Secret is named after it: one namespace for both.
  const uniqueUsage = uniqueIn(new Set<string>())
  for (const file of files) {
    const doc = (await readDocument(file)) as JsonObject
    const apis = mapDocument(doc, file, options, report)
    // Names first, for the whole document: a usage plan may name any of its APIs.
    const names = new Map(apis.map((api) => [api, unique(api.name)]))
    for (const u of apis.flatMap((a) => a.usage)) u.name = uniqueUsage(u.name)
    const nameOf = (api: ImportedApi): string => names.get(api) ?? api.name
    for (const api of apis) {
      const name = nameOf(api)
      const renamed: ImportedApi = name === api.name ? api : { ...api, name }
      const manifests = toManifests(renamed, options.namespace, report, nameOf)
      let written: string | undefined
      if (options.outDir !== undefined && manifests.length > 0) {
        written = await writeApiManifests(options.outDir, name, file, manifests)
        report.written.push(written)
      }
      out.push({ file, api: renamed, manifests, ...(written !== undefined ? { written } : {}) })
    }
  }
  return { report, apis: out }
}
