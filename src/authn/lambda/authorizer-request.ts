/**
 * Per-request input to a custom authorizer: the request plus what route resolution knows about the
 * API, stage and route, from which the AWS authorizer event is built.
 *
 * @module
 */
import type { RequestContext } from '../../request/request-context.js'

export interface AuthorizerRequest {
  readonly req: RequestContext
  /** `arn:aws:execute-api:{region}:{acct}:{apiId}/{stage}/{VERB}/{path}` (the request's path). */
  readonly methodArn: string
  readonly accountId: string
  readonly apiId: string
  readonly region: string
  readonly stage: string
  readonly stageVariables: Readonly<Record<string, string>>
  /** Route template, e.g. `/pets/{petId}`. */
  readonly resourcePath: string
  readonly pathParameters: Readonly<Record<string, string>>
  /** e.g. `GET /pets/{petId}`. */
  readonly routeKey: string
  readonly domainName: string
}
