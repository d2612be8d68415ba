/**
 * The compiled, validated configuration of one COGNITO_USER_POOLS or JWT authorizer, and the
 * helpers that derive it from the Authorizer CRD's AWS-shaped fields (user pool ARNs, issuer).
 *
 * @module
 */

/**
 * One issuer's worth of token verification settings.
 *
 * Several Cognito user pools (`providerARNs[]` with more than one ARN) compile into ONE config PER
 * POOL, all sharing the authorizer `id`; {@link JwtVerifierSet} then picks the config whose
 * `issuer` equals the token's `iss` (a plain string comparison on the unverified claim, after
 * which the chosen verifier checks everything, `iss` included, against that pool's keys).
 */
/**
 * The key source of the cluster's own ServiceAccount issuer: `/openid/v1/jwks` on the connected
 * Kubernetes API server (JwksRegistryOptions.apiServerFetch). Not an http(s) URL on purpose:
 * neither configuration nor a discovery document can name it, so Portcullis's credentials only
 * ever go to its own API server.
 */
export const KUBERNETES_API_SERVER_JWKS = 'kubernetes-apiserver:/openid/v1/jwks'

export interface JwtAuthorizerConfig {
  /** `namespace/name` of the Authorizer object; used in logs and fetch metrics only. */
  readonly id: string
  readonly type: 'COGNITO_USER_POOLS' | 'JWT'
  /** Exact expected `iss`. Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}`. */
  readonly issuer: string
  /**
   * JWKS location override. When undefined: Cognito uses `{issuer}/.well-known/jwks.json`; JWT
   * uses OIDC discovery (`{issuer}/.well-known/openid-configuration` → `jwks_uri`).
   */
  readonly jwksUri: string | undefined
  /**
   * JWT: `jwtConfiguration.audience[]`, matched against `aud` (or `client_id` when `aud` is absent),
   * required non-empty as in AWS. Cognito: `clientIds[]`, matched against `aud` (ID token) or
   * `client_id` (access token); empty means not checked (AWS leaves this open:
   * docs/aws-semantics.md#cognito-tokens).
   */
  readonly audiences: readonly string[]
  /** Lower-case header name holding the token; default `authorization`. */
  readonly identityHeader: string
  /** Tolerance applied to `exp`, `nbf` and `iat`; default {@link DEFAULT_CLOCK_SKEW_SECONDS}. */
  readonly clockSkewSeconds: number
}

/**
 * 60 s: the tolerance most JWT libraries and Envoy's jwt_authn default to (`clock_skew_seconds`
 * 60); AWS does not document one. Larger values extend the life of stolen tokens.
 */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60
/** Upper bound accepted by {@link validateJwtAuthorizerConfig}: 5 minutes, SigV4's own skew. */
export const MAX_CLOCK_SKEW_SECONDS = 300
export const DEFAULT_IDENTITY_HEADER = 'authorization'
/** AWS limit for `jwtConfiguration.audience` (limits.md). */
export const MAX_AUDIENCES = 50

// arn:aws:cognito-idp:{region}:{account}:userpool/{region}_{id}; partitions aws, aws-cn, aws-us-gov.
const USER_POOL_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):cognito-idp:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):userpool\/(([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+)$/

/**
 * The issuer URL of the user pool named by a `providerARNs[]` entry, as Cognito writes it in `iss`
 * (Cognito developer guide, "Verifying a JSON web token"). The pool id's region prefix must equal
 * the ARN's region, or the ARN cannot name a real pool.
 */
export function cognitoIssuerFromProviderArn(arn: string): string | Error {
  const m = USER_POOL_ARN.exec(arn)
  if (m === null) {
    return new Error(
      `not a Cognito user pool ARN (arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}): ${JSON.stringify(arn.slice(0, 200))}`,
    )
  }
  const [, partition, region, , poolId, poolRegion] = m
  if (region !== poolRegion) {
    return new Error(`user pool id ${poolId} does not belong to region ${region}`)
  }
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
  return `https://cognito-idp.${region}.${domain}/${poolId}`
}

/** Cognito's JWKS location for an issuer: `{issuer}/.well-known/jwks.json`. */
export function cognitoJwksUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`
}

/** OIDC Discovery 1.0 §4: `{issuer}/.well-known/openid-configuration` (no double slash). */
export function oidcDiscoveryUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value)
    return (
      (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === ''
    )
  } catch {
    return false
  }
}

/**
 * Problems that make a config unusable, as human-readable strings (empty array = valid). The
 * compiler turns them into ConfigErrors; {@link JwtVerifier}'s constructor throws on them.
 * `http:` URLs are accepted (in-cluster issuers, tests); production issuers should be `https:`.
 */
export function validateJwtAuthorizerConfig(config: JwtAuthorizerConfig): string[] {
  const problems: string[] = []
  if (config.type !== 'COGNITO_USER_POOLS' && config.type !== 'JWT') {
    problems.push(`type: must be COGNITO_USER_POOLS or JWT`)
  }
  if (!isHttpUrl(config.issuer)) problems.push('issuer: must be an http(s) URL')
  if (
    config.jwksUri !== undefined &&
    config.jwksUri !== KUBERNETES_API_SERVER_JWKS &&
    !isHttpUrl(config.jwksUri)
  ) {
    problems.push('jwksUri: must be an http(s) URL')
  }
  if (config.type === 'JWT' && config.audiences.length === 0) {
    problems.push('jwtConfiguration.audience: at least one audience is required')
  }
  if (config.audiences.length > MAX_AUDIENCES) {
    problems.push(`audience: at most ${MAX_AUDIENCES} entries`)
  }
  if (config.audiences.some((a) => a.length === 0)) problems.push('audience: empty entry')
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(config.identityHeader)) {
    problems.push('identityHeader: must be a lower-case HTTP header name')
  }
  if (
    !Number.isInteger(config.clockSkewSeconds) ||
    config.clockSkewSeconds < 0 ||
    config.clockSkewSeconds > MAX_CLOCK_SKEW_SECONDS
  ) {
    problems.push(`clockSkewSeconds: integer 0..${MAX_CLOCK_SKEW_SECONDS}`)
  }
  return problems
}

/** Input of {@link compileCognitoConfigs}: the Authorizer spec fields that matter here. */
export interface CognitoAuthorizerFields {
  readonly id: string
  readonly providerARNs: readonly string[]
  readonly clientIds?: readonly string[] | undefined
  readonly jwksUri?: string | undefined
  readonly identityHeader?: string | undefined
  readonly clockSkewSeconds?: number | undefined
}

/**
 * One config per user pool ARN (see {@link JwtAuthorizerConfig}). A `jwksUri` override applies to
 * every pool of the authorizer (it exists for issuers that are not real Cognito, e.g. emulators).
 */
export function compileCognitoConfigs(
  fields: CognitoAuthorizerFields,
): JwtAuthorizerConfig[] | Error {
  if (fields.providerARNs.length === 0) return new Error('providerARNs: at least one user pool ARN')
  const configs: JwtAuthorizerConfig[] = []
  for (const arn of fields.providerARNs) {
    const issuer = cognitoIssuerFromProviderArn(arn)
    if (issuer instanceof Error) return issuer
    const config: JwtAuthorizerConfig = {
      id: fields.id,
      type: 'COGNITO_USER_POOLS',
      issuer,
      jwksUri: fields.jwksUri,
      audiences: [...(fields.clientIds ?? [])],
      identityHeader: fields.identityHeader ?? DEFAULT_IDENTITY_HEADER,
      clockSkewSeconds: fields.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    }
    const problems = validateJwtAuthorizerConfig(config)
    if (problems.length > 0) return new Error(problems.join('; '))
    configs.push(config)
  }
  return configs
}

/** The compiled runtime config of one token authorizer (one verifier config per issuer). */
export interface JwtRuntimeConfig {
  readonly configs: readonly JwtAuthorizerConfig[]
  /** Changes whenever the verifier-relevant config changes (verifiers are rebuilt then). */
  readonly revision: string
}
