/**
 * Public surface of the COGNITO_USER_POOLS / JWT token verification library.
 *
 * @module
 */
export {
  cognitoIssuerFromProviderArn,
  cognitoJwksUri,
  compileCognitoConfigs,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_IDENTITY_HEADER,
  oidcDiscoveryUri,
  validateJwtAuthorizerConfig,
  type CognitoAuthorizerFields,
  type JwtAuthorizerConfig,
  type JwtRuntimeConfig,
} from './jwt-authorizer-config.js'
export type { JwtAllow, JwtAllowMemo, JwtDeny, JwtErrorCode, JwtResult } from './jwt-result.js'
export {
  JWKS_REGISTRY_DEFAULTS,
  JwksRegistry,
  KUBERNETES_API_SERVER_JWKS,
  keySourceFor,
  type JwksRegistryOptions,
  type KeySource,
} from './jwks-registry.js'
export type { RemoteDocumentStatus } from './remote-document.js'
export type { FetchJsonOptions, FetchJsonResult, FetchOutcome } from './fetch-json-bounded.js'
export {
  JwtVerifier,
  DEFAULT_TOKEN_CACHE_MAX,
  DEFAULT_TOKEN_CACHE_MAX_BYTES,
  type JwtVerifierOptions,
  type JwtVerifierStats,
} from './jwt-verifier.js'
export { JwtVerifierSet } from './jwt-verifier-set.js'
export { MAX_TOKEN_BYTES } from './decode-compact-jws.js'
export {
  SignatureOffload,
  defaultOffloadMaxInFlight,
  DEFAULT_OFFLOAD_IN_FLIGHT,
  INLINE_SIGNATURES,
  MAX_OFFLOAD_IN_FLIGHT,
  type SignatureOffloadStats,
} from './signature-offload.js'
