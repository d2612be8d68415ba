/**
 * The quick start's demo peers as bench peers: the TOKEN authorizer on 127.0.0.1:9101 and the
 * OpenID provider on 127.0.0.1:9102 (the ports the quick start's Authorizers name), plus getting
 * one access token from that provider.
 *
 * @module
 */
import { startRedis } from '../test/helpers/redis.js'
import { startDemoTokenAuthorizer } from '../examples/demo/token-authorizer.js'
import { DEMO_RESOURCE, startDemoIssuer } from '../examples/demo/oidc-issuer.js'

/** Fixed by examples/quickstart/private.yaml (`token-auth` authorizerUri). */
export const TOKEN_AUTHORIZER_PORT = 9101
/** Fixed by examples/quickstart/private.yaml (`oidc` jwtConfiguration.issuer). */
export const OIDC_ISSUER_PORT = 9102

export interface Peer {
  close(): Promise<void>
}

/** A listen failure made loud: the quick start's ports are fixed, so a clash is a setup error. */
function portError(what: string, port: number, err: unknown): Error {
  const code = (err as { code?: unknown }).code
  const why =
    code === 'EADDRINUSE'
      ? `port ${String(port)} is already in use (is \`npm start\` or another bench running? ` +
        `the quick start's Authorizer points at 127.0.0.1:${String(port)}, so the bench cannot move it)`
      : (err as Error).message
  return new Error(`bench peer ${what} could not listen on 127.0.0.1:${String(port)}: ${why}`)
}

/** examples/demo/token-authorizer.ts on 9101: `Bearer allow` → Allow on the whole API. */
export async function startTokenAuthorizerPeer(): Promise<Peer> {
  try {
    const peer = await startDemoTokenAuthorizer(TOKEN_AUTHORIZER_PORT)
    return {
      close: () => {
        peer.close()
        return Promise.resolve()
      },
    }
  } catch (err) {
    throw portError('demo TOKEN authorizer', TOKEN_AUTHORIZER_PORT, err)
  }
}

/** Where the Redis row's `--usage-store` points: a redis-server the bench starts and stops. */
export const REDIS_PORT = 9103

/** A real redis-server (Debian package) on 127.0.0.1:9103, temp dir, no persistence. */
export async function startRedisPeer(): Promise<Peer> {
  try {
    const redis = await startRedis({ port: REDIS_PORT })
    return { close: () => redis.stop() }
  } catch (err) {
    throw portError('redis-server', REDIS_PORT, err)
  }
}

/** examples/demo/oidc-issuer.ts (oidc-provider) on 9102. */
export async function startIssuerPeer(): Promise<Peer> {
  try {
    const peer = await startDemoIssuer(OIDC_ISSUER_PORT)
    return {
      close: () => {
        peer.close()
        return Promise.resolve()
      },
    }
  } catch (err) {
    throw portError('demo OpenID provider', OIDC_ISSUER_PORT, err)
  }
}

/**
 * One RS256 JWT access token (audience `petstore`, scope `pets/read`, 1 h) from the demo issuer
 * through the client-credentials grant, as the quick start's README obtains it.
 */
export async function fetchAccessToken(scope = 'pets/read'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${String(OIDC_ISSUER_PORT)}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('petstore-client:demo-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      resource: DEMO_RESOURCE,
    }).toString(),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await res.text()
  if (res.status !== 200) {
    throw new Error(`demo issuer /token answered ${String(res.status)}: ${text.slice(0, 500)}`)
  }
  const body = JSON.parse(text) as { access_token?: unknown }
  const token = body.access_token
  // A JWT (three dot-separated parts), not an opaque token: Portcullis verifies it locally.
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new Error(`demo issuer /token gave no JWT access_token: ${text.slice(0, 500)}`)
  }
  return token
}
