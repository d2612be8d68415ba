/**
 * `UsagePlan`: which API stages a set of API keys may call, with a token-bucket throttle (plan-wide
 * and per method) and a request quota per DAY, WEEK or MONTH (UTC).
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { ObjectName, StringEnum, withRules } from './common.js'

export const QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number]

/** Highest `quota.offset` per period: WEEK counts days from Sunday, MONTH days from the 1st. */
export const MAX_QUOTA_OFFSET: Readonly<Record<QuotaPeriod, number>> = {
  DAY: 0,
  WEEK: 6,
  MONTH: 27,
}

/** AWS allows at most this many per-method throttles per API stage of a plan. */
export const MAX_METHOD_THROTTLES = 20

/** Largest throttle rate and burst API Gateway accepts. */
export const MAX_THROTTLE_LIMIT = 1_000_000
/** Largest quota limit the kind holds. */
export const MAX_QUOTA_LIMIT = 2_000_000_000

export const ThrottleSettings = Type.Object(
  {
    rateLimit: Type.Number({
      description: 'Steady-state requests per second (token refill rate).',
      minimum: 0,
      maximum: MAX_THROTTLE_LIMIT,
    }),
    burstLimit: Type.Integer({
      description: 'Bucket capacity: requests allowed at once after a quiet period.',
      minimum: 0,
      maximum: MAX_THROTTLE_LIMIT,
    }),
  },
  { additionalProperties: false },
)
export type ThrottleSettings = Static<typeof ThrottleSettings>

export const QuotaSettings = withRules(
  Type.Object(
    {
      limit: Type.Integer({
        description: 'Requests allowed per period, per API key.',
        minimum: 0,
        maximum: MAX_QUOTA_LIMIT,
      }),
      period: StringEnum(QUOTA_PERIODS, { description: 'DAY | WEEK | MONTH, in UTC.' }),
      offset: Type.Integer({
        description:
          'The day a period starts: 0 for DAY; for WEEK 0 = Sunday … 6 = Saturday; for MONTH 0 = the 1st … 27 = the 28th. Default 0.',
        minimum: 0,
        maximum: 27,
        default: 0,
      }),
    },
    {
      description: 'Requests per API key per period, summed across the stages of the plan.',
      additionalProperties: false,
    },
  ),
  [
    {
      rule: "self.period == 'DAY' ? self.offset == 0 : (self.period == 'WEEK' ? self.offset <= 6 : self.offset <= 27)",
      message: 'offset must be 0 for DAY, 0–6 for WEEK and 0–27 for MONTH',
      fieldPath: '.offset',
      check: (q) => q.offset <= MAX_QUOTA_OFFSET[q.period],
    },
  ],
)
export type QuotaSettings = Static<typeof QuotaSettings>

export const UsagePlanApiStage = Type.Object(
  {
    apiName: ObjectName('RestApi name in the same namespace.'),
    stage: Type.String({
      description: 'Stage name; must be the RestApi spec.stage.',
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_-]+$',
    }),
    throttle: Type.Optional(
      Type.Unsafe<Record<string, ThrottleSettings>>({
        description:
          'Per-method throttles keyed `/resource/path/METHOD` (a route path of the RestApi and one of its methods); they narrow the plan throttle. At most 20.',
        type: 'object',
        maxProperties: MAX_METHOD_THROTTLES,
        additionalProperties: ThrottleSettings,
      }),
    ),
  },
  { additionalProperties: false },
)
export type UsagePlanApiStage = Static<typeof UsagePlanApiStage>

export const UsagePlanSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'Free text.', maxLength: 1024 })),
    apiStages: Type.Array(UsagePlanApiStage, {
      description: 'API stages the plan covers; its keys may call these and nothing else.',
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['apiName', 'stage'],
    }),
    throttle: Type.Optional(
      Type.Object(ThrottleSettings.properties, {
        description:
          'Token bucket per API key across all stages of the plan: rateLimit requests/second, burstLimit capacity. Absent: no throttle.',
        additionalProperties: false,
      }),
    ),
    quota: Type.Optional(QuotaSettings),
    apiKeys: Type.Optional(
      Type.Array(ObjectName('ApiKey name.'), {
        description:
          'Names of ApiKey objects in the same namespace. A key may be in only one plan per API stage.',
        maxItems: 10_000,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  { additionalProperties: false, description: 'Desired state of a usage plan.' },
)
export type UsagePlanSpec = Static<typeof UsagePlanSpec>
