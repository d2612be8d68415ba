/**
 * Compiles an Authorizer object into its runtime config by type: TOKEN / REQUEST → the HTTP
 * ("Lambda") authorizer config; COGNITO_USER_POOLS / JWT → the token verifier config.
 *
 * @module
 */
import { compileLambdaAuthorizerConfig } from '../authn/lambda/index.js'
import type { AuthorizerCompiler } from '../compile/compile-snapshot.js'

export interface AuthorizerCompilerParts {
  /** COGNITO_USER_POOLS / JWT; undefined until the JWT module is wired. */
  readonly jwt?: AuthorizerCompiler
}

export function createAuthorizerCompiler(parts: AuthorizerCompilerParts = {}): AuthorizerCompiler {
  return (m, defaults) => {
    const id = `${m.ref.namespace}/${m.ref.name}`
    switch (m.spec.type) {
      case 'TOKEN':
      case 'REQUEST': {
        const { authorizerUri } = m.spec
        // The schema's cross-field rule requires it for these types; kept as a compile error too
        // so a spec that skipped validation still fails closed.
        if (authorizerUri === undefined)
          return {
            ok: false,
            errors: [{ path: 'spec.authorizerUri', message: 'is required for TOKEN and REQUEST' }],
          }
        const r = compileLambdaAuthorizerConfig(id, {
          ...m.spec,
          type: m.spec.type,
          authorizerUri,
        })
        if (!r.ok)
          return {
            ok: false,
            errors: r.errors.map((e) => ({ path: `spec.${e.path}`, message: e.message })),
          }
        return { ok: true, runtime: { kind: 'lambda', config: r.config } }
      }
      case 'COGNITO_USER_POOLS':
      case 'JWT':
        if (parts.jwt) return parts.jwt(m, defaults)
        return {
          ok: false,
          errors: [
            {
              path: 'spec.type',
              message: `${m.spec.type} authorizers are not available in this build`,
            },
          ],
        }
      default:
        return {
          ok: false,
          errors: [
            { path: 'spec.type', message: `unknown authorizer type ${String(m.spec.type)}` },
          ],
        }
    }
  }
}
