/**
 * Owns the current Snapshot: loads, compiles (keeping each object's last good version), swaps the
 * snapshot reference in one assignment, and reports errors, metrics and logs. Reloads are
 * serialized; a change that arrives during a reload triggers exactly one more.
 *
 * @module
 */
import type { AuthorizerCompiler } from '../compile/compile-snapshot.js'
import type { Snapshot } from '../compile/snapshot.js'
import type { WorkloadDirectory } from '../compile/workload-directory.js'
import {
  LastGoodCompiler,
  formatLoadError,
  type LoadedConfig,
  type ReloadResult,
} from '../sources/last-good.js'

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

export interface ConfigRuntimeOptions {
  readonly load: () => Promise<LoadedConfig>
  readonly defaults: { readonly accountId: string; readonly region: string }
  readonly authorizerCompiler?: AuthorizerCompiler
  readonly metrics?: ConfigRuntimeMetrics
  readonly logger?: ConfigRuntimeLogger
  /** Kubernetes mode's live pod/namespace directory, attached to every snapshot. */
  readonly workloads?: WorkloadDirectory | undefined
  /** Called after each swap with the new snapshot (e.g. to drop caches of changed authorizers). */
  readonly onSnapshot?: (next: Snapshot, previous: Snapshot | undefined) => void
}

export class ConfigRuntime {
  readonly #opts: ConfigRuntimeOptions
  readonly #compiler = new LastGoodCompiler()
  #snapshot: Snapshot | undefined
  #generation = 0
  #running: Promise<ReloadResult> | undefined
  #again = false

  constructor(opts: ConfigRuntimeOptions) {
    this.#opts = opts
  }

  /** The snapshot the hot path reads; undefined until the first load finished. */
  readonly current = (): Snapshot | undefined => this.#snapshot

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
      loaded = await this.#opts.load()
    } catch (err) {
      // A loader failure (e.g. the folder vanished) keeps the last snapshot serving.
      loaded = {
        input: emptyInput(),
        errors: [{ file: '(config)', ref: undefined, path: '', message: (err as Error).message }],
      }
      if (this.#snapshot) {
        metrics?.configReload('failure')
        logger?.error({ err }, 'configuration load failed; keeping the last good configuration')
        return {
          snapshot: this.#snapshot,
          errors: [],
          warnings: [],
          allErrors: loaded.errors,
          keptPrevious: [],
        }
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
    this.#opts.onSnapshot?.(result.snapshot, previous)
    for (const [kind, n] of Object.entries(result.snapshot.objectCounts))
      metrics?.setConfigObjects(kind, n)
    metrics?.setConfigObjectsNotReady(notReadyCounts(result))
    for (const w of result.warnings) logger?.warn({}, w)
    if (result.allErrors.length > 0) {
      metrics?.configReload('failure')
      for (const e of result.allErrors)
        logger?.error({ config_error: formatLoadError(e) }, formatLoadError(e))
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
        objects: result.snapshot.objectCounts,
        errors: result.allErrors.length,
      },
      'configuration loaded',
    )
    return result
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

function emptyInput(): LoadedConfig['input'] {
  return {
    restApis: [],
    authorizers: [],
    principals: [],
    policies: [],
    privateEndpoints: [],
    identityProviders: [],
    secrets: [],
    services: [],
  }
}
