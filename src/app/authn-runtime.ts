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
}

export function createAuthnRuntime(_opts: AuthnRuntimeOptions = {}): AuthnRuntime {
  return {
    flows: {},
    authorizerCompiler: undefined,
    privateGateIdentity: undefined,
    onSnapshot: () => undefined,
    close: () => undefined,
  }
}
