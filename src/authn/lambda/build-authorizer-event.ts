/**
 * Builds the JSON event AWS sends to a Lambda authorizer, field for field (API Gateway Developer
 * Guide, "Input to an API Gateway Lambda authorizer" and the HTTP API Lambda authorizer page;
 * AWS's documented examples and aws-lambda-go's testdata, copied in test/fixtures/lambda/):
 *
 * - TOKEN: `{type, authorizationToken, methodArn}`.
 * - REQUEST, payload 1.0: the REST event; when the identity sources use the HTTP API syntax
 *   (`$request.header.X`), also `version: "1.0"`, `identitySource` and `authorizationToken` (the
 *   identity values joined with commas), which HTTP APIs add and REST APIs do not.
 * - REQUEST, payload 2.0: the HTTP API event (`routeArn`, `rawPath`, lower-case comma-joined
 *   `headers`, `cookies`, ...). Empty optional maps are omitted as HTTP APIs do.
 *
 * Known differences from AWS, because Envoy gives us less than API Gateway has:
 * - Header names are lower-case (Envoy's CheckRequest only carries lower-case names; HTTP/2 clients
 *   send lower-case anyway). Repeated headers arrive already joined with `,`, so `multiValueHeaders`
 *   holds one element per name.
 * - `requestContext.resourceId` is a stable 6-character id derived from API and resource path
 *   (API Gateway's is random); `requestContext.path` is the path as received (no stage prefix).
 * - Empty `queryStringParameters` / `multiValueQueryStringParameters` are `{}` rather than null
 *   in 1.0 events, like `pathParameters` in AWS's example, so `event.queryStringParameters.x` works.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { RequestContext } from '../../request/request-context.js'
import type { AuthorizerRequest } from './authorizer-request.js'
import type { LambdaAuthorizerConfig } from './lambda-authorizer-config.js'
import {
  commaJoinedValues,
  lastValues,
  multiValues,
  parseQueryParameters,
} from './query-parameters.js'
import { clfTime, decodedPath, domainPrefix } from './request-facts.js'

export function tokenEvent(token: string, methodArn: string): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn }
}

/**
 * Request headers for the event. Envoy turns `Host` into the `:authority` pseudo-header, which
 * RequestContext leaves out; API Gateway events carry `Host`, so it is put back.
 */
function eventHeaders(req: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {}
  if (req.authority !== '') headers['host'] = req.authority
  for (const [name, value] of req.headers) headers[name] = value
  return headers
}

function resourceId(apiId: string, resourcePath: string): string {
  const h = createHash('sha256').update(`${apiId}\n${resourcePath}`).digest()
  return (h.readUInt32BE(0) % 36 ** 6).toString(36).padStart(6, '0')
}

export function requestEventV1(
  config: LambdaAuthorizerConfig,
  input: AuthorizerRequest,
  identityValues: readonly string[],
): Record<string, unknown> {
  const req = input.req
  const query = parseQueryParameters(req.rawQuery)
  const headers = eventHeaders(req)
  const multiValueHeaders: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value]
  const path = decodedPath(req.path)
  const httpApiStyle = config.identitySources.some((s) => s.syntax === 'http')
  const joined = identityValues.join(',')
  return {
    ...(httpApiStyle ? { version: '1.0' } : {}),
    type: 'REQUEST',
    methodArn: input.methodArn,
    ...(httpApiStyle ? { identitySource: joined, authorizationToken: joined } : {}),
    resource: input.resourcePath,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: lastValues(query),
    multiValueQueryStringParameters: multiValues(query),
    pathParameters: { ...input.pathParameters },
    stageVariables: { ...input.stageVariables },
    requestContext: {
      path,
      accountId: input.accountId,
      resourceId: resourceId(input.apiId, input.resourcePath),
      stage: input.stage,
      requestId: req.requestId,
      identity: {
        apiKey: req.headers.get('x-api-key') ?? null,
        sourceIp: req.sourceIp ?? null,
        userAgent: req.headers.get('user-agent') ?? null,
      },
      resourcePath: input.resourcePath,
      httpMethod: req.method,
      apiId: input.apiId,
      domainName: input.domainName,
      domainPrefix: domainPrefix(input.domainName),
      protocol: req.protocol,
      requestTime: clfTime(req.timeMs),
      requestTimeEpoch: req.timeMs,
    },
  }
}

export function requestEventV2(
  input: AuthorizerRequest,
  identityValues: readonly string[],
): Record<string, unknown> {
  const req = input.req
  const headers = eventHeaders(req)
  // Payload 2.0 moves cookies to `cookies` (http-api-develop-integrations-lambda.md).
  const cookies = (headers['cookie'] ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '')
  delete headers['cookie']
  const query = commaJoinedValues(parseQueryParameters(req.rawQuery))
  const nonEmpty = (o: Readonly<Record<string, string>>): boolean => Object.keys(o).length > 0
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: input.methodArn,
    identitySource: [...identityValues],
    routeKey: input.routeKey,
    rawPath: req.path,
    rawQueryString: req.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(nonEmpty(query) ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      domainName: input.domainName,
      domainPrefix: domainPrefix(input.domainName),
      http: {
        method: req.method,
        path: decodedPath(req.path),
        protocol: req.protocol,
        sourceIp: req.sourceIp ?? null,
        userAgent: req.headers.get('user-agent') ?? null,
      },
      requestId: req.requestId,
      routeKey: input.routeKey,
      stage: input.stage,
      time: clfTime(req.timeMs),
      timeEpoch: req.timeMs,
    },
    ...(nonEmpty(input.pathParameters) ? { pathParameters: { ...input.pathParameters } } : {}),
    ...(nonEmpty(input.stageVariables) ? { stageVariables: { ...input.stageVariables } } : {}),
  }
}

/** The event for this authorizer and request; `identityValues` come from resolveIdentityValues. */
export function buildAuthorizerEvent(
  config: LambdaAuthorizerConfig,
  input: AuthorizerRequest,
  identityValues: readonly string[],
): Record<string, unknown> {
  if (config.type === 'TOKEN') return tokenEvent(identityValues[0] ?? '', input.methodArn)
  return config.payloadFormatVersion === '2.0'
    ? requestEventV2(input, identityValues)
    : requestEventV1(config, input, identityValues)
}
