/**
 * A local OpenID provider for the quick start's JWT route (the npm package `oidc-provider`):
 * client `petstore-client` / `demo-secret` gets RS256 JWT access tokens for the resource
 * `https://petstore.example.com` (audience `petstore`) with scopes `pets/read` / `pets/write`
 * through the client-credentials grant. Keys are generated at start and live only in memory.
 */
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'

export const DEMO_RESOURCE = 'https://petstore.example.com'

type ProviderCtor = new (
  issuer: string,
  config: object,
) => { callback(): (req: unknown, res: unknown) => void }

export async function startDemoIssuer(
  port: number,
  host = '127.0.0.1',
): Promise<{ issuer: string; close(): void }> {
  // oidc-provider declares Node >= 22 but runs on 20 (it warns); loaded lazily so only npm start pays.
  const specifier = 'oidc-provider'
  const { default: Provider } = (await import(specifier)) as { default: ProviderCtor }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'demo-1', alg: 'RS256', use: 'sig' }
  const issuer = `http://${host}:${port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'petstore-client',
        client_secret: 'demo-secret',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'pets/read pets/write',
      },
    ],
    scopes: ['pets/read', 'pets/write'],
    jwks: { keys: [jwk] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEMO_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'pets/read pets/write',
          audience: 'petstore',
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  })
  const server = createServer(provider.callback() as Parameters<typeof createServer>[0] & object)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return { issuer, close: () => server.close() }
}
