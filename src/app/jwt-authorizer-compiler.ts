/**
 * COGNITO_USER_POOLS / JWT Authorizer objects → token-verifier configs (one per issuer), with
 * every problem reported on its spec field.
 *
 * @module
 */
import {
  compileCognitoConfigs,
  validateJwtAuthorizerConfig,
  DEFAULT_CLOCK_SKEW_SECONDS,
  type JwtAuthorizerConfig,
  type JwtRuntimeConfig,
} from '../authn/jwt/index.js'
import type { AuthorizerCompiler } from '../compile/compile-snapshot.js'

const HEADER_SOURCE =
  /^(?:method\.request\.header\.|\$request\.header\.)([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/

export const compileJwtAuthorizer: AuthorizerCompiler = (m) => {
  const { spec } = m
  const id = `${m.ref.namespace}/${m.ref.name}`
  let identityHeader = 'authorization'
  if (spec.identitySource !== undefined) {
    const h = HEADER_SOURCE.exec(spec.identitySource.trim())
    if (!h) {
      return {
        ok: false,
        errors: [
          {
            path: 'spec.identitySource',
            message: 'must be one header: method.request.header.<Name> or $request.header.<Name>',
          },
        ],
      }
    }
    identityHeader = (h[1] ?? '').toLowerCase()
  }
  let configs: JwtAuthorizerConfig[]
  if (spec.type === 'COGNITO_USER_POOLS') {
    const r = compileCognitoConfigs({
      id,
      providerARNs: spec.providerARNs ?? [],
      clientIds: spec.clientIds,
      jwksUri: spec.jwksUri,
      identityHeader,
    })
    if (r instanceof Error)
      return { ok: false, errors: [{ path: 'spec.providerARNs', message: r.message }] }
    configs = r
  } else {
    const issuer = spec.jwtConfiguration?.issuer
    if (issuer === undefined)
      return {
        ok: false,
        errors: [{ path: 'spec.jwtConfiguration.issuer', message: 'required for JWT authorizers' }],
      }
    configs = [
      {
        id,
        type: 'JWT',
        issuer,
        jwksUri: spec.jwksUri,
        audiences: [...(spec.jwtConfiguration?.audience ?? [])],
        identityHeader,
        clockSkewSeconds: DEFAULT_CLOCK_SKEW_SECONDS,
      },
    ]
  }
  const errors = configs.flatMap((c) =>
    validateJwtAuthorizerConfig(c).map((p) => {
      const i = p.indexOf(':')
      const field = i > 0 ? p.slice(0, i) : ''
      return {
        path: field === '' ? 'spec' : `spec.${field}`,
        message: i > 0 ? p.slice(i + 1).trim() : p,
      }
    }),
  )
  if (errors.length > 0) return { ok: false, errors }
  const runtime: JwtRuntimeConfig = { configs, revision: JSON.stringify(configs) }
  return { ok: true, runtime: { kind: 'jwt', config: runtime } }
}
