/**
 * `Authorizer`: a Lambda-style HTTP authorizer (TOKEN / REQUEST), a Cognito user pool authorizer, or an
 * HTTP-API-style JWT authorizer, referenced by RestApi routes through `authorizerName`.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, withRules } from './common.js'

export const AUTHORIZER_TYPES = ['TOKEN', 'REQUEST', 'COGNITO_USER_POOLS', 'JWT'] as const
export type AuthorizerType = (typeof AUTHORIZER_TYPES)[number]

const HTTP_URL = '^https?://[^\\s]+$'

/**
 * Defaults and bounds of the custom-authorizer fields: the schema (and so the CRDs and the
 * reference docs) and the compiled authorizer both read them from here.
 */
export const AUTHORIZER_FIELD_DEFAULTS = {
  resultTtlSeconds: 300,
  maxResultTtlSeconds: 3600,
  timeoutMillis: 3000,
  maxTimeoutMillis: 30_000,
  payloadFormatVersion: '1.0',
} as const
const D = AUTHORIZER_FIELD_DEFAULTS

const JwtConfiguration = Type.Object(
  {
    issuer: Type.String({
      description:
        'Expected `iss` claim; also where OIDC discovery finds `jwks_uri` unless jwksUri is set.',
      minLength: 1,
      maxLength: 2048,
      pattern: HTTP_URL,
    }),
    audience: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
      description: 'Accepted `aud` values (`client_id` is checked only when `aud` is absent).',
      minItems: 1,
      maxItems: 50,
    }),
  },
  { description: 'JWT authorizer settings (type JWT).', additionalProperties: false },
)

/**
 * What a token authorizer can trial on the token it already verified: the audience / client-id
 * rule. An issuer or key change would need other keys (a fetch per trial), and a TOKEN / REQUEST
 * authorizer's answer a second call per request, so neither is offered.
 */
const AuthorizerCandidate = Type.Object(
  {
    audience: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
        description:
          'JWT: accepted `aud` values under trial, in place of `jwtConfiguration.audience` (same rules).',
        minItems: 1,
        maxItems: 50,
      }),
    ),
    clientIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        description:
          'COGNITO_USER_POOLS: accepted app client IDs under trial, in place of `clientIds` (same rules; empty: any).',
        maxItems: 50,
      }),
    ),
  },
  {
    description:
      'COGNITO_USER_POOLS/JWT: claim rules under trial. Every request of a route using this authorizer is also decided with them, on the token already verified, after the answer is sent; each disagreement is counted (`portcullis_candidate_disagreements_total`) and logged. Never changes an answer.',
    additionalProperties: false,
    minProperties: 1,
  },
)

export const AuthorizerSpec = withRules(
  Type.Object(
    {
      type: StringEnum(AUTHORIZER_TYPES, {
        description: 'TOKEN | REQUEST (HTTP authorizer endpoint) | COGNITO_USER_POOLS | JWT.',
      }),
      authorizerUri: Type.Optional(
        Type.String({
          description:
            "TOKEN/REQUEST: HTTP(S) endpoint that receives AWS's authorizer event as a JSON POST and answers with AWS's authorizer response (a Lambda runtime-interface-emulator URL works).",
          minLength: 1,
          maxLength: 2048,
          pattern: HTTP_URL,
        }),
      ),
      identitySource: Type.Optional(
        Type.String({
          description:
            'Where the identity comes from. TOKEN: one `method.request.header.<Name>` (default `method.request.header.Authorization`). REQUEST: comma-separated `method.request.header.<Name>`, `method.request.querystring.<Name>`, `stageVariables.<Name>`, `context.<var>` (required when caching is on). COGNITO_USER_POOLS/JWT: the token header (default Authorization); `$request.header.<Name>` forms are accepted too.',
          minLength: 1,
          maxLength: 1024,
        }),
      ),
      identityValidationExpression: Type.Optional(
        Type.String({
          description:
            'TOKEN: regular expression the whole token must match, else 401 without calling the authorizer. COGNITO_USER_POOLS: applied to the `aud` claim.',
          minLength: 1,
          maxLength: 1024,
        }),
      ),
      authorizerResultTtlInSeconds: Type.Integer({
        description: `Seconds an authorizer result is cached per identity; 0 disables caching. Default ${D.resultTtlSeconds}, maximum ${D.maxResultTtlSeconds}.`,
        minimum: 0,
        maximum: D.maxResultTtlSeconds,
        default: D.resultTtlSeconds,
      }),
      timeoutMillis: Type.Integer({
        description: `Milliseconds to wait for the authorizer endpoint before failing closed (500). Default ${D.timeoutMillis}.`,
        minimum: 1,
        maximum: D.maxTimeoutMillis,
        default: D.timeoutMillis,
      }),
      payloadFormatVersion: StringEnum(['1.0', '2.0'] as const, {
        description: `REQUEST: event format, \`1.0\` (REST) or \`2.0\` (HTTP API). Default ${D.payloadFormatVersion}.`,
        default: D.payloadFormatVersion,
      }),
      enableSimpleResponses: Type.Boolean({
        description:
          'REQUEST with payload 2.0: accept simple answers (`isAuthorized` boolean plus optional `context`). Default false.',
        default: false,
      }),
      providerARNs: Type.Optional(
        Type.Array(
          Type.String({
            pattern:
              '^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[\\w-]+_[0-9A-Za-z]+$',
            maxLength: 2048,
          }),
          {
            description:
              'COGNITO_USER_POOLS: user pool ARNs (`arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}`).',
            minItems: 1,
            maxItems: 10,
          },
        ),
      ),
      clientIds: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
          description:
            'COGNITO_USER_POOLS: accepted app client IDs (`aud` of ID tokens, `client_id` of access tokens). Absent: any.',
          maxItems: 50,
        }),
      ),
      jwtConfiguration: Type.Optional(JwtConfiguration),
      jwksUri: Type.Optional(
        Type.String({
          description:
            "COGNITO_USER_POOLS/JWT: JWKS URL overriding the default (Cognito: the pool's well-known URL; JWT: OIDC discovery on the issuer).",
          minLength: 1,
          maxLength: 2048,
          pattern: HTTP_URL,
        }),
      ),
      candidate: Type.Optional(AuthorizerCandidate),
    },
    { additionalProperties: false, description: 'Desired state of an authorizer.' },
  ),
  [
    {
      rule: "self.type in ['TOKEN', 'REQUEST'] ? has(self.authorizerUri) : !has(self.authorizerUri)",
      message:
        'authorizerUri is required for TOKEN and REQUEST authorizers, and forbidden otherwise',
      fieldPath: '.authorizerUri',
      check: (s) =>
        s.type === 'TOKEN' || s.type === 'REQUEST'
          ? s.authorizerUri !== undefined
          : s.authorizerUri === undefined,
    },
    {
      rule: "self.type == 'COGNITO_USER_POOLS' ? has(self.providerARNs) : !has(self.providerARNs)",
      message:
        'providerARNs is required for COGNITO_USER_POOLS authorizers, and forbidden otherwise',
      fieldPath: '.providerARNs',
      check: (s) =>
        s.type === 'COGNITO_USER_POOLS'
          ? s.providerARNs !== undefined
          : s.providerARNs === undefined,
    },
    {
      rule: "self.type == 'JWT' ? has(self.jwtConfiguration) : !has(self.jwtConfiguration)",
      message: 'jwtConfiguration is required for JWT authorizers, and forbidden otherwise',
      fieldPath: '.jwtConfiguration',
      check: (s) =>
        s.type === 'JWT' ? s.jwtConfiguration !== undefined : s.jwtConfiguration === undefined,
    },
    {
      rule: "self.type == 'COGNITO_USER_POOLS' || !has(self.clientIds)",
      message:
        'clientIds apply only to COGNITO_USER_POOLS authorizers (JWT uses jwtConfiguration.audience)',
      fieldPath: '.clientIds',
      check: (s) => s.type === 'COGNITO_USER_POOLS' || s.clientIds === undefined,
    },
    {
      rule: "self.type in ['COGNITO_USER_POOLS', 'JWT'] || !has(self.jwksUri)",
      message: 'jwksUri applies only to COGNITO_USER_POOLS and JWT authorizers',
      fieldPath: '.jwksUri',
      check: (s) => s.type === 'COGNITO_USER_POOLS' || s.type === 'JWT' || s.jwksUri === undefined,
    },
    {
      rule: "!has(self.candidate) || !has(self.candidate.audience) || self.type == 'JWT'",
      message: 'candidate.audience applies only to JWT authorizers',
      fieldPath: '.candidate.audience',
      check: (s) => s.candidate?.audience === undefined || s.type === 'JWT',
    },
    {
      rule: "!has(self.candidate) || !has(self.candidate.clientIds) || self.type == 'COGNITO_USER_POOLS'",
      message: 'candidate.clientIds applies only to COGNITO_USER_POOLS authorizers',
      fieldPath: '.candidate.clientIds',
      check: (s) => s.candidate?.clientIds === undefined || s.type === 'COGNITO_USER_POOLS',
    },
    {
      rule: "self.type in ['TOKEN', 'COGNITO_USER_POOLS'] || !has(self.identityValidationExpression)",
      message:
        'identityValidationExpression applies only to TOKEN and COGNITO_USER_POOLS authorizers',
      fieldPath: '.identityValidationExpression',
      check: (s) =>
        s.type === 'TOKEN' ||
        s.type === 'COGNITO_USER_POOLS' ||
        s.identityValidationExpression === undefined,
    },
    {
      rule: "self.type != 'REQUEST' || self.authorizerResultTtlInSeconds == 0 || has(self.identitySource)",
      message:
        'identitySource is required for REQUEST authorizers when caching is enabled (authorizerResultTtlInSeconds > 0)',
      fieldPath: '.identitySource',
      check: (s) =>
        s.type !== 'REQUEST' ||
        s.authorizerResultTtlInSeconds === 0 ||
        s.identitySource !== undefined,
    },
    {
      rule: "self.payloadFormatVersion == '1.0' || self.type == 'REQUEST'",
      message: 'payloadFormatVersion 2.0 applies only to REQUEST authorizers',
      fieldPath: '.payloadFormatVersion',
      check: (s) => s.payloadFormatVersion === '1.0' || s.type === 'REQUEST',
    },
    {
      rule: "!self.enableSimpleResponses || (self.type == 'REQUEST' && self.payloadFormatVersion == '2.0')",
      message: 'enableSimpleResponses requires a REQUEST authorizer with payloadFormatVersion 2.0',
      fieldPath: '.enableSimpleResponses',
      check: (s) =>
        !s.enableSimpleResponses || (s.type === 'REQUEST' && s.payloadFormatVersion === '2.0'),
    },
  ],
)
export type AuthorizerSpec = Static<typeof AuthorizerSpec>

/** Identity source used when a TOKEN/COGNITO/JWT authorizer does not name one (AWS's console default). */
export const DEFAULT_TOKEN_IDENTITY_SOURCE = 'method.request.header.Authorization'
