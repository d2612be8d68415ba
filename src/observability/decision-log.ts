/**
 * The decision-log stream: one JSON line per logged decision, written off the check path.
 *
 * A check only pushes its record on a fixed-size queue (an array push and a length compare); the
 * queue is drained in a later turn of the event loop, where the records are serialised and written
 * in batches. When the stream cannot keep up (a slow collector, a pipe nobody reads), writing
 * pauses until the stream drains, the queue fills, and further records are dropped and counted:
 * memory stays bounded and a check never waits for, or pays for, a reader.
 *
 * @module
 */
import { createWriteStream, fstatSync } from 'node:fs'
import { Socket } from 'node:net'
import type { Writable } from 'node:stream'

/** Records waiting to be written, at most. Beyond it records are dropped (and counted). */
export const DEFAULT_DECISION_LOG_QUEUE = 8192
/** Records serialised per write: bounds the time one drain turn holds the event loop. */
const BATCH = 256

export interface DecisionLogOptions {
  /** Where lines go: a Writable that may apply backpressure (write() returning false). */
  readonly stream: Writable
  /** Records allowed to wait, at most. Default 8192. */
  readonly maxQueued?: number
  /** Called once per dropped record (a metric counter). */
  readonly onDrop?: () => void
  /** Called with the number of lines of each write handed to the stream. */
  readonly onWritten?: (lines: number) => void
  /** Turns a record into one JSON line, without the newline. Default JSON.stringify. */
  readonly serialize?: (record: object) => string
}

export class DecisionLog {
  readonly #stream: Writable
  readonly #max: number
  readonly #onDrop: () => void
  readonly #onWritten: (lines: number) => void
  readonly #serialize: (record: object) => string
  #queue: object[] = []
  #scheduled = false
  /** True while the stream's own buffer is over its mark: nothing more is written until 'drain'. */
  #blocked = false
  #closed = false
  #dropped = 0
  #written = 0

  constructor(opts: DecisionLogOptions) {
    if (opts.maxQueued !== undefined && (!Number.isInteger(opts.maxQueued) || opts.maxQueued < 1)) {
      throw new TypeError('maxQueued must be a positive integer')
    }
    this.#stream = opts.stream
    this.#max = opts.maxQueued ?? DEFAULT_DECISION_LOG_QUEUE
    this.#onDrop = opts.onDrop ?? noop
    this.#onWritten = opts.onWritten ?? noop
    this.#serialize = opts.serialize ?? ((r) => JSON.stringify(r))
    this.#stream.on('drain', () => {
      this.#blocked = false
      this.#schedule()
    })
    // A broken stream (a reader that went away) must not crash the process: logging stops, the
    // records from then on are counted as dropped.
    this.#stream.on('error', () => {
      this.#blocked = true
    })
  }

  /** Records dropped because the queue was full (or the stream broken). */
  get dropped(): number {
    return this.#dropped
  }

  /** Records handed to the stream. */
  get written(): number {
    return this.#written
  }

  /** Queues one record; never blocks, never throws. Returns false when it was dropped. */
  enqueue(record: object): boolean {
    if (this.#closed || this.#queue.length >= this.#max) {
      this.#dropped++
      this.#onDrop()
      return false
    }
    this.#queue.push(record)
    this.#schedule()
    return true
  }

  #schedule(): void {
    if (this.#scheduled || this.#blocked || this.#queue.length === 0) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#drain()
    })
  }

  /** One batch per turn, so checks waiting on the event loop go first. */
  #drain(): void {
    if (this.#blocked || this.#queue.length === 0) return
    const batch = this.#queue.length <= BATCH ? this.#queue : this.#queue.slice(0, BATCH)
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(BATCH)
    let text = ''
    let lines = 0
    for (const record of batch) {
      try {
        text += this.#serialize(record) + '\n'
        lines++
      } catch {
        // A record that cannot be serialised is a bug, not a reason to stop logging.
        this.#dropped++
        this.#onDrop()
      }
    }
    if (lines > 0) {
      this.#written += lines
      this.#onWritten(lines)
      if (!this.#stream.write(text)) this.#blocked = true
    }
    this.#schedule()
  }

  /** Writes what is queued (waiting for the stream up to `graceMs`), then ends the stream. */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closed) return
    const deadline = Date.now() + graceMs
    while ((this.#queue.length > 0 || this.#scheduled) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5))
    }
    this.#closed = true
    this.#dropped += this.#queue.length
    this.#queue = []
    const stream = this.#stream
    if (stream === stdoutStream) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      t.unref()
      stream.end(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
}

function noop(): void {}

let stdoutStream: Writable | undefined

/**
 * The stream for `--decision-log stdout|<file>`. Standard output that is a pipe or socket gets a
 * non-blocking stream of its own: Node's `process.stdout` writes to pipes synchronously on Linux,
 * so a collector that stops reading would stall every check. A file is appended to.
 */
export function openDecisionLogStream(target: string): Writable {
  if (target !== 'stdout') return createWriteStream(target, { flags: 'a' })
  if (stdoutStream !== undefined) return stdoutStream
  const st = fstatSync(1)
  stdoutStream =
    st.isFIFO() || st.isSocket()
      ? new Socket({ fd: 1, readable: false, writable: true })
      : createWriteStream('', { fd: 1, autoClose: false })
  return stdoutStream
}
