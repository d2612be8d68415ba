/**
 * `IdentityProvider`: OIDC issuers whose tokens roles may trust, keyed by issuer URL (a token
 * names its provider by `iss`). One provider per issuer, as IAM allows one per URL per account.
 *
 * @module
 */
import { identityProviderName, type IdentityProviderSpec } from '../../api/v1alpha1/index.js'
import type { StsProvider } from '../sts-directory.js'
import type { Manifest } from '../compile-input.js'
import { key, sortByRef, type CompileContext } from './compile-context.js'

export function compileIdentityProviders(
  providers: readonly Manifest<IdentityProviderSpec>[],
  ctx: CompileContext,
): Map<string, StsProvider> {
  const byIssuer = new Map<string, StsProvider>()
  for (const m of sortByRef(providers)) {
    const known = byIssuer.get(m.spec.url)
    if (known !== undefined) {
      ctx.err(
        m.file,
        m.ref,
        'spec.url',
        `issuer ${m.spec.url} is already declared by IdentityProvider ${known.ref}`,
      )
      continue
    }
    byIssuer.set(
      m.spec.url,
      Object.freeze({
        ref: key(m.ref.namespace, m.ref.name),
        name: identityProviderName(m.spec.url),
        issuer: m.spec.url,
        clientIds: Object.freeze([...m.spec.clientIDList]),
        jwksUri: m.spec.jwksUri,
        jwksFromApiServer: m.spec.jwksFrom === 'KubernetesAPIServer',
      }),
    )
    ctx.counts.IdentityProvider++
  }
  return byIssuer
}
