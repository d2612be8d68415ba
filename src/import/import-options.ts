/**
 * What a mapper of `portcullis import` is given: the options of the run and one parsed input.
 *
 * @module
 */
import type { ImportFormat } from './detect-format.js'
import type { IntrinsicContext } from './intrinsics.js'
import type { JsonObject } from './json-shape.js'
import type { ImportReport } from './report.js'

export interface ImportOptions {
  readonly format?: ImportFormat
  /** Stage for every API, overriding the source's (default: the source's, else `prod`). */
  readonly stage?: string
  readonly namespace: string
  /** Where manifests are written; nothing is written when undefined. */
  readonly outDir?: string
  /** What `AWS::AccountId` / `AWS::Region` stand for (the install's defaults). */
  readonly accountId: string
  readonly region: string
}

export interface MapperInput {
  readonly doc: JsonObject
  readonly file: string
  readonly options: ImportOptions
  readonly ctx: IntrinsicContext
  readonly report: ImportReport
}
