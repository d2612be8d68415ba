/**
 * Local mode's configuration source: the manifests under one folder, reloaded when its content
 * changes (see DirectoryWatcher for how a change is detected).
 *
 * @module
 */
import type { LoadedConfig } from '../compile/last-good.js'
import type { ConfigSource } from './config-source.js'
import { DirectoryWatcher } from './directory-watcher.js'
import { loadFolderConfig } from './folder-config.js'

export class FolderSource implements ConfigSource {
  readonly #dir: string
  #watcher: DirectoryWatcher | undefined

  constructor(dir: string) {
    this.#dir = dir
  }

  load(): Promise<LoadedConfig> {
    return loadFolderConfig([this.#dir])
  }

  async start(onChange: () => void): Promise<void> {
    if (this.#watcher !== undefined) return
    this.#watcher = new DirectoryWatcher(this.#dir, onChange)
    await this.#watcher.start()
  }

  stop(): Promise<void> {
    this.#watcher?.close()
    return Promise.resolve()
  }
}
