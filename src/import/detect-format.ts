/**
 * Which mapper reads a document: an OpenAPI export, or a CloudFormation template (with or
 * without the SAM transform; a template may hold both SAM APIs and raw `AWS::ApiGateway::*` ones).
 *
 * @module
 */
import { asObject, type JsonObject } from './json-shape.js'
import { isOpenApi } from './openapi.js'

export const IMPORT_FORMATS = ['openapi', 'sam', 'cloudformation'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

export type DetectedKind = 'openapi' | 'template' | 'unknown'

export function detectKind(doc: JsonObject): DetectedKind {
  if (isOpenApi(doc)) return 'openapi'
  if (asObject(doc.Resources) !== undefined) return 'template'
  return 'unknown'
}

/**
 * True when the template uses the SAM transform, or holds `AWS::Serverless::*` resources (only
 * the transform gives those a meaning; SAM's own translator inputs leave the Transform line out).
 */
export function usesSamTransform(doc: JsonObject): boolean {
  const t = doc.Transform
  const list: unknown[] = Array.isArray(t) ? (t as unknown[]) : [t]
  if (list.some((x) => typeof x === 'string' && x.startsWith('AWS::Serverless'))) return true
  return Object.values(asObject(doc.Resources) ?? {}).some((r) => {
    const type = asObject(r)?.Type
    return typeof type === 'string' && type.startsWith('AWS::Serverless::')
  })
}
