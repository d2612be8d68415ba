/**
 * What the snapshot compiler reads: validated, defaulted manifests grouped by kind, each with where
 * it came from (file) so every compile error can name `file: kind/namespace/name: field: problem`.
 * The specs are the `src/api/v1alpha1` types themselves: the loaders hand over what the schema
 * validated, so the compiler reads exactly what the CRDs declare.
 *
 * @module
 */
import type { ObjectRef } from '../api/object-ref.js'
import {
  KIND_INFO,
  KINDS,
  type KindBucket,
  type KindOfBucket,
  type KindSpec,
} from '../api/v1alpha1/index.js'
import { recordOf } from '../lib/record-of.js'

export type { ObjectRef } from '../api/object-ref.js'

export interface Manifest<S> {
  readonly ref: ObjectRef
  readonly file: string
  readonly spec: S
}

export interface SecretInput {
  readonly ref: ObjectRef
  readonly file: string
  /** Decoded values (from `data` base64 or `stringData`). */
  readonly data: Readonly<Record<string, string>>
}

export interface ServiceBinding {
  readonly ref: ObjectRef
  readonly file: string
  /** Value of the `portcullis.dev/rest-api` annotation: a RestApi name in the Service's namespace. */
  readonly restApi: string
}

/** The manifests a compile-input bucket holds (`restApis` holds RestApi specs). */
export type BucketManifest<B extends KindBucket> = Manifest<KindSpec<KindOfBucket<B>>>

/** One bucket per kind of the registry, named by its `bucket`. */
export type KindBuckets = { readonly [B in KindBucket]: readonly BucketManifest<B>[] }

export interface CompileInput extends KindBuckets {
  readonly secrets: readonly SecretInput[]
  readonly services: readonly ServiceBinding[]
}

/** Every kind's bucket, in the registry's order. */
export const KIND_BUCKETS: readonly KindBucket[] = KINDS.map((k) => KIND_INFO[k].bucket)

/**
 * Collects manifests into a {@link CompileInput}: every kind of the registry gets a bucket, so a
 * loader (or a test) lists only what it has and a new kind needs no change here. Build once: the
 * input shares the builder's arrays.
 */
export class CompileInputBuilder {
  readonly #buckets: { [B in KindBucket]: BucketManifest<B>[] } = recordOf(KIND_BUCKETS, () => [])
  readonly #secrets: SecretInput[] = []
  readonly #services: ServiceBinding[] = []

  add<B extends KindBucket>(bucket: B, manifest: BucketManifest<B>): this {
    this.#buckets[bucket].push(manifest)
    return this
  }

  addSecret(secret: SecretInput): this {
    this.#secrets.push(secret)
    return this
  }

  addService(service: ServiceBinding): this {
    this.#services.push(service)
    return this
  }

  build(): CompileInput {
    return { ...this.#buckets, secrets: this.#secrets, services: this.#services }
  }
}

/** An input with every bucket present and empty: `{ ...emptyCompileInput(), restApis: [...] }`. */
export function emptyCompileInput(): CompileInput {
  return new CompileInputBuilder().build()
}

/** A problem with one object: `file: kind/namespace/name: field: problem`. */
export interface CompileError {
  readonly file: string
  readonly ref: ObjectRef
  readonly path: string
  readonly message: string
}
