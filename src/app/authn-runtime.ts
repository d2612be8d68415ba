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

export interface AuthnRuntime {
  readonly flows: Partial<Record<AuthorizationType, Flow>>
  readonly authorizerCompiler: AuthorizerCompiler | undefined
  readonly privateGateIdentity: PrivateGateIdentity | undefined
  /** Called after every snapshot swap (drops caches of changed authorizers, etc.). */
  onSnapshot(next: Snapshot, previous: Snapshot | undefined): void
  close(): void
}

export interface AuthnRuntimeOptions {
  readonly metrics?: Metrics | undefined
  /** Bound on cached custom-authorizer outputs. Default 10 000. */
  readonly authorizerCacheMaxEntries?: number
}

export function createAuthnRuntime(opts: AuthnRuntimeOptions = {}): AuthnRuntime {
  const metrics = opts.metrics
  // Derived SigV4 signing keys, per (access key, date, region, service): bounded, process-wide.
  const signingKeys = new SigningKeyCache()
  const lambda = new LambdaAuthorizerRuntime<CompiledPolicy>({
    compilePolicy: (doc) => compilePolicy(doc, { kind: 'authorizer' }),
    ...(opts.authorizerCacheMaxEntries !== undefined
      ? { cacheMaxEntries: opts.authorizerCacheMaxEntries }
      : {}),
    onInvoke: (id, outcome, seconds) => metrics?.authorizerCall(id, outcome, seconds),
    onCache: (result) => metrics?.cacheRequest(result),
  })
  return {
    flows: { AWS_IAM: createIamFlow(signingKeys), CUSTOM: createCustomFlow(lambda) },
    authorizerCompiler: createAuthorizerCompiler(),
    privateGateIdentity: createPrivateGateIdentity(signingKeys),
    onSnapshot: () => undefined,
    close: () => {
      lambda.close()
    },
  }
}
