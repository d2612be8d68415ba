/**
 * The process-wide store of issuers' signing keys, shared by every JWT / Cognito authorizer and
 * keyed by JWKS URL (and, for OIDC issuers, by discovery URL).
 *
 * Outage behaviour, chosen against failures other gateways are known for (Istio rejects every
 * token after a failed fetch until a later refetch; oauth2-proxy refuses to start when the issuer
 * is down):
 * - nothing is fetched at startup; the first token that needs a key triggers the fetch;
 * - if that fetch fails, the request gets 401 (never 500, never a throw) and a background retry
 *   with exponential backoff (retryIntervalMs … maxRetryIntervalMs) runs until the issuer answers;
 *   requests may also trigger a fetch, at most once per retryIntervalMs;
 * - once keys are known, an issuer outage changes nothing: after cacheMaxAgeMs the next use starts a
 *   background refresh, and while refreshes fail the last good keys keep serving (as Envoy's
 *   remote JWKS cache does) — up to maxStaleMs (default 24 h) after the last success, after which
 *   keys the issuer has not confirmed for that long are dropped (they may have been revoked);
 * - a successful refresh replaces the key set whole, so keys removed by the issuer stop verifying;
 * - an unknown `kid` forces a refetch at most once per cooldownMs per JWKS URL; requests carrying
 *   unknown kids meanwhile share that refetch or are refused;
 * - every fetch is bounded (timeoutMs, maxBytes, no redirects) and fetches for one URL collapse.
 *
 * @module
 */
import {
  cognitoJwksUri,
  KUBERNETES_API_SERVER_JWKS,
  oidcDiscoveryUri,
  type JwtAuthorizerConfig,
} from './jwt-authorizer-config.js'
import {
  fetchJsonBounded,
  type FetchJsonOptions,
  type FetchJsonResult,
  type FetchOutcome,
} from './fetch-json-bounded.js'
import type { JwsAlgorithm } from './jws-algorithms.js'
import { findKey, importJwkKeySet, type JwkKey, type JwkKeySet } from './jwk-key-set.js'
import { RemoteDocument, type RemoteDocumentStatus } from './remote-document.js'

export interface JwksRegistryOptions {
  /** Per fetch, connect to last body byte. AWS: 1500 ms for JWKS and discovery (limits.md). */
  readonly timeoutMs?: number
  /** Body ceiling. AWS: 150 000 bytes for a JWKS (limits.md). */
  readonly maxBytes?: number
  /** Minimum time between unknown-kid refetches of one JWKS URL. Default 30 s (jose's default). */
  readonly cooldownMs?: number
  /** Age after which keys are refreshed in the background on next use. Default 10 min (jose). */
  readonly cacheMaxAgeMs?: number
  /** Longest time last-good keys keep serving while refreshes fail. Default 24 h. */
  readonly maxStaleMs?: number
  /** Base interval between attempts while an issuer fails. Default 1 s (Envoy Gateway's failedRefetchDuration). */
  readonly retryIntervalMs?: number
  /** Backoff ceiling for background retries. Default 60 s. */
  readonly maxRetryIntervalMs?: number
  /**
   * Observes every fetch: metrics. `url` is the fetched URL (bounded by configuration); one
   * document serves every authorizer naming it, so no authorizer is named.
   */
  readonly onFetch?: (
    url: string,
    outcome: FetchOutcome,
    seconds: number,
    document: 'discovery' | 'jwks',
  ) => void
  /** Clock for cache ages (tests). Default Date.now. */
  readonly now?: () => number
  /**
   * Bounded GET of an API path on the Kubernetes API server Portcullis is connected to, with its
   * own credentials and CA: serves {@link KUBERNETES_API_SERVER_JWKS}. Absent: that key source
   * fails (no connection to a cluster).
   */
  readonly apiServerFetch?: (path: string, opts: FetchJsonOptions) => Promise<FetchJsonResult>
}

export { KUBERNETES_API_SERVER_JWKS }
const API_SERVER_JWKS_PATH = '/openid/v1/jwks'

export const JWKS_REGISTRY_DEFAULTS = {
  timeoutMs: 1500,
  maxBytes: 150_000,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  maxStaleMs: 86_400_000,
  retryIntervalMs: 1000,
  maxRetryIntervalMs: 60_000,
} as const

/** Where an authorizer's keys come from. */
export type KeySource =
  | { readonly kind: 'jwks'; readonly url: string }
  | { readonly kind: 'discovery'; readonly issuer: string }

/** The key source a config implies (see JwtAuthorizerConfig.jwksUri). */
export function keySourceFor(config: JwtAuthorizerConfig): KeySource {
  if (config.jwksUri !== undefined) return { kind: 'jwks', url: config.jwksUri }
  if (config.type === 'COGNITO_USER_POOLS') {
    return { kind: 'jwks', url: cognitoJwksUri(config.issuer) }
  }
  return { kind: 'discovery', issuer: config.issuer }
}

export type KeyLookup =
  | {
      readonly ok: true
      readonly key: JwkKey
      readonly jwksUrl: string
      /** The key set the key was found in (the token cache checks later hits against it). */
      readonly keySet: JwkKeySet
    }
  | {
      readonly ok: false
      readonly code: 'ERR_JWT_JWKS_UNAVAILABLE' | 'ERR_JWT_KID_UNKNOWN' | 'ERR_JWT_KEY_MISMATCH'
    }

type Found = JwkKey | 'unknown' | 'mismatch'
const find = findKey

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const u = new URL(value)
    return u.protocol === 'https:' || u.protocol === 'http:'
  } catch {
    return false
  }
}

/** Validates an OIDC discovery document fetched for `issuer` and returns its `jwks_uri`. */
function parseDiscovery(json: unknown, issuer: string): string | Error {
  if (typeof json !== 'object' || json === null) return new Error('discovery is not an object')
  const meta = json as Record<string, unknown>
  // OIDC Discovery 1.0 §4.3: the document's issuer MUST equal the one it was fetched for.
  if (meta['issuer'] !== issuer) return new Error('discovery issuer does not match')
  const jwksUri = meta['jwks_uri']
  if (!isHttpUrl(jwksUri)) return new Error('discovery jwks_uri is not an http(s) URL')
  return jwksUri
}

const KEY_MISMATCH: KeyLookup = Object.freeze({ ok: false, code: 'ERR_JWT_KEY_MISMATCH' })

export class JwksRegistry {
  readonly #opts: typeof JWKS_REGISTRY_DEFAULTS
  readonly #onFetch: NonNullable<JwksRegistryOptions['onFetch']>
  readonly #now: () => number
  readonly #apiServerFetch: JwksRegistryOptions['apiServerFetch']
  readonly #jwks = new Map<string, RemoteDocument<JwkKeySet>>()
  readonly #discovery = new Map<string, RemoteDocument<string>>()
  /** Discovery documents by issuer (the hot path looks them up without building the URL). */
  readonly #discoveryByIssuer = new Map<string, RemoteDocument<string>>()
  readonly #abort = new AbortController()
  #closed = false

  constructor(opts: JwksRegistryOptions = {}) {
    const pick = (k: keyof typeof JWKS_REGISTRY_DEFAULTS): number => {
      const v = opts[k]
      if (v === undefined) return JWKS_REGISTRY_DEFAULTS[k]
      if (!Number.isFinite(v) || v < 0) throw new TypeError(`JwksRegistry: ${k} must be >= 0`)
      return v
    }
    this.#opts = {
      timeoutMs: pick('timeoutMs'),
      maxBytes: pick('maxBytes'),
      cooldownMs: pick('cooldownMs'),
      cacheMaxAgeMs: pick('cacheMaxAgeMs'),
      maxStaleMs: pick('maxStaleMs'),
      retryIntervalMs: pick('retryIntervalMs'),
      maxRetryIntervalMs: pick('maxRetryIntervalMs'),
    } as typeof JWKS_REGISTRY_DEFAULTS
    this.#onFetch = opts.onFetch ?? (() => undefined)
    this.#now = opts.now ?? Date.now
    this.#apiServerFetch = opts.apiServerFetch
  }

  /**
   * The key for (`kid`, `alg`) from `source`. Never throws. Waits for at most one fetch chain
   * (discovery then JWKS, each bounded by timeoutMs) plus, for an unknown kid, one refetch.
   */
  async getKey(source: KeySource, kid: string, alg: JwsAlgorithm): Promise<KeyLookup> {
    try {
      const url = await this.#jwksUrl(source)
      if (url === undefined) return { ok: false, code: 'ERR_JWT_JWKS_UNAVAILABLE' }
      const doc = this.#jwksDocument(url)
      const set = await doc.get()
      if (set === undefined) return { ok: false, code: 'ERR_JWT_JWKS_UNAVAILABLE' }
      let found = find(set, kid, alg)
      let keySet = set
      if (found === 'unknown') {
        found = await this.#refetchForUnknownKid(doc, kid, alg)
        keySet = doc.current() ?? set
      }
      if (found === 'unknown') return { ok: false, code: 'ERR_JWT_KID_UNKNOWN' }
      if (found === 'mismatch') return { ok: false, code: 'ERR_JWT_KEY_MISMATCH' }
      return { ok: true, key: found, jwksUrl: url, keySet }
    } catch {
      return { ok: false, code: 'ERR_JWT_JWKS_UNAVAILABLE' }
    }
  }

  /**
   * The answer getKey would give, when it can be given without waiting on I/O: the key set (and,
   * for discovery, the JWKS URL) is held, and the kid is either found (ok) or present without a
   * key for `alg` (mismatch). Undefined when only getKey can answer (nothing held yet, or an
   * unknown kid that may call for a refetch). Like getKey, it starts a background refresh of keys
   * older than cacheMaxAgeMs. Never throws.
   */
  keyNow(source: KeySource, kid: string, alg: JwsAlgorithm): KeyLookup | undefined {
    const url = source.kind === 'jwks' ? source.url : this.#discoveryOf(source.issuer)?.peek()
    if (url === undefined) return undefined
    const set = this.#jwks.get(url)?.peek()
    if (set === undefined) return undefined
    const found = find(set, kid, alg)
    if (found === 'unknown') return undefined
    if (found === 'mismatch') return KEY_MISMATCH
    return { ok: true, key: found, jwksUrl: url, keySet: set }
  }

  /**
   * The key set currently held for `jwksUrl`, without waiting on I/O: lets the token cache
   * confirm that the key a cached token was verified with is still published (same set object:
   * nothing changed). Starts a background refresh when the keys are older than cacheMaxAgeMs, so
   * traffic served entirely from the token cache still notices rotation and revocation.
   */
  keySetNow(jwksUrl: string): JwkKeySet | undefined {
    return this.#jwks.get(jwksUrl)?.peek()
  }

  /** Starts loading `source` now without waiting (optional: e.g. right after a config load). */
  warm(source: KeySource): void {
    void this.#jwksUrl(source).then(
      (url) => (url === undefined ? undefined : this.#jwksDocument(url).get()),
      () => undefined,
    )
  }

  /** Per-URL state, for readiness, CRD status conditions and debugging. */
  status(): RemoteDocumentStatus[] {
    return [...this.#discovery.values(), ...this.#jwks.values()].map((d) => d.status())
  }

  /** The documents behind one key source (discovery first, then its JWKS once known). */
  statusOf(source: KeySource): RemoteDocumentStatus[] {
    if (source.kind === 'jwks') {
      const doc = this.#jwks.get(source.url)
      return doc === undefined ? [] : [doc.status()]
    }
    const discovery = this.#discovery.get(oidcDiscoveryUri(source.issuer))
    if (discovery === undefined) return []
    const jwksUrl = discovery.current()
    const jwks = jwksUrl === undefined ? undefined : this.#jwks.get(jwksUrl)
    return jwks === undefined ? [discovery.status()] : [discovery.status(), jwks.status()]
  }

  /** Stops background retries and aborts fetches in flight. Idempotent. */
  close(): void {
    this.#closed = true
    this.#abort.abort()
    for (const d of this.#jwks.values()) d.stop()
    for (const d of this.#discovery.values()) d.stop()
  }

  async #refetchForUnknownKid(
    doc: RemoteDocument<JwkKeySet>,
    kid: string,
    alg: JwsAlgorithm,
  ): Promise<Found> {
    const now = this.#now()
    if (now - doc.lastForcedAtMs >= this.#opts.cooldownMs) {
      // Unknown kid: the issuer may have rotated. Refetch once; later unknown kids within the
      // cooldown cannot make us hammer the issuer (jose createRemoteJWKSet cooldownDuration).
      doc.lastForcedAtMs = now
      await doc.refetch()
    } else if (doc.inflight) {
      await doc.settled()
    }
    const set = doc.current()
    return set === undefined ? 'unknown' : find(set, kid, alg)
  }

  async #jwksUrl(source: KeySource): Promise<string | undefined> {
    if (source.kind === 'jwks') return source.url
    const url = oidcDiscoveryUri(source.issuer)
    let doc = this.#discovery.get(url)
    if (doc === undefined) {
      const issuer = source.issuer
      // When a (background) discovery fetch succeeds, load its JWKS too: an issuer that was down
      // at startup then becomes fully usable without waiting for a request to ask.
      doc = this.#document(
        url,
        'discovery',
        (json) => Promise.resolve(parseDiscovery(json, issuer)),
        (jwksUrl) => void this.#jwksDocument(jwksUrl).get(),
      )
      this.#discovery.set(url, doc)
      this.#discoveryByIssuer.set(issuer, doc)
    }
    return doc.get()
  }

  #discoveryOf(issuer: string): RemoteDocument<string> | undefined {
    return this.#discoveryByIssuer.get(issuer)
  }

  #jwksDocument(url: string): RemoteDocument<JwkKeySet> {
    let doc = this.#jwks.get(url)
    if (doc === undefined) {
      doc = this.#document(url, 'jwks', importJwkKeySet)
      this.#jwks.set(url, doc)
    }
    return doc
  }

  #document<T>(
    url: string,
    kind: 'discovery' | 'jwks',
    parse: (json: unknown) => Promise<T | Error>,
    onSuccess?: (value: T) => void,
  ): RemoteDocument<T> {
    return new RemoteDocument<T>({
      url,
      parse,
      onSuccess,
      fetchJson: (u) => {
        const limits = {
          timeoutMs: this.#opts.timeoutMs,
          maxBytes: this.#opts.maxBytes,
          signal: this.#abort.signal,
        }
        if (u !== KUBERNETES_API_SERVER_JWKS) return fetchJsonBounded(u, limits)
        if (this.#apiServerFetch === undefined) {
          return Promise.resolve({
            ok: false,
            outcome: 'error',
            reason: 'no connection to a Kubernetes API server',
          } as const)
        }
        return this.#apiServerFetch(API_SERVER_JWKS_PATH, limits)
      },
      onFetch: (outcome, seconds) => {
        this.#onFetch(url, outcome, seconds, kind)
      },
      now: this.#now,
      cacheMaxAgeMs: this.#opts.cacheMaxAgeMs,
      maxStaleMs: this.#opts.maxStaleMs,
      retryIntervalMs: this.#opts.retryIntervalMs,
      maxRetryIntervalMs: this.#opts.maxRetryIntervalMs,
      isClosed: () => this.#closed,
    })
  }
}
