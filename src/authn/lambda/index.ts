/**
 * Custom ("Lambda") authorizers called over HTTP: public surface of `authn/lambda`.
 *
 * @module
 */
export type { AuthorizerRequest } from './authorizer-request.js'
export {
  CONTEXT_IDENTITY_VARIABLES,
  LAMBDA_AUTHORIZER_DEFAULTS,
  compileLambdaAuthorizerConfig,
  compileValidationRegex,
  parseIdentitySource,
} from './lambda-authorizer-config.js'
export type {
  CompileLambdaAuthorizerOptions,
  ConfigProblem,
  ContextIdentityVariable,
  IdentitySource,
  IdentitySyntax,
  LambdaAuthorizerConfig,
  LambdaAuthorizerSpecInput,
  ParseIdentitySourceResult,
} from './lambda-authorizer-config.js'
export type {
  InvokeOutcomeLabel,
  LambdaErrorCode,
  LambdaOutcome,
  UnauthorizedReason,
} from './lambda-outcome.js'
export type { CompilePolicyFn } from './parse-authorizer-response.js'
export { LambdaAuthorizerRuntime } from './lambda-authorizer-runtime.js'
export type { LambdaAuthorizerRuntimeOptions } from './lambda-authorizer-runtime.js'
