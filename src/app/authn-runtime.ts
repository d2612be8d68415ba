/**
 * The per-process authentication runtimes and the flows built on them, assembled in one place so
 * `serve` and `check` decide identically. Each auth type registers its flow here as it lands.
 *
 * @module
 */
import type { AuthorizerCompiler } from '../compile/compile-snapshot.js'
import type { Snapshot } from '../compile/snapshot.js'
import type { Flow } from '../decision/flow.js'
import type { AuthorizationType } from '../compile/snapshot.js'
import type { PrivateGateIdentity } from '../decision/decide.js'
import type { Metrics } from '../observability/metrics.js'
import { SigningKeyCache } from '../authn/sigv4/index.js'
import { createIamFlow } from '../decision/flows/iam-flow.js'
import { createPrivateGateIdentity } from '../decision/private-gate-identity.js'
import { LambdaAuthorizerRuntime } from '../authn/lambda/index.js'
import { createCustomFlow } from '../decision/flows/custom-flow.js'
import { compilePolicy, type CompiledPolicy } from '../policy/index.js'
import { createAuthorizerCompiler } from './authorizer-compiler.js'
import {
  JwksRegistry,
  JwtVerifierSet,
  SignatureOffload,
  defaultOffloadMaxInFlight,
  type JwksRegistryOptions,
  type JwtRuntimeConfig,
} from '../authn/jwt/index.js'
import { createJwtFlow } from '../decision/flows/jwt-flow.js'
import { compileJwtAuthorizer } from './jwt-authorizer-compiler.js'
import type { SessionKeyRing } from '../sts/session-keys.js'
import { SessionCredentials } from '../sts/session-credentials.js'

export interface AuthnRuntime {
  readonly flows: Partial<Record<AuthorizationType, Flow>>
  readonly authorizerCompiler: AuthorizerCompiler | undefined
  readonly privateGateIdentity: PrivateGateIdentity | undefined
  /** The process's JWKS registry (shared with the STS endpoint's token verification). */
  readonly jwks: JwksRegistry
  /** Called after every snapshot swap (drops caches of changed authorizers, etc.). */
  onSnapshot(next: Snapshot, previous: Snapshot | undefined): void
  close(): void
}

export interface AuthnRuntimeOptions {
  readonly metrics?: Metrics | undefined
  /** Bound on cached custom-authorizer outputs. Default 10 000. */
  readonly authorizerCacheMaxEntries?: number
  /** Verified JWTs kept per token authorizer (0 disables the token cache). Default 10 000. */
  readonly tokenCacheMax?: number
  /**
   * JWT signature checks allowed in libuv's thread pool at once (0 = all on the event loop).
   * Default defaultOffloadMaxInFlight(): 0 on one core, else DEFAULT_OFFLOAD_IN_FLIGHT (256).
   */
  readonly jwtOffloadMaxInFlight?: number
  /**
   * The keys sealing session tokens (`--sts-key-file` / `--sts-key-secret`), read on every cache
   * miss so a rotation applies at once. Absent: SigV4 requests with a session token are refused.
   */
  readonly sessionKeys?: () => SessionKeyRing | undefined
  /** Authenticated GETs on the connected Kubernetes API server (the cluster issuer's keys). */
  readonly apiServerFetch?: JwksRegistryOptions['apiServerFetch']
}

export function createAuthnRuntime(opts: AuthnRuntimeOptions = {}): AuthnRuntime {
  const metrics = opts.metrics
  // Derived SigV4 signing keys, per (access key, date, region, service): bounded, process-wide.
  const signingKeys = new SigningKeyCache()
  const sessions =
    opts.sessionKeys === undefined ? undefined : new SessionCredentials(opts.sessionKeys)
  const lambda = new LambdaAuthorizerRuntime<CompiledPolicy>({
    compilePolicy: (doc) => compilePolicy(doc, { kind: 'authorizer' }),
    ...(opts.authorizerCacheMaxEntries !== undefined
      ? { cacheMaxEntries: opts.authorizerCacheMaxEntries }
      : {}),
    onInvoke: (id, outcome, seconds) => metrics?.authorizerCall(id, outcome, seconds),
    onCache: (result) => metrics?.cacheRequest(result),
  })
  // One JWKS registry per process, shared by every token authorizer; verifier sets per
  // authorizer, rebuilt only when their config changes so token caches survive reloads.
  const jwks = new JwksRegistry({
    onFetch: (url, outcome, _seconds, document) => metrics?.jwksFetch(url, document, outcome),
    ...(opts.apiServerFetch !== undefined ? { apiServerFetch: opts.apiServerFetch } : {}),
  })
  // One process-wide bound on signature checks in the thread pool, shared by every verifier.
  const signatures = new SignatureOffload(
    opts.jwtOffloadMaxInFlight ?? defaultOffloadMaxInFlight(),
    metrics?.signatureCheckCounters(),
  )
  const verifierOptions = {
    signatures,
    ...(opts.tokenCacheMax !== undefined ? { tokenCacheMax: opts.tokenCacheMax } : {}),
  }
  const verifiers = new Map<string, { revision: string; set: JwtVerifierSet }>()
  // The per-request lookup: compiled config object → its verifier set (one WeakMap get). The
  // by-ref map above carries sets (and their token caches) across reloads that keep the config.
  const byConfig = new WeakMap<JwtRuntimeConfig, JwtVerifierSet>()
  const verifierFor = (ref: string, cfg: JwtRuntimeConfig): JwtVerifierSet => {
    const known = byConfig.get(cfg)
    if (known !== undefined) return known
    const have = verifiers.get(ref)
    let set: JwtVerifierSet
    if (have && have.revision === cfg.revision) set = have.set
    else {
      set = new JwtVerifierSet(
        cfg.configs,
        jwks,
        verifierOptions,
        metrics?.tokenAuthorizerCounters(ref),
      )
      verifiers.set(ref, { revision: cfg.revision, set })
    }
    byConfig.set(cfg, set)
    return set
  }
  const jwtFlow = createJwtFlow(
    (authorizer, headerValue, scopes) => {
      if (authorizer.runtime.kind !== 'jwt') return undefined
      return verifierFor(authorizer.ref, authorizer.runtime.config).verify(headerValue, scopes)
    },
    (authorizer, headerValue, scopes, live, audiences) => {
      if (authorizer.runtime.kind !== 'jwt') return undefined
      return verifierFor(authorizer.ref, authorizer.runtime.config).candidate(
        headerValue,
        scopes,
        live,
        audiences,
      )
    },
  )
  return {
    flows: {
      AWS_IAM: createIamFlow(signingKeys, sessions),
      CUSTOM: createCustomFlow(lambda),
      COGNITO_USER_POOLS: jwtFlow,
      JWT: jwtFlow,
    },
    authorizerCompiler: createAuthorizerCompiler({ jwt: compileJwtAuthorizer }),
    privateGateIdentity: createPrivateGateIdentity(signingKeys, sessions),
    jwks,
    onSnapshot: (next) => {
      // Drop verifiers of authorizers that are gone or changed (their token caches go with them).
      for (const [ref, v] of verifiers) {
        const a = next.authorizers.get(ref)
        if (a?.runtime.kind !== 'jwt' || a.runtime.config.revision !== v.revision)
          verifiers.delete(ref)
      }
    },
    close: () => {
      lambda.close()
      jwks.close()
    },
  }
}
