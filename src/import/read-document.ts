/**
 * Reads one input file as a JSON/YAML tree. CloudFormation's YAML short forms (`!Ref X`,
 * `!Sub ...`, `!GetAtt A.B`, `!If [...]`...) become their long JSON forms (`{Ref: X}`,
 * `{"Fn::Sub": ...}`), so every later step reads one shape.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { parse, type ScalarTag, type CollectionTag, YAMLMap, YAMLSeq } from 'yaml'

/** The input cannot be read or parsed at all (exit 2). */
export class ImportInputError extends Error {
  override readonly name = 'ImportInputError'
}

/** Largest input read, in bytes (8 MiB): a guard against a huge file passed by mistake. */
const MAX_INPUT_BYTES = 8 * 1024 * 1024

const SHORT_FORMS = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'GetAZs',
  'Cidr',
  'Transform',
  'Length',
  'ToJsonString',
] as const

function longName(short: string): string {
  return short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`
}

function cfnTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = []
  for (const short of SHORT_FORMS) {
    const key = longName(short)
    tags.push({
      tag: `!${short}`,
      // `!GetAtt A.B` is the scalar form of `Fn::GetAtt: [A, B]` (only the first dot splits).
      resolve: (s: string) => {
        if (short !== 'GetAtt') return { [key]: s }
        const dot = s.indexOf('.')
        return { [key]: dot < 0 ? [s] : [s.slice(0, dot), s.slice(dot + 1)] }
      },
    })
    tags.push({
      tag: `!${short}`,
      collection: 'seq',
      nodeClass: YAMLSeq,
      resolve: (seq) => ({ [key]: seq.toJSON() as unknown }),
    })
    tags.push({
      tag: `!${short}`,
      collection: 'map',
      nodeClass: YAMLMap,
      resolve: (map) => ({ [key]: map.toJSON() as unknown }),
    })
  }
  return tags
}

/**
 * Parses JSON or YAML text (JSON is YAML); CloudFormation tags included. YAML 1.2 is enforced as
 * written: text that only a more lenient parser (PyYAML) reads, such as a flow collection closing
 * at its key's indentation, is refused with the parser's message and position rather than guessed.
 */
export function parseDocument(text: string, file: string): unknown {
  try {
    return parse(text, { customTags: cfnTags(), maxAliasCount: 100, uniqueKeys: false }) as unknown
  } catch (e) {
    throw new ImportInputError(`${file}: not valid JSON or YAML: ${(e as Error).message}`)
  }
}

export async function readDocument(file: string): Promise<unknown> {
  let text: string
  try {
    const buf = await readFile(file)
    if (buf.length > MAX_INPUT_BYTES)
      throw new ImportInputError(`${file}: larger than ${MAX_INPUT_BYTES} bytes`)
    text = buf.toString('utf8')
  } catch (e) {
    if (e instanceof ImportInputError) throw e
    throw new ImportInputError(`${file}: cannot read: ${(e as Error).message}`)
  }
  const doc = parseDocument(text, file)
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ImportInputError(`${file}: not a JSON/YAML object`)
  return doc
}
