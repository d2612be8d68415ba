/**
 * One bounded HTTP GET of a JSON document (JWKS or OIDC discovery): a deadline covering connect,
 * headers and body, a byte ceiling enforced while streaming, no redirects, 200 only.
 *
 * @module
 */

export type FetchOutcome = 'success' | 'error' | 'timeout' | 'too_large' | 'invalid'

export type FetchJsonResult =
  | { readonly ok: true; readonly json: unknown }
  | {
      readonly ok: false
      readonly outcome: Exclude<FetchOutcome, 'success'>
      readonly reason: string
    }

export interface FetchJsonOptions {
  readonly timeoutMs: number
  readonly maxBytes: number
  /** Aborts the fetch early (registry close). */
  readonly signal?: AbortSignal | undefined
}

/**
 * Fetches `url`. Redirects are refused (`redirect: 'error'`): a JWKS location is configuration or
 * comes from the issuer's discovery document, and following a redirect would let a third host
 * supply keys. Never throws.
 */
export async function fetchJsonBounded(
  url: string,
  opts: FetchJsonOptions,
): Promise<FetchJsonResult> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, opts.timeoutMs)
  const onOuterAbort = (): void => {
    controller.abort()
  }
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true })
  try {
    const res = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'error',
      signal: controller.signal,
    })
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined)
      return { ok: false, outcome: 'error', reason: `HTTP ${res.status}` }
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => undefined)
      return { ok: false, outcome: 'too_large', reason: `body over ${opts.maxBytes} bytes` }
    }
    const chunks: Uint8Array[] = []
    let total = 0
    if (res.body !== null) {
      // Leaving the loop early (return) cancels the stream: the rest is never downloaded.
      for await (const value of res.body as AsyncIterable<unknown>) {
        if (!(value instanceof Uint8Array)) {
          return { ok: false, outcome: 'invalid', reason: 'unexpected body chunk' }
        }
        total += value.byteLength
        if (total > opts.maxBytes) {
          return { ok: false, outcome: 'too_large', reason: `body over ${opts.maxBytes} bytes` }
        }
        chunks.push(value)
      }
    }
    try {
      return { ok: true, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }
    } catch {
      return { ok: false, outcome: 'invalid', reason: 'body is not JSON' }
    }
  } catch (err) {
    if (timedOut)
      return { ok: false, outcome: 'timeout', reason: `no answer within ${opts.timeoutMs} ms` }
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
    return {
      ok: false,
      outcome: 'error',
      reason: `${err instanceof Error ? err.message : 'fetch failed'}${cause}`.slice(0, 300),
    }
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onOuterAbort)
  }
}
