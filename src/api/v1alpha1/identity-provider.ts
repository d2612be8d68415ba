/**
 * `IdentityProvider`: an OpenID Connect issuer whose tokens may be exchanged for a role's session
 * credentials (AWS: an IAM OIDC identity provider). A Cognito user pool, any OIDC issuer, or the
 * cluster's own ServiceAccount issuer.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, withRules } from './common.js'

const HTTP_URL = '^https?://[^\\s]+$'

export const IdentityProviderSpec = withRules(
  Type.Object(
    {
      url: Type.String({
        description:
          'Issuer URL, compared exactly with the `iss` of tokens. Trust policies name the provider by this URL without `https://` (e.g. `cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC`).',
        minLength: 1,
        maxLength: 255,
        pattern: HTTP_URL,
      }),
      clientIDList: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        description: 'Accepted audiences: the `aud` of a token must be one of them.',
        minItems: 1,
        maxItems: 100,
        'x-kubernetes-list-type': 'set',
      }),
      jwksUri: Type.Optional(
        Type.String({
          description:
            "JWKS URL overriding OIDC discovery (`{url}/.well-known/openid-configuration` → `jwks_uri`). For the cluster's ServiceAccount issuer, the API server's `/openid/v1/jwks`.",
          minLength: 1,
          maxLength: 2048,
          pattern: HTTP_URL,
        }),
      ),
      jwksFrom: Type.Optional(
        StringEnum(['KubernetesAPIServer'] as const, {
          description:
            "`KubernetesAPIServer`: the cluster's own ServiceAccount issuer. Keys are read from the API server Portcullis is connected to (`/openid/v1/jwks`), with Portcullis's own credentials and the cluster's CA, instead of from `jwksUri` or OIDC discovery (the API server's issuer URL is usually not reachable without them). Not with `jwksUri`.",
        }),
      ),
    },
    { additionalProperties: false, description: 'Desired state of an OIDC identity provider.' },
  ),
  [
    {
      rule: '!(has(self.jwksFrom) && has(self.jwksUri))',
      message: 'jwksFrom and jwksUri are exclusive: the keys come from one place',
      fieldPath: '.jwksFrom',
      check: (self) => !(self.jwksFrom !== undefined && self.jwksUri !== undefined),
    },
  ],
)
export type IdentityProviderSpec = Static<typeof IdentityProviderSpec>

/**
 * The name AWS gives an OIDC provider, used in `{"Federated": ...}` and condition keys
 * (`<name>:sub`): the issuer URL without its scheme or a trailing slash.
 */
export function identityProviderName(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/+$/, '')
}
