/**
 * One file's text → objects: multi-document YAML or JSON, `List`s flattened, each document handed to
 * parseManifestObject. A syntax error makes the whole file one error.
 *
 * @module
 */
import { parseAllDocuments } from 'yaml'
import {
  configError,
  isRecord,
  type ManifestLoadResult,
  type ParseOptions,
} from './loaded-object.js'
import { parseManifestObject } from './parse-object.js'

/** Maximum nesting of YAML aliases resolved per document (billion-laughs guard). */
const MAX_ALIAS_COUNT = 100

/**
 * Parses one file's text: multi-document YAML, or JSON (a single object or a `kind: List`), into
 * raw objects, then {@link parseManifestObject} each. `List` objects are flattened in YAML too.
 * A syntax error makes the whole file one error (its other documents are not trusted either).
 */
export function parseManifestText(
  text: string,
  file: string,
  options: ParseOptions = {},
): ManifestLoadResult {
  const result: ManifestLoadResult = { objects: [], errors: [], warnings: [] }
  const raws: unknown[] = []
  if (file.toLowerCase().endsWith('.json')) {
    try {
      raws.push(JSON.parse(text) as unknown)
    } catch (err) {
      result.errors.push(
        configError(file, undefined, '', `invalid JSON: ${(err as Error).message}`),
      )
      return result
    }
  } else {
    try {
      const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })
      const list = Array.isArray(docs) ? docs : [docs]
      for (const doc of list) {
        const problem = doc.errors[0]
        if (problem !== undefined) {
          result.errors.push(
            configError(
              file,
              undefined,
              '',
              `invalid YAML: ${problem.message.split('\n')[0] ?? ''}`,
            ),
          )
          return result
        }
      }
      for (const doc of list) {
        const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown
        if (value !== null && value !== undefined) raws.push(value)
      }
    } catch (err) {
      result.errors.push(
        configError(
          file,
          undefined,
          '',
          `invalid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
        ),
      )
      return result
    }
  }
  for (const raw of flattenLists(raws)) {
    const r = parseManifestObject(raw, file, options)
    if (r.status === 'loaded') result.objects.push(r.object)
    else if (r.status === 'invalid') result.errors.push(...r.errors)
    else result.warnings.push(r.warning)
  }
  return result
}

function flattenLists(raws: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const raw of raws) {
    if (
      isRecord(raw) &&
      typeof raw['kind'] === 'string' &&
      raw['kind'].endsWith('List') &&
      Array.isArray(raw['items'])
    ) {
      out.push(...flattenLists(raw['items'] as unknown[]))
    } else out.push(raw)
  }
  return out
}
