/**
 * The condition context an authenticated IAM caller's policies see: the request's keys with the
 * principal's keys (aws:PrincipalArn, aws:username, tags, ...) laid over them, without copying
 * either map on every request.
 *
 * @module
 */
import type { ConditionContext, ConditionValue } from '../../policy/types.js'

/**
 * Reads like `new Map([...base, ...principalKeys])` (a principal key wins over a request key of
 * the same name), but `get`, the only method the policy engine calls per request, is two lookups
 * and nothing is copied. The iteration methods (debugging, explanations) build the merged map once.
 */
export class PrincipalConditions implements ReadonlyMap<string, ConditionValue> {
  readonly #base: ReadonlyMap<string, ConditionValue>
  readonly #principalKeys: ReadonlyMap<string, string>
  #merged: ReadonlyMap<string, ConditionValue> | undefined

  constructor(
    base: ReadonlyMap<string, ConditionValue>,
    principalKeys: ReadonlyMap<string, string>,
  ) {
    this.#base = base
    this.#principalKeys = principalKeys
  }

  get(key: string): ConditionValue | undefined {
    // Principal-key values are strings, never undefined, so `??` is "principal key if present".
    return this.#principalKeys.get(key) ?? this.#base.get(key)
  }

  has(key: string): boolean {
    return this.#principalKeys.has(key) || this.#base.has(key)
  }

  get size(): number {
    return this.#all().size
  }

  forEach(
    callback: (
      value: ConditionValue,
      key: string,
      map: ReadonlyMap<string, ConditionValue>,
    ) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.#all()) callback.call(thisArg, value, key, this)
  }

  entries(): MapIterator<[string, ConditionValue]> {
    return this.#all().entries()
  }

  keys(): MapIterator<string> {
    return this.#all().keys()
  }

  values(): MapIterator<ConditionValue> {
    return this.#all().values()
  }

  [Symbol.iterator](): MapIterator<[string, ConditionValue]> {
    return this.#all().entries()
  }

  #all(): ReadonlyMap<string, ConditionValue> {
    if (this.#merged === undefined) {
      const merged = new Map<string, ConditionValue>(this.#base)
      for (const [key, value] of this.#principalKeys) merged.set(key, value)
      this.#merged = merged
    }
    return this.#merged
  }
}

/** `base` with the principal's keys laid over it (`base` itself when the principal has none). */
export function principalConditions(
  base: ReadonlyMap<string, ConditionValue>,
  principalKeys: ReadonlyMap<string, string>,
): ConditionContext {
  return principalKeys.size === 0 ? base : new PrincipalConditions(base, principalKeys)
}
