/**
 * The benchmark's scenarios, one row each: a configuration, one CheckRequest and the decision
 * Portcullis must give it. Add a row to benchmark a new route type (see bench/README.md).
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import type { BuildCheckRequestInput } from '../test/helpers/envoy-client.js'
import { ALICE, signWithSdk } from '../test/helpers/sign-request.js'

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url))

/** The quick start, loaded in every run so memory is measured "with the quick start loaded". */
export const QUICKSTART_DIR = here('../examples/quickstart/')
/** bench/config/: the 10-statement resource policy API. */
export const BENCH_CONFIG_DIR = here('./config/')

export interface Scenario {
  /** Row label in the table (keep it under ~32 characters). */
  readonly name: string
  /** Disabled rows are listed as "skipped (disabled)" in the output, never run. */
  readonly enabled: boolean
  /** Why a row is disabled, or what it waits for; printed next to it. */
  readonly note?: string
  /** Throughput target as a fraction of the do-nothing baseline's req/s (the target). */
  readonly throughputTarget: number
  /** p99 latency target as a multiple of the baseline's p99 at the same offered load. */
  readonly p99Target: number
  /**
   * Folders whose `*.yaml` / `*.json` files are copied (flat) into the run's config folder, next to
   * the quick start and bench/config/. One Portcullis process serves all enabled rows.
   */
  readonly configDirs: readonly string[]
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
  readonly startPeers?: () => Promise<{ close(): Promise<void> }>
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
  // ── AWS_IAM (issue 4, target ≥ 0.75): header-signed SigV4 PUT /pets/1 by the quick start's alice.
  // Signed at bench time: X-Amz-Date must be within ±5 minutes of the server's clock, and the whole
  // bench takes under ~3 minutes. The same signed request is replayed (as a client retrying would).
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
  // ── Extension points: enable each row as its auth type lands (issues 5 and 6). ──────────────
  //
  // CUSTOM route, cache hit (issue 5, target ≥ 0.80). Needs a loopback TOKEN authorizer answering
  // `Bearer allow` with an Allow policy (test/helpers/lambda-authorizer-peer.ts), started before the
  // server and pointed at by an Authorizer in a bench config folder (the quick start's token-auth
  // expects 127.0.0.1:9101). Every request after the first is a cache hit: the same token is sent.
  // {
  //   name: 'CUSTOM (TOKEN, cache hit)',
  //   enabled: false,
  //   throughputTarget: 0.8,
  //   p99Target: 1.5,
  //   configDirs: [],
  //   expect: 'allow',
  //   request: () => Promise.resolve({
  //     method: 'GET', path: '/orders', host: 'petstore.example.com',
  //     headers: { ...BROWSER_HEADERS, authorization: 'Bearer allow' }, sourceIp: '203.0.113.10',
  //   }),
  // },
  //
  // JWT route, cached token (issue 6, target ≥ 0.80). Needs a loopback issuer
  // (test/helpers/jwt-loopback-issuer.ts) whose issuer URL the bench config's Authorizer names; one
  // RS256 token with scope pets/read, sent on every request (verified once, then cached).
  // {
  //   name: 'JWT (cached token)',
  //   enabled: false,
  //   throughputTarget: 0.8,
  //   p99Target: 1.5,
  //   configDirs: [],
  //   expect: 'allow',
  //   request: async () => ({
  //     method: 'GET', path: '/me', host: 'petstore.example.com',
  //     headers: { ...BROWSER_HEADERS, authorization: `Bearer ${await issueToken()}` },
  //   }),
  // },
  //
  // JWT route, uncached (issue 6, target ≥ 0.50): a FRESH RS256 token per request. h2load replays
  // one body, so this row needs a load file per request: extend bench/h2load.ts to take several
  // message files (h2load has no per-request body list), or drive it with a grpc-js client pool and
  // note that the load generator differs from the baseline's.
]
