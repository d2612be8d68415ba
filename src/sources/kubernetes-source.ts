/**
 * Kubernetes mode's configuration source: list+watch of every `portcullis.dev/v1alpha1` kind,
 * `v1` Secrets and `v1` Services annotated `portcullis.dev/rest-api` (cluster-wide, or in the given
 * namespaces), kept in memory; each change (debounced) calls `onChange`, and {@link load} turns the
 * store into a {@link LoadedConfig} exactly as local mode does (same validators, same grouping).
 *
 * Ready only once the first list of every resource completed: until then no configuration is
 * produced, so /readyz stays 503 rather than serving a partial view (fail closed). Watch failures
 * and `410 Gone` relist with backoff inside each reflector; the last good snapshot keeps serving.
 *
 * Secrets: Helm release and service-account-token Secrets are excluded by field selector (large,
 * never access keys); only Secrets named by a Principal's `secretAccessKeyRef` or an ApiKey's
 * `valueFrom.secretKeyRef` are handed to the compiler. Their values are never logged (the validators redact them too).
 *
 * @module
 */
import { REST_API_ANNOTATION } from '../api/core-v1.js'
import { groupObjects } from './folder-config.js'
import { isRecord, type KubeClient } from './kubernetes-client.js'
import { Reflector, type ReflectorLogger } from './kubernetes-reflector.js'
import { CUSTOM_RESOURCES, coreResourcePath, customResourcePath } from './kubernetes-resources.js'
import type { LoadedConfig, LoadError } from '../compile/last-good.js'
import {
  checkObjectSet,
  formatObjectRef,
  parseManifestObject,
  type ConfigError,
  type LoadedObject,
} from './manifest.js'
import { API_VERSION, type PortcullisKind } from '../api/v1alpha1/index.js'

/** The `file` of every object and error that comes from the API server. */
export const KUBERNETES_SOURCE_FILE = 'kubernetes'

/** Secret types that never hold access keys and can be large: not listed at all. */
export const EXCLUDED_SECRET_FIELD_SELECTOR =
  'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token'

export interface KubernetesSourceOptions {
  readonly client: KubeClient
  /** Namespaces to watch; empty = the whole cluster. */
  readonly namespaces: readonly string[]
  /** Called (debounced) after a change, only once the source is ready. */
  readonly onChange: () => void
  /** Quiet period after the last event, in ms. Default 100. */
  readonly debounceMs?: number
  readonly logger?: ReflectorLogger
  /** Reflector backoff (tests shorten it). */
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  readonly watchTimeoutSeconds?: number
}

/** A stored Portcullis object, as the status writer needs it. */
export interface CustomObjectView {
  readonly kind: PortcullisKind
  readonly plural: string
  readonly namespace: string
  readonly name: string
  readonly generation: number | undefined
  readonly status: unknown
}

interface Group {
  readonly role: 'custom' | 'secret' | 'service'
  readonly kind: string
  readonly plural: string
  readonly reflectors: Reflector[]
}

export class KubernetesSource {
  readonly #o: KubernetesSourceOptions
  readonly #groups: Group[] = []
  #timer: NodeJS.Timeout | undefined
  #wasReady = false
  #started = false
  #readyWaiters: (() => void)[] = []
  /** Last successfully parsed version of each object (for consumers that must not lose one). */
  #serving = new Map<string, LoadedObject>()
  /** `kind/namespace/name` → generation of each Portcullis object as of the last load. */
  #loadedGenerations = new Map<string, number | undefined>()

  constructor(opts: KubernetesSourceOptions) {
    this.#o = opts
    const scopes: (string | undefined)[] =
      opts.namespaces.length === 0 ? [undefined] : [...new Set(opts.namespaces)]
    const make = (
      role: Group['role'],
      kind: string,
      plural: string,
      apiVersion: string,
      path: (ns: string | undefined) => string,
      extra: Partial<ConstructorParameters<typeof Reflector>[0]> = {},
    ): void => {
      this.#groups.push({
        role,
        kind,
        plural,
        reflectors: scopes.map(
          (ns) =>
            new Reflector({
              client: opts.client,
              path: path(ns),
              apiVersion,
              kind,
              onChange: () => {
                this.#changed()
              },
              ...(opts.logger ? { logger: opts.logger } : {}),
              ...(opts.backoffInitialMs !== undefined
                ? { backoffInitialMs: opts.backoffInitialMs }
                : {}),
              ...(opts.backoffMaxMs !== undefined ? { backoffMaxMs: opts.backoffMaxMs } : {}),
              ...(opts.watchTimeoutSeconds !== undefined
                ? { watchTimeoutSeconds: opts.watchTimeoutSeconds }
                : {}),
              ...extra,
            }),
        ),
      })
    }
    for (const r of CUSTOM_RESOURCES) {
      make('custom', r.kind, r.plural, API_VERSION, (ns) => customResourcePath(r.plural, ns), {
        // Status writes (ours) do not change the configuration: only a new generation does.
        significant: (prev, next) => {
          const a = generationOf(prev)
          const b = generationOf(next)
          return a === undefined || b === undefined || a !== b
        },
      })
    }
    make('secret', 'Secret', 'secrets', 'v1', (ns) => coreResourcePath('secrets', ns), {
      fieldSelector: EXCLUDED_SECRET_FIELD_SELECTOR,
      transform: slimSecret,
    })
    make('service', 'Service', 'services', 'v1', (ns) => coreResourcePath('services', ns), {
      transform: slimAnnotatedService,
    })
  }

  /** Starts every list+watch. Returns at once; see {@link ready} and {@link whenReady}. */
  start(): void {
    if (this.#started) return
    this.#started = true
    for (const g of this.#groups) for (const r of g.reflectors) r.start()
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    for (const g of this.#groups) for (const r of g.reflectors) r.stop()
  }

  /** True once the first list of every resource (in every namespace) completed. */
  ready(): boolean {
    return this.#groups.every((g) => g.reflectors.every((r) => r.synced))
  }

  whenReady(): Promise<void> {
    if (this.ready()) return Promise.resolve()
    return new Promise((resolve) => this.#readyWaiters.push(resolve))
  }

  /** Total lists done by all reflectors (a relist after 410 Gone counts). */
  get listCount(): number {
    return this.#groups.reduce((n, g) => n + g.reflectors.reduce((m, r) => m + r.lists, 0), 0)
  }

  #changed(): void {
    if (!this.ready()) return
    if (!this.#wasReady) {
      // The initial sync: configuration right away, no debounce.
      this.#wasReady = true
      for (const w of this.#readyWaiters.splice(0)) w()
      this.#o.onChange()
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#o.onChange()
    }, this.#o.debounceMs ?? 100)
  }

  /** The stored Portcullis objects (with their current status), for status reporting. */
  customObjects(): CustomObjectView[] {
    const out: CustomObjectView[] = []
    for (const g of this.#groups) {
      if (g.role !== 'custom') continue
      for (const r of g.reflectors) {
        for (const obj of r.items.values()) {
          const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
          out.push({
            kind: g.kind as PortcullisKind,
            plural: g.plural,
            namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : '',
            name: typeof meta['name'] === 'string' ? meta['name'] : '',
            generation: generationOf(obj),
            status: obj['status'],
          })
        }
      }
    }
    return out
  }

  /**
   * The Portcullis objects that the last {@link load} saw, with the generation it saw and their
   * current stored status: statuses then describe what was compiled, not a newer edit.
   */
  loadedCustomObjects(): CustomObjectView[] {
    const out: CustomObjectView[] = []
    for (const o of this.customObjects()) {
      const k = `${o.kind}/${o.namespace}/${o.name}`
      if (!this.#loadedGenerations.has(k)) continue
      out.push({ ...o, generation: this.#loadedGenerations.get(k) })
    }
    return out
  }

  /**
   * Every object's current version if it is valid, else its last valid one (while it still exists):
   * what the NetworkPolicy builder reads, so an edit with a typo never drops a PRIVATE API's isolation.
   */
  servingObjects(): LoadedObject[] {
    return [...this.#serving.values()]
  }

  /** The store as one configuration: validated, set-checked and grouped like local mode. */
  load(): Promise<LoadedConfig> {
    const objects: LoadedObject[] = []
    const errors: LoadError[] = []
    const present = new Set<string>()
    const invalid = new Set<string>()
    const raws: Record<string, unknown>[] = []
    for (const g of this.#groups) {
      if (g.role === 'secret') continue
      for (const r of g.reflectors) raws.push(...r.items.values())
    }
    // Secrets named by the current objects (SECRET_REFS), and by the last valid ones still serving.
    const wanted = referencedSecrets([
      ...raws,
      ...[...this.#serving.values()].flatMap((o) =>
        'object' in o && secretRefsOf(o.kind) !== undefined
          ? [o.object as unknown as Record<string, unknown>]
          : [],
      ),
    ])
    for (const g of this.#groups) {
      if (g.role !== 'secret') continue
      for (const r of g.reflectors) {
        for (const [k, obj] of r.items) if (wanted.has(k)) raws.push(obj)
      }
    }
    raws.sort(byAgeThenRef)
    this.#loadedGenerations = new Map(
      this.customObjects().map((o) => [`${o.kind}/${o.namespace}/${o.name}`, o.generation]),
    )
    for (const raw of raws) {
      const r = parseManifestObject(raw, KUBERNETES_SOURCE_FILE)
      if (r.status === 'loaded') {
        objects.push(r.object)
        present.add(formatObjectRef(r.object.ref))
      } else if (r.status === 'invalid') {
        for (const e of r.errors) {
          errors.push(toLoadError(e))
          if (e.ref) {
            present.add(formatObjectRef(e.ref))
            invalid.add(formatObjectRef(e.ref))
          }
        }
      }
    }
    const set = checkObjectSet(objects)
    for (const e of set.errors) {
      errors.push(toLoadError(e))
      if (e.ref) invalid.add(formatObjectRef(e.ref))
    }
    const serving = new Map<string, LoadedObject>()
    for (const o of set.objects) serving.set(formatObjectRef(o.ref), o)
    for (const k of invalid) {
      const prev = this.#serving.get(k)
      if (prev !== undefined && present.has(k) && !serving.has(k)) serving.set(k, prev)
    }
    this.#serving = serving
    return Promise.resolve({ input: groupObjects(set.objects, errors), errors })
  }
}

function toLoadError(e: ConfigError): LoadError {
  return { file: e.file, ref: e.ref, path: e.path, message: e.message }
}

function generationOf(obj: Record<string, unknown>): number | undefined {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  return typeof meta['generation'] === 'number' ? meta['generation'] : undefined
}

/** A record field of `obj`, or an empty record. */
function recordAt(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key]
  return isRecord(v) ? v : {}
}

/**
 * The kinds that name Secrets (in their own namespace), and where in their `spec`: the one list
 * that decides which Secrets are read, for current objects and for last valid ones still serving.
 */
const SECRET_REFS: Readonly<Record<string, (spec: Record<string, unknown>) => string[]>> = {
  ApiKey: (spec) => {
    const name = recordAt(recordAt(spec, 'valueFrom'), 'secretKeyRef')['name']
    return typeof name === 'string' ? [name] : []
  },
  Principal: (spec) => {
    const keys = Array.isArray(spec['accessKeys']) ? (spec['accessKeys'] as unknown[]) : []
    return keys.flatMap((k) => {
      const name = isRecord(k) ? recordAt(k, 'secretAccessKeyRef')['name'] : undefined
      return typeof name === 'string' ? [name] : []
    })
  },
}

/** Where objects of `kind` name Secrets, or undefined for a kind that names none. */
function secretRefsOf(kind: unknown): ((spec: Record<string, unknown>) => string[]) | undefined {
  return typeof kind === 'string' && Object.hasOwn(SECRET_REFS, kind)
    ? SECRET_REFS[kind]
    : undefined
}

/**
 * `namespace/name` of every Secret the objects name (SECRET_REFS), valid or not: the validator
 * reports a missing one.
 */
function referencedSecrets(raws: readonly Record<string, unknown>[]): Set<string> {
  const out = new Set<string>()
  for (const raw of raws) {
    const refs = secretRefsOf(raw['kind'])
    if (refs === undefined) continue
    const meta = recordAt(raw, 'metadata')
    const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : ''
    for (const name of refs(recordAt(raw, 'spec'))) out.add(`${ns}/${name}`)
  }
  return out
}

/** Only what the Secret validator reads (no annotations: they can hold a copy of the data). */
function slimSecret(obj: Record<string, unknown>): Record<string, unknown> {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const out: Record<string, unknown> = {
    apiVersion: obj['apiVersion'],
    kind: obj['kind'],
    metadata: pick(meta, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']),
  }
  for (const f of ['type', 'immutable', 'data']) if (obj[f] !== undefined) out[f] = obj[f]
  return out
}

/** Annotated Services only, reduced to what binding and NetworkPolicies need. */
function slimAnnotatedService(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {}
  const value = annotations[REST_API_ANNOTATION]
  if (value === undefined) return undefined
  const spec = isRecord(obj['spec']) ? obj['spec'] : {}
  return {
    apiVersion: obj['apiVersion'],
    kind: obj['kind'],
    metadata: {
      ...pick(meta, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']),
      annotations: { [REST_API_ANNOTATION]: value },
    },
    spec: pick(spec, ['selector', 'ports', 'clusterIP', 'type']),
  }
}

function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k]
  return out
}

/** Oldest first (an access key ID claimed twice stays with the older Principal), then by ref. */
function byAgeThenRef(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = sortKey(a)
  const kb = sortKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

function sortKey(o: Record<string, unknown>): string {
  const meta = isRecord(o['metadata']) ? o['metadata'] : {}
  const ts = typeof meta['creationTimestamp'] === 'string' ? meta['creationTimestamp'] : ''
  return `${ts}|${String(o['kind'])}|${String(meta['namespace'])}|${String(meta['name'])}`
}
