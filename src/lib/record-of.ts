/**
 * A record with one entry per key of a list, for tables derived from a registry (every kind's
 * bucket, every kind's count) instead of spelled out once more by hand.
 *
 * @module
 */

/** `{ [k]: value(k) }` for every `k` of `keys`, in the order of `keys`. */
export function recordOf<K extends string, V>(
  keys: readonly K[],
  value: (key: K) => V,
): Record<K, V> {
  // Sound when `keys` lists every member of K, as the registry's lists (KINDS and what is derived
  // from it) do; TypeScript cannot see a list's coverage of a union, hence the one assertion.
  return Object.fromEntries(keys.map((k) => [k, value(k)])) as Record<K, V>
}
