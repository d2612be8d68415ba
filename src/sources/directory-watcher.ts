/**
 * Watches a configuration folder and calls back (debounced) when anything in it changes. Uses
 * fs.watch (recursive) and, as a safety net for filesystems where events get lost (network
 * mounts, Kubernetes ConfigMap symlink swaps), a cheap fingerprint poll of file sizes and mtimes.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface DirectoryWatcherOptions {
  /** Quiet period after the last event before reloading, in ms. Default 100. */
  readonly debounceMs?: number
  /** Fingerprint poll interval in ms. Default 500. */
  readonly pollMs?: number
}

export class DirectoryWatcher {
  readonly #dir: string
  readonly #onChange: () => void
  readonly #debounceMs: number
  readonly #pollMs: number
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #poll: NodeJS.Timeout | undefined
  #fingerprint = ''
  #closed = false

  constructor(dir: string, onChange: () => void, opts: DirectoryWatcherOptions = {}) {
    this.#dir = dir
    this.#onChange = onChange
    this.#debounceMs = opts.debounceMs ?? 100
    this.#pollMs = opts.pollMs ?? 500
  }

  async start(): Promise<void> {
    this.#fingerprint = await fingerprint(this.#dir)
    try {
      this.#watcher = watch(this.#dir, { recursive: true }, () => {
        this.#schedule()
      })
      this.#watcher.on('error', () => {
        // The poll below still notices changes; a watcher error must not crash the process.
      })
    } catch {
      this.#watcher = undefined
    }
    const tick = async (): Promise<void> => {
      if (this.#closed) return
      const fp = await fingerprint(this.#dir).catch(() => this.#fingerprint)
      if (fp !== this.#fingerprint) {
        this.#fingerprint = fp
        this.#schedule()
      }
      if (!this.#closed) this.#poll = setTimeout(() => void tick(), this.#pollMs)
    }
    this.#poll = setTimeout(() => void tick(), this.#pollMs)
  }

  #schedule(): void {
    if (this.#closed) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void fingerprint(this.#dir)
        .then((fp) => {
          this.#fingerprint = fp
        })
        .catch(() => undefined)
        .finally(() => {
          if (!this.#closed) this.#onChange()
        })
    }, this.#debounceMs)
  }

  close(): void {
    this.#closed = true
    this.#watcher?.close()
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#poll) clearTimeout(this.#poll)
  }
}

/** Sizes and mtimes of every file under `dir`, sorted: changes when any file changes. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = []
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true })
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else {
        const s = await stat(p).catch(() => undefined)
        if (s) parts.push(`${p}:${s.size}:${s.mtimeMs}`)
      }
    }
  }
  await walk(dir)
  return parts.sort().join('\n')
}
