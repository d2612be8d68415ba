/**
 * `ApiKey`: an API Gateway API key. The value lives in a Secret of the same namespace, never in the
 * object, so it stays out of status, events and `kubectl get -o yaml` of the key.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { ObjectName } from './common.js'

/** AWS's rule for API key values: 20 to 128 alphanumeric characters. */
export const API_KEY_VALUE_PATTERN = /^[A-Za-z0-9]{20,128}$/

export const ApiKeySpec = Type.Object(
  {
    valueFrom: Type.Object(
      {
        secretKeyRef: Type.Object(
          {
            name: ObjectName('Secret name (same namespace as the ApiKey).'),
            key: Type.String({
              description:
                'Key inside the Secret holding the API key value (20–128 alphanumerics).',
              minLength: 1,
              maxLength: 253,
              pattern: '^[-._a-zA-Z0-9]+$',
            }),
          },
          { description: 'The Secret and key holding the value.', additionalProperties: false },
        ),
      },
      { description: 'Where the key value is stored.', additionalProperties: false },
    ),
    enabled: Type.Boolean({
      description: 'A disabled key is refused like an unknown one (403). Default true.',
      default: true,
    }),
    customerId: Type.Optional(
      Type.String({
        description: 'AWS Marketplace customer id or any label; reported in usage.',
        maxLength: 256,
      }),
    ),
    description: Type.Optional(Type.String({ description: 'Free text.', maxLength: 1024 })),
  },
  { additionalProperties: false, description: 'Desired state of an API key.' },
)
export type ApiKeySpec = Static<typeof ApiKeySpec>
