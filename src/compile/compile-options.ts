/**
 * What a compile takes besides the manifests, and what it gives back; shared by the orchestrator
 * (compile-snapshot.ts), the per-kind compilers (kinds/) and the last-good wrapper.
 *
 * @module
 */
import type { AuthorizerSpec } from '../api/v1alpha1/index.js'
import type { CompileError, Manifest } from './compile-input.js'
import type { AuthorizerRuntimeConfig, Snapshot } from './snapshot.js'
import type { WorkloadDirectory } from './workload-directory.js'

/** Kind-specific compile of an Authorizer (lambda or jwt), provided by the authn modules. */
export type AuthorizerCompiler = (
  m: Manifest<AuthorizerSpec>,
  defaults: { readonly accountId: string; readonly region: string },
) =>
  | { ok: true; runtime: AuthorizerRuntimeConfig }
  | { ok: false; errors: { path: string; message: string }[] }

export interface CompileOptions {
  readonly defaults: { readonly accountId: string; readonly region: string }
  readonly generation: number
  readonly authorizerCompiler?: AuthorizerCompiler
  /** Previous snapshot: when two APIs claim one host, the previous owner keeps it. */
  readonly previous?: Snapshot | undefined
  /** Kubernetes mode's live pod/namespace directory, handed to the snapshot (see Snapshot.workloads). */
  readonly workloads?: WorkloadDirectory | undefined
}

export interface CompileResult {
  readonly snapshot: Snapshot
  readonly errors: readonly CompileError[]
  readonly warnings: readonly string[]
  /**
   * The warnings that concern one object (also in `warnings`): served, but not entirely as
   * written. Kubernetes mode shows them in that object's Ready condition.
   */
  readonly objectWarnings: readonly CompileError[]
}
