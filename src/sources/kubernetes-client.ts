/**
 * A thin JSON client for the Kubernetes API on top of `@kubernetes/client-node` (kubeconfig or
 * in-cluster credentials, TLS, its fetch and its Watch): raw paths in, parsed JSON out, every request
 * bounded by a timeout, every failure a {@link KubeApiError} with the HTTP status and the API
 * server's `reason`. Raw JSON (not the generated models) keeps objects exactly as the API server sent
 * them, which is what the manifest validators expect.
 *
 * @module
 */
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  Watch,
  type KubeConfig,
} from '@kubernetes/client-node'

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError'
  readonly code = 'ERR_KUBERNETES_API'
  /** HTTP status; 0 when the request never got an answer (network error, timeout). */
  readonly status: number
  /** `Status.reason` from the API server (`NotFound`, `Conflict`, `Expired`...), when it sent one. */
  readonly reason: string | undefined

  constructor(message: string, status: number, reason?: string, options?: ErrorOptions) {
    super(message, options)
    this.status = status
    this.reason = reason
  }
}

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface KubeRequest {
  readonly method: KubeMethod
  /** Absolute API path, e.g. `/api/v1/namespaces/default/secrets`. */
  readonly path: string
  readonly query?: Readonly<Record<string, string | undefined>>
  readonly body?: unknown
  /** Default `application/json`; patches say which kind (`application/merge-patch+json`...). */
  readonly contentType?: string
  /** Default: the client's timeout. */
  readonly timeoutMs?: number
}

/** One watch event as the API server streams it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  readonly object: Record<string, unknown>
}

export interface KubeClientOptions {
  /** Per-request timeout in ms (lists, gets, writes). Default 15 000. */
  readonly timeoutMs?: number
}

const METHODS: Record<KubeMethod, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
}

export class KubeClient {
  readonly #kc: KubeConfig
  readonly #timeoutMs: number
  readonly #http = new IsomorphicFetchHttpLibrary()

  constructor(kc: KubeConfig, opts: KubeClientOptions = {}) {
    this.#kc = kc
    this.#timeoutMs = opts.timeoutMs ?? 15_000
  }

  /** The API server URL of the current context (for logs). */
  get server(): string {
    return this.#kc.getCurrentCluster()?.server ?? '(no cluster)'
  }

  /** Sends one request; resolves with the parsed JSON body, rejects with {@link KubeApiError}. */
  async request(req: KubeRequest): Promise<Record<string, unknown>> {
    const cluster = this.#kc.getCurrentCluster()
    if (cluster === null) throw new KubeApiError('kubeconfig has no current cluster', 0)
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path)
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, v)
    }
    const ctx = new RequestContext(url.toString(), METHODS[req.method])
    ctx.setHeaderParam('Accept', 'application/json')
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json')
      ctx.setBody(JSON.stringify(req.body))
    }
    ctx.setSignal(AbortSignal.timeout(req.timeoutMs ?? this.#timeoutMs))
    let status: number
    let text: string
    try {
      await this.#kc.applySecurityAuthentication(ctx)
      const res = await this.#http.send(ctx).toPromise()
      status = res.httpStatusCode
      text = await res.body.text()
    } catch (err) {
      throw new KubeApiError(`${req.method} ${req.path}: ${(err as Error).message}`, 0, undefined, {
        cause: err,
      })
    }
    let parsed: unknown
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as unknown)
    } catch {
      parsed = undefined
    }
    const obj = isRecord(parsed) ? parsed : {}
    if (status < 200 || status >= 300) {
      const message = typeof obj['message'] === 'string' ? obj['message'] : text.slice(0, 200)
      const reason = typeof obj['reason'] === 'string' ? obj['reason'] : undefined
      throw new KubeApiError(`${req.method} ${req.path}: ${status} ${message}`, status, reason)
    }
    if (!isRecord(parsed)) {
      throw new KubeApiError(`${req.method} ${req.path}: answer is not a JSON object`, status)
    }
    return parsed
  }

  /**
   * Starts a watch; `onEvent` gets each event, `onDone` is called exactly once when the stream ends
   * (error or not). Returns a function that stops the watch.
   */
  async watch(
    path: string,
    query: Readonly<Record<string, string | undefined>>,
    onEvent: (e: WatchEvent) => void,
    onDone: (err: unknown) => void,
  ): Promise<() => void> {
    const watch = new Watch(this.#kc)
    const params: Record<string, string> = {}
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params[k] = v
    let done = false
    const finish = (err: unknown): void => {
      if (done) return
      done = true
      onDone(err)
    }
    let controller: AbortController | undefined
    try {
      controller = await watch.watch(
        path,
        params,
        (type: string, object: unknown) => {
          if (done || !isRecord(object)) return
          if (
            type === 'ADDED' ||
            type === 'MODIFIED' ||
            type === 'DELETED' ||
            type === 'BOOKMARK' ||
            type === 'ERROR'
          ) {
            onEvent({ type, object })
          }
        },
        (err: unknown) => {
          finish(toWatchError(path, err))
        },
      )
    } catch (err) {
      finish(toWatchError(path, err))
    }
    return () => {
      done = true
      controller?.abort()
    }
  }
}

function toWatchError(path: string, err: unknown): unknown {
  if (err === null || err === undefined) return undefined
  // client-node aborts a watch after 30 s without bytes: an idle stream, not a failure; the caller
  // resumes from its last resourceVersion as after a server-side timeout.
  if (err instanceof Error && err.name === 'TimeoutError') return undefined
  const status = (err as { statusCode?: unknown }).statusCode
  return new KubeApiError(
    `watch ${path}: ${err instanceof Error ? err.message : JSON.stringify(err)}`,
    typeof status === 'number' ? status : 0,
    undefined,
    { cause: err },
  )
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
