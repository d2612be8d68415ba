/**
 * A memo of values derived from keys that recur on the hot path (header names per claim, encoded
 * bytes per denial text, ...), with a hard bound on its entries. When full it is emptied and
 * refilled: one O(1) step, no per-hit bookkeeping, and the keys that matter come back within a few
 * requests. That suits memos whose working set is far below the bound; where losing hot entries on
 * a flood of distinct keys would matter, use lru-cache instead.
 *
 * @module
 */
export class BoundedMemo<K, V> {
  readonly #map = new Map<K, V>()

  /** `max`: most entries held at once (≥ 1). */
  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`BoundedMemo max must be at least 1, not ${String(max)}`)
  }

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  /** Remembers `value` for `key`, emptying the memo first when it is full. */
  set(key: K, value: V): V {
    if (this.#map.size >= this.max && !this.#map.has(key)) this.#map.clear()
    this.#map.set(key, value)
    return value
  }

  /** The remembered value, else `make(key)` remembered. Pass a module-level `make`: no closure. */
  getOrMake(key: K, make: (key: K) => V): V {
    const known = this.#map.get(key)
    return known !== undefined ? known : this.set(key, make(key))
  }

  get size(): number {
    return this.#map.size
  }
}
