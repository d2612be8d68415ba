/**
 * CloudFormation templates (`AWS::ApiGateway::RestApi` with `Body`, or built from
 * `Resource`/`Method`/`Authorizer` resources) → ImportedApis.
 *
 * @module
 */
import type { ImportedApi } from './imported-api.js'
import type { MapperInput } from './import-files.js'

export function mapCloudFormation(input: MapperInput): ImportedApi[] {
  input
  return []
}
