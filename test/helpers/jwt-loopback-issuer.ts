/**
 * A real token issuer on loopback for JWT / Cognito tests: an HTTP server on port 0 that serves a
 * JWKS (and optionally an OIDC discovery document) under a path prefix, signs tokens with jose,
 * counts fetches, and can be slowed, broken, stopped and restarted on the same port.
 *
 * @module
 */
import type { JwtAuthorizerConfig } from '../../src/authn/jwt/jwt-authorizer-config.js'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose'

export interface IssuerKey {
  readonly kid: string
  readonly alg: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

export interface LoopbackIssuerOptions {
  /** Path prefix of the issuer, e.g. `/us-east-1_AbCdEf123` (Cognito shape). Default ''. */
  readonly pathPrefix?: string
  /** Serve `/.well-known/openid-configuration` too. */
  readonly discovery?: boolean
}

export class LoopbackIssuer {
  readonly pathPrefix: string
  readonly discovery: boolean
  port = 0
  jwksFetches = 0
  discoveryFetches = 0
  /** Delay before answering (ms); per-request function allowed for ordering tests. */
  delayMs: number | (() => number) = 0
  /** When set, served instead of the JWKS (raw body). */
  jwksBody: string | undefined
  /** When set, status code of the JWKS answer. */
  jwksStatus = 200
  /** Extra JWKs published as they are (e.g. a symmetric key, to prove it is never used). */
  extraJwks: JWK[] = []
  keys: IssuerKey[] = []
  #server: Server | undefined
  readonly #sockets = new Set<import('node:net').Socket>()

  constructor(opts: LoopbackIssuerOptions = {}) {
    this.pathPrefix = opts.pathPrefix ?? ''
    this.discovery = opts.discovery ?? false
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}${this.pathPrefix}`
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`
  }

  /** Listens on port 0 the first time, on the same port again after stop(). */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.#handle(req, res)
    })
    server.on('connection', (s) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => {
        resolve()
      })
    })
    this.port = (server.address() as AddressInfo).port
    this.#server = server
  }

  /** Closes the listener and every open connection: the port then refuses connections. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server === undefined) return
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve()
      }),
    )
  }

  async addKey(alg: string, kid: string): Promise<IssuerKey> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    const key = { kid, alg, privateKey, publicJwk }
    this.keys.push(key)
    return key
  }

  removeKey(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid)
  }

  /** Signs `claims` with key `kid` (default: first key); `iss` defaults to this issuer. */
  async sign(
    claims: Record<string, unknown>,
    opts: { kid?: string; header?: Record<string, unknown> } = {},
  ): Promise<string> {
    const key = opts.kid === undefined ? this.keys[0] : this.keys.find((k) => k.kid === opts.kid)
    if (key === undefined) throw new Error(`no key ${opts.kid ?? '(first)'}`)
    return new SignJWT({ iss: this.issuer, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...opts.header })
      .sign(key.privateKey)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const delay = typeof this.delayMs === 'function' ? this.delayMs() : this.delayMs
    const path = req.url ?? ''
    if (path === `${this.pathPrefix}/.well-known/jwks.json`) {
      this.jwksFetches++
      // Snapshot the body now: a delayed answer must carry the keys of when it was asked for.
      const body =
        this.jwksBody ??
        JSON.stringify({ keys: [...this.keys.map((k) => k.publicJwk), ...this.extraJwks] })
      const status = this.jwksStatus
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      res.writeHead(status, { 'content-type': 'application/json' }).end(body)
      return
    }
    if (this.discovery && path === `${this.pathPrefix}/.well-known/openid-configuration`) {
      this.discoveryFetches++
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: this.issuer, jwks_uri: this.jwksUri }))
      return
    }
    res.writeHead(404).end()
  }
}

/** Claims of a Cognito ID token (shape from Cognito's developer guide). */
export function cognitoIdTokenClaims(
  clientId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['admins', 'pets'],
    email_verified: true,
    'cognito:username': 'alice',
    aud: clientId,
    event_id: 'e1',
    token_use: 'id',
    auth_time: now - 10,
    exp: now + 3600,
    iat: now - 10,
    jti: 'j1',
    origin_jti: 'o1',
    email: 'alice@example.com',
    ...overrides,
  }
}

/** Claims of a Cognito access token. */
export function cognitoAccessTokenClaims(
  clientId: string,
  scope: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['admins'],
    version: 2,
    client_id: clientId,
    origin_jti: 'o1',
    event_id: 'e1',
    token_use: 'access',
    scope,
    auth_time: now - 10,
    exp: now + 3600,
    iat: now - 10,
    jti: 'j2',
    username: 'alice',
    ...overrides,
  }
}

/**
 * A JWT (HTTP-API style) authorizer config naming `issuer`'s JWKS directly: audience `petstore`,
 * identity header `authorization`, 60 s clock skew.
 */
export function jwtConfigFor(issuer: LoopbackIssuer, id = 'shop/oidc'): JwtAuthorizerConfig {
  return {
    id,
    type: 'JWT',
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audiences: ['petstore'],
    identityHeader: 'authorization',
    clockSkewSeconds: 60,
  }
}

/**
 * Claims of a valid access token for a JWT authorizer with audience `petstore` and a route
 * requiring `pets/read`: sub `svc-1`, issued 5 s ago, expiring in 10 min; `over` replaces any.
 */
export function petstoreAccessClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    sub: 'svc-1',
    aud: 'petstore',
    scope: 'pets/read',
    iat: now - 5,
    exp: now + 600,
    ...over,
  }
}
