/**
 * JWT authorizer verification against a real OpenID provider: the `oidc-provider` package on a
 * loopback port, issuing JWT access tokens through client_credentials with resource indicators.
 * Portcullis finds the keys through OIDC discovery only (no jwksUri override), and follows a key
 * rotation done on the provider side.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  JwksRegistry,
  JwtVerifier,
  type JwksRegistryOptions,
  type JwtAuthorizerConfig,
  type JwtResult,
} from '../../src/authn/jwt/index.js'

/** The slice of oidc-provider's API this test uses (the package ships no type declarations). */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
}
type OidcProviderClass = new (issuer: string, config: Record<string, unknown>) => OidcProvider

async function loadProvider(): Promise<OidcProviderClass> {
  const specifier = 'oidc-provider' // non-literal: the module is untyped, we check its shape below
  const mod = (await import(specifier)) as { default?: unknown }
  if (typeof mod.default !== 'function') throw new Error('oidc-provider did not load')
  return mod.default as OidcProviderClass
}

const RESOURCE = 'https://petstore.example'
const AUDIENCE = 'petstore'

async function signingJwk(alg: 'RS256' | 'ES256', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' }
}

class OpenIdProviderPeer {
  server: Server | undefined
  requests: string[] = []
  issuer = ''
  port = 0
  #handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end()
  }
  #Provider: OidcProviderClass | undefined

  /** Listens on port 0 the first time, on the same port (same issuer URL) after stop(). */
  async start(): Promise<void> {
    this.#Provider ??= await loadProvider()
    const server = createServer((req, res) => {
      this.requests.push(req.url ?? '')
      this.#handler(req, res)
    })
    await new Promise<void>((resolve) =>
      server.listen(this.port, '127.0.0.1', () => {
        resolve()
      }),
    )
    this.server = server
    this.port = (server.address() as AddressInfo).port
    this.issuer = `http://127.0.0.1:${this.port}`
  }

  /** (Re)configures the provider with `keys` (first = signing key) and token signing `alg`. */
  configure(keys: JWK[], alg: 'RS256' | 'ES256' = 'RS256'): void {
    if (this.#Provider === undefined) throw new Error('not started')
    const provider = new this.#Provider(this.issuer, {
      clients: [
        {
          client_id: 'svc',
          client_secret: 'svc-secret',
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          scope: 'pets/read pets/write',
        },
      ],
      scopes: ['pets/read', 'pets/write'],
      jwks: { keys },
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'pets/read pets/write',
            audience: AUDIENCE,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          }),
        },
      },
    })
    this.#handler = provider.callback()
  }

  async token(scope: string): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: RESOURCE }),
    })
    const body = (await res.json()) as { access_token?: unknown }
    if (res.status !== 200 || typeof body.access_token !== 'string') {
      throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`)
    }
    return body.access_token
  }

  count(path: string): number {
    return this.requests.filter((p) => p === path).length
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve()
      }),
    )
  }
}

const op = new OpenIdProviderPeer()
const registries: JwksRegistry[] = []
let rsaKey: JWK

function registry(opts: JwksRegistryOptions = {}): JwksRegistry {
  const r = new JwksRegistry({ retryIntervalMs: 0, ...opts })
  registries.push(r)
  return r
}

function config(audiences = [AUDIENCE]): JwtAuthorizerConfig {
  return {
    id: 'shop/oidc',
    type: 'JWT',
    issuer: op.issuer,
    jwksUri: undefined, // through discovery
    audiences,
    identityHeader: 'authorization',
    clockSkewSeconds: 60,
  }
}

function expectDeny(r: JwtResult, code: string, status = 401): void {
  expect(r).toMatchObject({ ok: false, code, status })
}

beforeAll(async () => {
  await op.start()
  rsaKey = await signingJwk('RS256', 'op-rsa-1')
  op.configure([rsaKey])
})
afterAll(async () => {
  await op.stop()
})
afterEach(() => {
  for (const r of registries.splice(0)) r.close()
  op.configure([rsaKey])
})

describe('JWT authorizer (HTTP API rules) against a real OIDC provider', () => {
  it('verifies a client_credentials JWT access token found through OIDC discovery', async () => {
    const v = new JwtVerifier(config(), registry())
    const before = {
      discovery: op.count('/.well-known/openid-configuration'),
      jwks: op.count('/jwks'),
    }
    const r = await v.verify(`Bearer ${await op.token('pets/read')}`, ['pets/read'])
    expect(r).toMatchObject({ ok: true, principalId: 'svc', scopes: ['pets/read'] })
    if (!r.ok) return
    expect(r.claims).toMatchObject({
      client_id: 'svc',
      aud: AUDIENCE,
      iss: op.issuer,
      scope: 'pets/read',
    })
    expect(op.count('/.well-known/openid-configuration')).toBe(before.discovery + 1)
    expect(op.count('/jwks')).toBe(before.jwks + 1)
  })

  it('answers 403 ERR_JWT_SCOPE_MISMATCH when the token lacks every route scope', async () => {
    const v = new JwtVerifier(config(), registry())
    const token = await op.token('pets/read')
    expectDeny(await v.verify(token, ['pets/write']), 'ERR_JWT_SCOPE_MISMATCH', 403)
    expect((await v.verify(token, ['pets/write', 'pets/read'])).ok).toBe(true) // any-of
    expect((await v.verify(token, [])).ok).toBe(true) // no route scopes: none needed
  })

  it('answers 401 ERR_JWT_AUDIENCE_MISMATCH when aud is not a configured audience', async () => {
    const v = new JwtVerifier(config(['billing']), registry())
    expectDeny(await v.verify(await op.token('pets/read'), []), 'ERR_JWT_AUDIENCE_MISMATCH')
  })

  it('answers 401 ERR_JWT_ISSUER_MISMATCH for an issuer configured with a different URL', async () => {
    const v = new JwtVerifier({ ...config(), issuer: `${op.issuer}/other` }, registry())
    expectDeny(await v.verify(await op.token('pets/read'), []), 'ERR_JWT_ISSUER_MISMATCH')
  })

  it('follows a provider-side key rotation: unknown kid → one JWKS refetch → verifies', async () => {
    const v = new JwtVerifier(config(), registry())
    const oldToken = await op.token('pets/read')
    expect((await v.verify(oldToken, [])).ok).toBe(true)
    const jwksBefore = op.count('/jwks')
    const discoveryBefore = op.count('/.well-known/openid-configuration')
    const rotated = await signingJwk('RS256', 'op-rsa-2')
    op.configure([rotated, rsaKey]) // new signing key first, old one still published
    const newToken = await op.token('pets/read')
    expect(newToken).not.toBe(oldToken)
    const r = await v.verify(newToken, ['pets/read'])
    expect(r.ok).toBe(true)
    expect(op.count('/jwks')).toBe(jwksBefore + 1)
    expect(op.count('/.well-known/openid-configuration')).toBe(discoveryBefore) // discovery cached
    expect((await v.verify(oldToken, [])).ok).toBe(true) // old key still published
  })

  it('verifies ES256 tokens when the provider signs with an EC key', async () => {
    // ID tokens still default to RS256, so the provider keeps an RSA key next to the EC one.
    op.configure([await signingJwk('ES256', 'op-ec-1'), rsaKey], 'ES256')
    const v = new JwtVerifier(config(), registry())
    const r = await v.verify(await op.token('pets/write'), ['pets/write'])
    expect(r).toMatchObject({ ok: true, scopes: ['pets/write'] })
  })

  it('verifies a repeated token once and fetches discovery and JWKS once', async () => {
    const v = new JwtVerifier(config(), registry())
    const before = {
      discovery: op.count('/.well-known/openid-configuration'),
      jwks: op.count('/jwks'),
    }
    const token = await op.token('pets/read pets/write')
    for (let i = 0; i < 50; i++) expect((await v.verify(token, ['pets/write'])).ok).toBe(true)
    expect(v.stats()).toEqual({ signatureVerifications: 1, cacheHits: 49 })
    expect(op.count('/.well-known/openid-configuration') - before.discovery).toBe(1)
    expect(op.count('/jwks') - before.jwks).toBe(1)
  })

  it('answers 401 while the provider is unreachable and recovers by itself when it returns', async () => {
    const token = await op.token('pets/read')
    await op.stop() // the port now refuses connections
    const reg = registry({ retryIntervalMs: 100 })
    const v = new JwtVerifier(config(), reg)
    expectDeny(await v.verify(token, []), 'ERR_JWT_JWKS_UNAVAILABLE')
    await op.start() // same port: the issuer URL and the token's iss stay valid
    await expect
      .poll(() => reg.status().find((s) => s.url.endsWith('/jwks'))?.state, {
        timeout: 5000,
        interval: 50,
      })
      .toBe('ok')
    expect((await v.verify(token, [])).ok).toBe(true)
  })
})
