/**
 * The benchmark's scenarios, one row each: a configuration, one CheckRequest and the decision
 * Portcullis must give it. Add a row to benchmark a new route type (see bench/README.md).
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import type { BuildCheckRequestInput } from '../test/helpers/envoy-client.js'
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { ALICE, signWithSdk } from '../test/helpers/sign-request.js'
import {
  REDIS_PORT,
  fetchAccessToken,
  startIssuerPeer,
  startRedisPeer,
  startTokenAuthorizerPeer,
  type Peer,
} from './peers.js'

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url))

/** The STS endpoint of the session-credentials row's own Portcullis process. */
export const BENCH_STS_PORT = 9003

/** The quick start, loaded in every run so memory is measured "with the quick start loaded". */
export const QUICKSTART_DIR = here('../examples/quickstart/')
/** bench/config/: the 10-statement resource policy API. */
export const BENCH_CONFIG_DIR = here('./config/')
/** bench/config-decision-log/: the NONE and JWT rows' APIs with the decision log on. */
export const DECISION_LOG_CONFIG_DIR = here('./config-decision-log/')
/**
 * `serve` arguments of the decision-log rows: every line really serialised and written, to a sink
 * that costs no disk (the rows measure Portcullis, not the disk).
 */
const DECISION_LOG_ARGS = ['--decision-log', '/dev/null']

export interface Scenario {
  /** Row label in the table (keep it under ~32 characters). */
  readonly name: string
  /** Disabled rows are listed as "skipped (disabled)" in the output, never run. */
  readonly enabled: boolean
  /**
   * Why a row is disabled, or what an enabled row measures when its name cannot say it all;
   * printed next to a disabled row, under the table for an enabled one.
   */
  readonly note?: string
  /** Throughput target as a fraction of the do-nothing baseline's req/s (the target). */
  readonly throughputTarget: number
  /** p99 latency target as a multiple of the baseline's p99 at the same offered load. */
  readonly p99Target: number
  /**
   * Folders whose `*.yaml` / `*.json` files are copied (flat) into the run's config folder, next to
   * the quick start and bench/config/. One config folder serves every Portcullis process.
   */
  readonly configDirs: readonly string[]
  /**
   * Extra `portcullis serve` arguments (e.g. `['--token-cache-max-entries', '0']`). Rows without
   * any share the main Portcullis process (the one whose memory is reported "with the quick start
   * loaded"); rows with arguments get their own process (same config folder), started before
   * their rows and stopped after them, one process per distinct argument list.
   */
  readonly serverArgs?: readonly string[]
  /**
   * The request, built at bench time (so signatures and tokens are fresh). The same bytes are sent
   * for every request of the run.
   */
  readonly request: () => Promise<BuildCheckRequestInput>
  /** What Portcullis must answer; checked once before the load, and counted in /metrics after it. */
  readonly expect: 'allow' | 'deny'
  /**
   * Peers the row needs (a TOKEN authorizer, an OIDC issuer), started in the bench process before
   * Portcullis starts and closed at the end, also on error.
   */
  readonly startPeers?: () => Promise<Peer>
  /**
   * The row measures custom-authorizer cache hits: after each load, /metrics must show no decision
   * cache miss and no authorizer call during it, and at least one cache hit per request.
   */
  readonly expectAuthorizerCacheHits?: boolean
}

/** Envoy-like headers a browser request carries, so header translation costs what it would. */
const BROWSER_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.5',
  'x-forwarded-for': '203.0.113.10',
  'x-forwarded-proto': 'https',
  'x-request-id': '6f1f7b3e-4b1e-4c53-9a0c-5b8f6c2d9e11',
  'x-envoy-expected-rq-timeout-ms': '15000',
}

/** GET /v1/readings on bench/config/metered-api.yaml with the bench's API key. */
function meteredRequest(): Promise<BuildCheckRequestInput> {
  return Promise.resolve({
    method: 'GET',
    path: '/v1/readings',
    host: 'metered.bench.example.com',
    scheme: 'https',
    protocol: 'HTTP/2',
    headers: { ...BROWSER_HEADERS, 'x-api-key': 'BenchKeyBenchKeyBenchKey00000001' },
    sourceIp: '203.0.113.10',
    sourcePort: 51234,
  })
}

/** GET /me on the quick start's JWT route, with a token freshly issued by the demo issuer. */
async function jwtMeRequest(): Promise<BuildCheckRequestInput> {
  const token = await fetchAccessToken('pets/read')
  return {
    method: 'GET',
    path: '/me',
    host: 'petstore.example.com',
    scheme: 'https',
    protocol: 'HTTP/2',
    headers: { ...BROWSER_HEADERS, authorization: `Bearer ${token}` },
    sourceIp: '203.0.113.10',
    sourcePort: 51234,
  }
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'NONE + 10-stmt resource policy',
    enabled: true,
    throughputTarget: 0.85,
    p99Target: 1.5,
    configDirs: [BENCH_CONFIG_DIR],
    expect: 'allow',
    request: () =>
      Promise.resolve({
        method: 'GET',
        path: '/v1/orders/8c1d2f9a?expand=items',
        host: 'orders.bench.example.com',
        scheme: 'https',
        protocol: 'HTTP/2',
        headers: BROWSER_HEADERS,
        sourceIp: '203.0.113.10',
        sourcePort: 51234,
      }),
  },
  // ── Decision logs (issue 18): the row above with a decision line per request (sampled 100%).
  {
    name: 'NONE + decision log (100%)',
    enabled: true,
    note: 'the NONE row with `decisionLog: {enabled: true, sample: 1}` and `--decision-log /dev/null`',
    throughputTarget: 0.8,
    p99Target: 1.5,
    configDirs: [BENCH_CONFIG_DIR, DECISION_LOG_CONFIG_DIR],
    serverArgs: DECISION_LOG_ARGS,
    expect: 'allow',
    request: () =>
      Promise.resolve({
        method: 'GET',
        path: '/v1/orders/8c1d2f9a?expand=items',
        host: 'orders-logged.bench.example.com',
        scheme: 'https',
        protocol: 'HTTP/2',
        headers: BROWSER_HEADERS,
        sourceIp: '203.0.113.10',
        sourcePort: 51234,
      }),
  },
  // ── AWS_IAM (issue 4, target ≥ 0.75): header-signed SigV4 PUT /pets/1 by the quick start's alice.
  // Signed at bench time: X-Amz-Date must be within ±5 minutes of the server's clock, and the whole
  // row takes about a minute. The same signed request is replayed (as a client retrying would).
  {
    name: 'AWS_IAM (SigV4 header)',
    enabled: true,
    throughputTarget: 0.75,
    p99Target: 1.5,
    configDirs: [],
    expect: 'allow',
    request: async () => {
      const host = 'petstore.example.com'
      const path = '/pets/1'
      const signed = await signWithSdk({
        method: 'PUT',
        host,
        path,
        ...ALICE,
        region: 'us-east-1',
        service: 'execute-api',
      })
      return {
        method: 'PUT',
        path,
        host,
        scheme: 'https',
        protocol: 'HTTP/2',
        headers: { ...BROWSER_HEADERS, 'user-agent': 'aws-sdk-js/3.700.0', ...signed },
        sourceIp: '203.0.113.10',
        sourcePort: 51234,
      }
    },
  },
  // ── CUSTOM (issue 5, target ≥ 0.80): the quick start's `token-auth` TOKEN authorizer, served by
  // examples/demo/token-authorizer.ts on 127.0.0.1:9101 (the port its authorizerUri names). The
  // pre-flight request is the one cache miss; every measured request is a cache hit (checked in
  // /metrics), evaluated against its methodArn by the policy engine as AWS does.
  {
    name: 'CUSTOM (TOKEN, cache hit)',
    enabled: true,
    note: 'authorizer result cache hit (ttl 300 s); /metrics proves 0 misses and 0 authorizer calls under load',
    throughputTarget: 0.8,
    p99Target: 1.5,
    configDirs: [],
    expect: 'allow',
    startPeers: startTokenAuthorizerPeer,
    expectAuthorizerCacheHits: true,
    request: () =>
      Promise.resolve({
        method: 'GET',
        path: '/orders',
        host: 'petstore.example.com',
        scheme: 'https',
        protocol: 'HTTP/2',
        headers: { ...BROWSER_HEADERS, authorization: 'Bearer allow' },
        sourceIp: '203.0.113.10',
        sourcePort: 51234,
      }),
  },
  // ── JWT (issue 6, target ≥ 0.80): the quick start's `oidc` authorizer (issuer 127.0.0.1:9102,
  // audience petstore) on GET /me (scope pets/read). examples/demo/oidc-issuer.ts (oidc-provider)
  // issues one RS256 access token at request-build time; it is verified once, then served from
  // the verified-token cache.
  {
    name: 'JWT (cached token)',
    enabled: true,
    note: 'one RS256 access token from oidc-provider, verified once then served from the token cache',
    throughputTarget: 0.8,
    p99Target: 1.5,
    configDirs: [],
    expect: 'allow',
    startPeers: startIssuerPeer,
    request: jwtMeRequest,
  },
  // ── Decision logs (issue 18): the cached-token JWT row with a decision line per request.
  {
    name: 'JWT (cached) + decision log',
    enabled: true,
    note: 'the cached-token JWT row with `decisionLog: {enabled: true, sample: 1}` and `--decision-log /dev/null`',
    throughputTarget: 0.75,
    p99Target: 1.5,
    configDirs: [DECISION_LOG_CONFIG_DIR],
    serverArgs: DECISION_LOG_ARGS,
    expect: 'allow',
    startPeers: startIssuerPeer,
    request: async () => ({ ...(await jwtMeRequest()), host: 'petstore-logged.bench.example.com' }),
  },
  // ── JWT uncached (issue 6, target ≥ 0.50). h2load replays one body, so a fresh token per request
  // cannot be sent; instead a separate Portcullis process runs with the verified-token cache off
  // (`--token-cache-max-entries 0`), so every request decodes the same token and verifies its RS256
  // signature (keys come from the JWKS cache, as they would for fresh tokens from a known issuer).
  // Signatures are checked where the product's default puts them (signature-offload.ts: the
  // thread pool when there is more than one CPU); the next row pins them to the event loop.
  {
    name: 'JWT (uncached, RS256 per req)',
    enabled: true,
    note:
      'token cache off: every request decodes the token, checks its claims and verifies its ' +
      'RS256 signature (keys from the JWKS cache; signature in the thread pool, the default ' +
      'with more than one CPU); the same token is replayed, not a fresh one per request',
    throughputTarget: 0.5,
    p99Target: 1.5,
    configDirs: [],
    serverArgs: ['--token-cache-max-entries', '0'],
    expect: 'allow',
    startPeers: startIssuerPeer,
    request: jwtMeRequest,
  },
  // ── The same with every signature checked on the event loop (`--jwt-offload-max-in-flight 0`,
  // the default on one CPU): what one core does alone.
  {
    name: 'JWT (uncached, signature inline)',
    enabled: true,
    note:
      'as the row above with --jwt-offload-max-in-flight 0: every RS256 check on the event loop, ' +
      'as on a single-CPU pod',
    throughputTarget: 0.5,
    p99Target: 1.5,
    configDirs: [],
    serverArgs: ['--token-cache-max-entries', '0', '--jwt-offload-max-in-flight', '0'],
    expect: 'allow',
    startPeers: startIssuerPeer,
    request: jwtMeRequest,
  },
  // ── API key + usage plan (issue 15, target ≥ 0.85): apiKeyRequired NONE route, key looked up by
  // digest, plan throttle + per-method throttle + DAY quota counted in process. Limits are far above
  // what the bench can send, so every request is allowed and counted.
  {
    name: 'API key + usage plan (in-process)',
    enabled: true,
    note: 'x-api-key lookup, plan and per-method token buckets and a DAY quota, counted in process',
    throughputTarget: 0.85,
    p99Target: 1.5,
    configDirs: [BENCH_CONFIG_DIR],
    expect: 'allow',
    request: meteredRequest,
  },
  // ── The same counted on Redis (target ≥ 0.70): a real redis-server on 127.0.0.1:9103, shared
  // counting by leased blocks (a Redis round trip per block, not per request).
  {
    name: 'API key + usage plan (Redis)',
    enabled: true,
    note:
      'as the row above, counted on a local redis-server (--usage-store) by leased blocks; ' +
      'worst-case quota overshoot: one block (1 % of the limit, at most 1000) per replica per ' +
      'period; measured in the tests across two replicas: 0-1 sequentially, 0-2 (bound 20) for N=1000 with 16 checks in flight on each',
    throughputTarget: 0.7,
    p99Target: 1.5,
    configDirs: [BENCH_CONFIG_DIR],
    serverArgs: ['--usage-store', `redis://127.0.0.1:${String(REDIS_PORT)}`],
    expect: 'allow',
    startPeers: startRedisPeer,
    request: meteredRequest,
  },
  // ── AWS_IAM with session credentials (issue 16, target ≥ 0.70): the quick start's role
  // pets-admin, assumed at the row's own STS endpoint with a token of the demo OpenID provider
  // (AssumeRoleWithWebIdentity through the AWS SDK), then DELETE /pets/1 signed by the SDK's signer
  // with X-Amz-Security-Token. Measures opening the sealed session (cached after the first request)
  // on top of the SigV4 row's work.
  {
    name: 'AWS_IAM with session credentials',
    enabled: true,
    note: 'SigV4 with X-Amz-Security-Token: credentials from Portcullis STS (stateless session token, opened once then cached)',
    throughputTarget: 0.7,
    p99Target: 1.5,
    configDirs: [],
    serverArgs: [
      '--sts-port',
      String(BENCH_STS_PORT),
      '--sts-key-file',
      here('../examples/demo/sts-keys.json'),
    ],
    expect: 'allow',
    startPeers: startIssuerPeer,
    request: sessionCredentialsRequest,
  },
]

/** Exchanges a demo-issuer token for pets-admin session credentials and signs DELETE /pets/1. */
async function sessionCredentialsRequest(): Promise<BuildCheckRequestInput> {
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${String(BENCH_STS_PORT)}`,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  })
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: 'arn:aws:iam::111122223333:role/pets-admin',
        RoleSessionName: 'bench',
        WebIdentityToken: await fetchAccessToken('pets/read'),
      }),
    )
    const c = out.Credentials
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || !c.SessionToken) {
      throw new Error('STS answered without credentials')
    }
    const host = 'petstore.example.com'
    const path = '/pets/1'
    const signed = await signWithSdk({
      method: 'DELETE',
      host,
      path,
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    })
    return {
      method: 'DELETE',
      path,
      host,
      scheme: 'https',
      protocol: 'HTTP/2',
      headers: { ...BROWSER_HEADERS, 'user-agent': 'aws-sdk-js/3.700.0', ...signed },
      sourceIp: '203.0.113.10',
      sourcePort: 51234,
    }
  } finally {
    sts.destroy()
  }
}
