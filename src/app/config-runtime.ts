/**
 * Owns the current Snapshot: on every change its source reports, loads, compiles (keeping each
 * object's last good version), swaps the snapshot reference in one assignment, reports errors,
 * metrics and logs, and publishes the result to its subscribers (authn caches, the Kubernetes
 * controller). Reloads are serialized; a change that arrives during a reload triggers exactly one
 * more.
 *
 * @module
 */
import type { AuthorizerCompiler } from '../compile/compile-snapshot.js'
import type { Snapshot } from '../compile/snapshot.js'
import type { WorkloadDirectory } from '../compile/workload-directory.js'
import { formatConfigProblem } from '../api/config-problem.js'
import { emptyCompileInput } from '../compile/compile-input.js'
import { LastGoodCompiler, type LoadedConfig, type ReloadResult } from '../compile/last-good.js'
import type { ConfigSource } from '../sources/config-source.js'
import { kindCounts } from '../observability/logger.js'

export interface ConfigRuntimeLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface ConfigRuntimeMetrics {
  configReload(result: 'success' | 'failure'): void
  setConfigObjects(kind: string, count: number): void
  setConfigObjectsNotReady(counts: Readonly<Record<string, number>>): void
}

/** Called after each reload with its result and the snapshot it replaced. */
export type ReloadListener = (result: ReloadResult, previous: Snapshot | undefined) => void

export interface ConfigRuntimeOptions {
  /** Only `load` is needed by a runtime that is reloaded by hand (never started). */
  readonly source: Pick<ConfigSource, 'load'> & Partial<ConfigSource>
  readonly defaults: { readonly accountId: string; readonly region: string }
  readonly authorizerCompiler?: AuthorizerCompiler
  readonly metrics?: ConfigRuntimeMetrics
  readonly logger?: ConfigRuntimeLogger
  /** Kubernetes mode's live pod/namespace directory, attached to every snapshot. */
  readonly workloads?: WorkloadDirectory | undefined
}

export class ConfigRuntime {
  readonly #opts: ConfigRuntimeOptions
  readonly #compiler = new LastGoodCompiler()
  #snapshot: Snapshot | undefined
  #generation = 0
  #running: Promise<ReloadResult> | undefined
  #again = false
  readonly #listeners: ReloadListener[] = []

  constructor(opts: ConfigRuntimeOptions) {
    this.#opts = opts
  }

  /** The snapshot the hot path reads; undefined until the first load finished. */
  readonly current = (): Snapshot | undefined => this.#snapshot

  /** Calls `listener` after every reload, in subscription order. Returns the unsubscribe. */
  subscribe(listener: ReloadListener): () => void {
    this.#listeners.push(listener)
    return () => {
      const i = this.#listeners.indexOf(listener)
      if (i >= 0) this.#listeners.splice(i, 1)
    }
  }

  /** Starts the source's watch: every change it reports becomes a reload. */
  async start(): Promise<void> {
    await this.#opts.source.start?.(() => {
      this.reload().catch((err: unknown) => {
        this.#opts.logger?.error({ err: (err as Error).message }, 'configuration reload failed')
      })
    })
  }

  /** Stops the source's watch. */
  async stop(): Promise<void> {
    await this.#opts.source.stop?.()
  }

  /** Reloads now, or once more after the reload in progress. */
  reload(): Promise<ReloadResult> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    const run = async (): Promise<ReloadResult> => {
      let result: ReloadResult
      do {
        this.#again = false
        result = await this.#reloadOnce()
      } while (this.#again)
      return result
    }
    this.#running = run().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #reloadOnce(): Promise<ReloadResult> {
    const { logger, metrics } = this.#opts
    let loaded: LoadedConfig
    try {
      loaded = await this.#opts.source.load()
    } catch (err) {
      // A loader failure (e.g. the folder vanished) keeps the last snapshot serving.
      loaded = {
        input: emptyCompileInput(),
        errors: [{ file: '(config)', ref: undefined, path: '', message: (err as Error).message }],
      }
      if (this.#snapshot) {
        metrics?.configReload('failure')
        logger?.error({ err }, 'configuration load failed; keeping the last good configuration')
        const kept: ReloadResult = {
          snapshot: this.#snapshot,
          errors: [],
          warnings: [],
          objectWarnings: [],
          allErrors: loaded.errors,
          keptPrevious: [],
        }
        this.#publish(kept, this.#snapshot)
        return kept
      }
    }
    const result = this.#compiler.compile(loaded, {
      defaults: this.#opts.defaults,
      generation: ++this.#generation,
      ...(this.#opts.authorizerCompiler
        ? { authorizerCompiler: this.#opts.authorizerCompiler }
        : {}),
      previous: this.#snapshot,
      ...(this.#opts.workloads ? { workloads: this.#opts.workloads } : {}),
    })
    const previous = this.#snapshot
    this.#snapshot = result.snapshot
    for (const [kind, n] of Object.entries(result.snapshot.objectCounts))
      metrics?.setConfigObjects(kind, n)
    metrics?.setConfigObjectsNotReady(notReadyCounts(result))
    for (const w of result.warnings) logger?.warn({}, w)
    if (result.allErrors.length > 0) {
      metrics?.configReload('failure')
      for (const e of result.allErrors)
        logger?.error({ config_error: formatConfigProblem(e) }, formatConfigProblem(e))
      if (result.keptPrevious.length > 0) {
        logger?.warn(
          { kept: result.keptPrevious },
          'invalid objects keep serving their last good version',
        )
      }
    } else {
      metrics?.configReload('success')
    }
    logger?.info(
      {
        generation: result.snapshot.generation,
        objects: kindCounts(result.snapshot.objectCounts),
        errors: result.allErrors.length,
      },
      'configuration loaded',
    )
    this.#publish(result, previous)
    return result
  }

  #publish(result: ReloadResult, previous: Snapshot | undefined): void {
    for (const listener of [...this.#listeners]) listener(result, previous)
  }
}

/** Per kind, the objects an error names (their Ready condition is False); 0 for every other kind. */
function notReadyCounts(result: ReloadResult): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of Object.keys(result.snapshot.objectCounts)) counts[kind] = 0
  const seen = new Set<string>()
  for (const e of result.allErrors) {
    if (e.ref === undefined) continue
    const key = `${e.ref.kind}/${e.ref.namespace}/${e.ref.name}`
    if (seen.has(key)) continue
    seen.add(key)
    counts[e.ref.kind] = (counts[e.ref.kind] ?? 0) + 1
  }
  return counts
}
