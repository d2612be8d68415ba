/**
 * SAM templates (`AWS::Serverless::Api` and functions' `Api` events) → ImportedApis.
 *
 * @module
 */
import type { ImportedApi } from './imported-api.js'
import type { MapperInput } from './import-files.js'

export function mapSam(input: MapperInput): ImportedApi[] {
  input
  return []
}
