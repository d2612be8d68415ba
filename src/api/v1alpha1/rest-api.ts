/**
 * `RestApi`: an API Gateway REST API (methods, resource policy, endpoint configuration, stage) bound to
 * host names. Field names follow API Gateway / CloudFormation in camelCase.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { ObjectName, PolicyDocument, StringEnum, StringMap, withRules } from './common.js'

export const HTTP_METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'ANY',
] as const
export type HttpMethod = (typeof HTTP_METHODS)[number]

export const AUTHORIZATION_TYPES = [
  'NONE',
  'AWS_IAM',
  'CUSTOM',
  'COGNITO_USER_POOLS',
  'JWT',
] as const
export type AuthorizationType = (typeof AUTHORIZATION_TYPES)[number]

/** Authorization types whose route names an Authorizer. */
export const AUTHORIZER_AUTHORIZATION_TYPES: readonly AuthorizationType[] = [
  'CUSTOM',
  'COGNITO_USER_POOLS',
  'JWT',
]

/** Host name or `*.`-prefixed wildcard, case-insensitive, no port. */
export const HOST_PATTERN =
  '^(\\*\\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$'

export const ENFORCEMENT_MODES = ['Enforce', 'DryRun'] as const
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number]

function Enforcement(scope: string) {
  return StringEnum(ENFORCEMENT_MODES, {
    description: `Enforce: answers as decided. DryRun: every request is decided, logged and counted as usual, then allowed, the would-be answer sent upstream in \`x-portcullis-dry-run: <allow|deny> <status> <code>\` (requests that are malformed, have an ambiguous path or an over-long methodArn are still denied). ${scope}`,
  })
}

export const Route = withRules(
  Type.Object(
    {
      path: Type.String({
        description:
          'API Gateway resource path: `/`-separated literal segments, `{param}` segments, and a greedy `{proxy+}` only as the last segment. Example: `/pets/{petId}`.',
        minLength: 1,
        maxLength: 1024,
        pattern: '^/',
      }),
      methods: Type.Array(
        StringEnum(HTTP_METHODS, {
          description: 'GET | POST | PUT | DELETE | PATCH | HEAD | OPTIONS | ANY.',
        }),
        {
          description:
            'HTTP methods of this route; `ANY` matches every method without a more specific route.',
          minItems: 1,
          maxItems: 8,
          'x-kubernetes-list-type': 'set',
        },
      ),
      authorizationType: StringEnum(AUTHORIZATION_TYPES, {
        description:
          'How callers are authenticated: NONE | AWS_IAM (SigV4) | CUSTOM (TOKEN/REQUEST authorizer) | COGNITO_USER_POOLS | JWT. Default NONE.',
        default: 'NONE',
      }),
      authorizerName: Type.Optional(
        ObjectName(
          'Name of an Authorizer in the same namespace; required for CUSTOM, COGNITO_USER_POOLS and JWT, forbidden otherwise.',
        ),
      ),
      authorizationScopes: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
          description:
            'OAuth scopes: the token must carry at least one of them (COGNITO_USER_POOLS: access token required; JWT: `scope`/`scp` claim). Only for COGNITO_USER_POOLS and JWT.',
          maxItems: 10,
        }),
      ),
      apiKeyRequired: Type.Boolean({
        description: 'Require an API key (source: the RestApi apiKeySource). Default false.',
        default: false,
      }),
      enforcement: Type.Optional(Enforcement('This route only; default: the RestApi enforcement.')),
    },
    { additionalProperties: false },
  ),
  [
    {
      rule: "self.authorizationType in ['CUSTOM', 'COGNITO_USER_POOLS', 'JWT'] ? has(self.authorizerName) : !has(self.authorizerName)",
      message:
        'authorizerName is required for CUSTOM, COGNITO_USER_POOLS and JWT, and forbidden otherwise',
      fieldPath: '.authorizerName',
      check: (r) =>
        AUTHORIZER_AUTHORIZATION_TYPES.includes(r.authorizationType)
          ? r.authorizerName !== undefined
          : r.authorizerName === undefined,
    },
    {
      rule: "!has(self.authorizationScopes) || size(self.authorizationScopes) == 0 || self.authorizationType in ['COGNITO_USER_POOLS', 'JWT']",
      message: 'authorizationScopes apply only to COGNITO_USER_POOLS and JWT routes',
      fieldPath: '.authorizationScopes',
      check: (r) =>
        (r.authorizationScopes?.length ?? 0) === 0 ||
        r.authorizationType === 'COGNITO_USER_POOLS' ||
        r.authorizationType === 'JWT',
    },
  ],
)
export type Route = Static<typeof Route>

export const EndpointConfiguration = withRules(
  Type.Object(
    {
      type: StringEnum(['REGIONAL', 'PRIVATE'] as const, {
        description:
          'REGIONAL: reachable by anyone Envoy admits. PRIVATE: only through the PrivateEndpoints in vpcEndpointIds, and a resource policy is required to allow anything. Default REGIONAL.',
        default: 'REGIONAL',
      }),
      vpcEndpointIds: Type.Optional(
        Type.Array(ObjectName('PrivateEndpoint name.'), {
          description:
            'Names of PrivateEndpoints (same namespace) a PRIVATE API accepts traffic from.',
          maxItems: 64,
          'x-kubernetes-list-type': 'set',
        }),
      ),
    },
    {
      description: 'Endpoint type. Default `{type: REGIONAL}`.',
      additionalProperties: false,
      default: { type: 'REGIONAL' },
    },
  ),
  [
    {
      rule: "self.type == 'PRIVATE' || !has(self.vpcEndpointIds) || size(self.vpcEndpointIds) == 0",
      message: 'vpcEndpointIds apply only to PRIVATE APIs',
      fieldPath: '.vpcEndpointIds',
      check: (e) => e.type === 'PRIVATE' || (e.vpcEndpointIds?.length ?? 0) === 0,
    },
  ],
)
export type EndpointConfiguration = Static<typeof EndpointConfiguration>

export const DecisionLogSettings = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        "Write a decision-log line for this API's decisions (when `serve --decision-log` is on). Default false.",
      default: false,
    }),
    sample: Type.Number({
      description:
        'Fraction of decisions logged, 0 to 1 (1: every decision). Candidate-policy disagreements are always logged. Default 1.',
      minimum: 0,
      maximum: 1,
      default: 1,
    }),
    denyOnly: Type.Boolean({
      description: 'Log denied decisions only (dry-run: would-be denials). Default false.',
      default: false,
    }),
  },
  {
    additionalProperties: false,
    description: 'Decision-log settings of this API. Default: off.',
  },
)
export type DecisionLogSettings = Static<typeof DecisionLogSettings>

export const RestApiSpec = Type.Object(
  {
    apiId: Type.Optional(
      Type.String({
        description: 'API ID used in execute-api ARNs. Default: metadata.name.',
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9._-]+$',
      }),
    ),
    accountId: Type.Optional(
      Type.String({
        description:
          '12-digit AWS account ID that owns the API. Default: the install (`--account-id`).',
        pattern: '^[0-9]{12}$',
      }),
    ),
    region: Type.Optional(
      Type.String({
        description: 'Region in ARNs, e.g. `us-east-1`. Default: the install (`--region`).',
        pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
        maxLength: 32,
      }),
    ),
    stage: Type.String({
      description: 'Stage name in ARNs (`.../{stage}/{METHOD}/{path}`). Default `prod`.',
      pattern: '^[A-Za-z0-9_-]+$',
      minLength: 1,
      maxLength: 128,
      default: 'prod',
    }),
    stageVariables: Type.Optional(
      StringMap({
        description:
          'Stage variables, usable as REQUEST authorizer identity sources and sent in authorizer events.',
      }),
    ),
    hosts: Type.Optional(
      Type.Array(Type.String({ pattern: HOST_PATTERN, maxLength: 253 }), {
        description:
          'Host names (`:authority` without port) served by this API; `*.example.com` matches one or more labels. Services annotated `portcullis.dev/rest-api` add their in-cluster names.',
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    endpointConfiguration: EndpointConfiguration,
    policy: Type.Optional(
      PolicyDocument(
        'Resource policy (IAM JSON, object or JSON string). Resources may use the `execute-api:/{stage}/{METHOD}/{path}` short form. Absent: no resource policy (PRIVATE APIs then deny everything).',
      ),
    ),
    candidatePolicy: Type.Optional(
      PolicyDocument(
        'A resource policy under trial: every request is also decided with it in place of `policy`, after the answer is sent, and each disagreement is counted (`portcullis_candidate_disagreements_total`) and logged. Never changes an answer.',
      ),
    ),
    enforcement: Type.Optional(Enforcement('Default Enforce.')),
    decisionLog: Type.Optional(DecisionLogSettings),
    apiKeySource: StringEnum(['HEADER', 'AUTHORIZER'] as const, {
      description:
        'Where the API key of apiKeyRequired routes comes from: HEADER (`x-api-key`) or AUTHORIZER (usageIdentifierKey of a CUSTOM authorizer). Default HEADER.',
      default: 'HEADER',
    }),
    routes: Type.Array(Route, {
      description:
        'Methods of the API. Most specific path wins (literal > `{param}` > `{proxy+}`); a request matching no route is denied 403 Missing Authentication Token.',
      minItems: 1,
      maxItems: 300,
    }),
  },
  { additionalProperties: false, description: 'Desired state of a REST API.' },
)
export type RestApiSpec = Static<typeof RestApiSpec>
