/**
 * Where configuration comes from, in either mode: a folder (local mode) or the Kubernetes API. A
 * source only says "something changed" and, when asked, hands over the current configuration
 * validated and grouped by kind; the configuration runtime owns everything after that (compile,
 * keep last good versions, swap, publish the new snapshot to its subscribers).
 *
 * @module
 */
import type { LoadedConfig } from '../compile/last-good.js'

export interface ConfigSource {
  /**
   * Starts watching. `onChange` is called after each change (debounced by the source); a source
   * that needs an initial sync (Kubernetes) also calls it once that sync is done. Resolves once
   * watching has started, not when the first configuration is ready.
   */
  start(onChange: () => void): Promise<void>
  /** The configuration as it is now. Never rejects for an invalid object: that is an error entry. */
  load(): Promise<LoadedConfig>
  /** Stops watching; `onChange` is not called afterwards. */
  stop(): Promise<void>
}
