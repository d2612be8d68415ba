/**
 * `Policy`: a customer managed identity policy, attached to Principals through `managedPolicyRefs`.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { PolicyDocument } from './common.js'

export const PolicySpec = Type.Object(
  {
    policyDocument: PolicyDocument(
      'Identity policy (IAM JSON, object or JSON string). No `Principal` element: it applies to the Principals that reference it.',
    ),
  },
  { additionalProperties: false, description: 'Desired state of a managed policy.' },
)
export type PolicySpec = Static<typeof PolicySpec>
