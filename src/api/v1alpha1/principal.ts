/**
 * `Principal`: an IAM user or role that signs requests with SigV4, with its access keys (secrets in a
 * Secret of the same namespace), inline policies, managed policy references and tags.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { ObjectName, PolicyDocument, StringEnum, StringMap } from './common.js'

/** IAM user/role or STS assumed-role ARN; the account is the 5th field. */
export const PRINCIPAL_ARN_PATTERN = '^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$'

export const AccessKey = Type.Object(
  {
    accessKeyId: Type.String({
      description:
        'Access key ID (16–128 word characters, e.g. `AKIA...`), unique across all Principals.',
      pattern: '^\\w{16,128}$',
    }),
    secretAccessKeyRef: Type.Object(
      {
        name: Type.String({
          description: 'Secret name (same namespace as the Principal).',
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
        }),
        key: Type.String({
          description: 'Key inside the Secret holding the secret access key.',
          minLength: 1,
          maxLength: 253,
          pattern: '^[-._a-zA-Z0-9]+$',
        }),
      },
      { description: 'Where the secret access key is stored.', additionalProperties: false },
    ),
    status: StringEnum(['Active', 'Inactive'] as const, {
      description: 'Inactive keys are refused like unknown keys. Default Active.',
      default: 'Active',
    }),
  },
  { additionalProperties: false },
)
export type AccessKey = Static<typeof AccessKey>

export const InlinePolicy = Type.Object(
  {
    policyName: Type.String({
      description: 'Name of the inline policy, unique within the Principal (shown in decisions).',
      pattern: '^[\\w+=,.@-]+$',
      minLength: 1,
      maxLength: 128,
    }),
    policyDocument: PolicyDocument('Identity policy (IAM JSON, object or JSON string).'),
  },
  { additionalProperties: false },
)
export type InlinePolicy = Static<typeof InlinePolicy>

export const MIN_SESSION_DURATION = 900
export const MAX_SESSION_DURATION = 43200
export const DEFAULT_SESSION_DURATION = 3600

export const PrincipalSpec = Type.Object(
  {
    arn: Type.String({
      description:
        'Principal ARN, e.g. `arn:aws:iam::111122223333:user/alice`; its account decides cross-account evaluation.',
      pattern: PRINCIPAL_ARN_PATTERN,
      maxLength: 2048,
    }),
    accessKeys: Type.Optional(
      Type.Array(AccessKey, {
        description: 'SigV4 access keys of this principal.',
        maxItems: 16,
      }),
    ),
    policies: Type.Optional(
      Type.Array(InlinePolicy, { description: 'Inline identity policies.', maxItems: 64 }),
    ),
    managedPolicyRefs: Type.Optional(
      Type.Array(ObjectName('Policy name.'), {
        description: 'Names of Policy objects in the same namespace attached to this principal.',
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    candidatePolicies: Type.Optional(
      Type.Array(InlinePolicy, {
        description:
          'Inline identity policies under trial: every AWS_IAM request of this principal (and of its role sessions) is also decided with them in place of `policies`, after the answer is sent; each disagreement is counted (`portcullis_candidate_disagreements_total`) and logged. An empty list trials having no inline policy. Never changes an answer.',
        maxItems: 64,
      }),
    ),
    candidateManagedPolicyRefs: Type.Optional(
      Type.Array(ObjectName('Policy name.'), {
        description:
          'Managed policies under trial, in place of `managedPolicyRefs` (same namespace), decided and counted like `candidatePolicies`. Each candidate field replaces only its live counterpart.',
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    tags: Type.Optional(
      StringMap({
        description: 'Principal tags, visible to conditions as `aws:PrincipalTag/<key>`.',
      }),
    ),
    assumeRolePolicyDocument: Type.Optional(
      PolicyDocument(
        'Roles only: trust policy (IAM JSON, object or JSON string) deciding who may assume the role, e.g. `{"Federated": "<provider>"}` with action `sts:AssumeRoleWithWebIdentity`.',
      ),
    ),
    maxSessionDuration: Type.Optional(
      Type.Integer({
        description: `Roles only: longest session, in seconds, that assuming the role may ask for (${MIN_SESSION_DURATION}–${MAX_SESSION_DURATION}). Default ${DEFAULT_SESSION_DURATION}.`,
        minimum: MIN_SESSION_DURATION,
        maximum: MAX_SESSION_DURATION,
      }),
    ),
  },
  { additionalProperties: false, description: 'Desired state of an IAM principal.' },
)
export type PrincipalSpec = Static<typeof PrincipalSpec>
