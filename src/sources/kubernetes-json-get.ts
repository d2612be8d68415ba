/**
 * One bounded GET of a JSON document from the Kubernetes API server, authenticated with
 * Portcullis's own credentials (kubeconfig or in-cluster ServiceAccount: bearer token or client
 * certificate, and the cluster's CA): the ServiceAccount issuer's keys (`/openid/v1/jwks`), which
 * the API server serves only to authenticated callers and under a CA public clients do not trust.
 * Same bounds as any key fetch: a deadline over connect, headers and body, a byte ceiling enforced
 * while streaming, 200 only, no redirects (node's https does not follow them). Never throws.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import type { FetchJsonOptions, FetchJsonResult } from '../authn/jwt/index.js'

export function apiServerJsonGetter(
  kc: KubeConfig,
): (path: string, opts: FetchJsonOptions) => Promise<FetchJsonResult> {
  return (path, opts) => getJson(kc, path, opts)
}

async function getJson(
  kc: KubeConfig,
  path: string,
  opts: FetchJsonOptions,
): Promise<FetchJsonResult> {
  const cluster = kc.getCurrentCluster()
  if (cluster === null) return { ok: false, outcome: 'error', reason: 'kubeconfig has no cluster' }
  let url: URL
  try {
    url = new URL(cluster.server.replace(/\/+$/, '') + path)
  } catch {
    return { ok: false, outcome: 'error', reason: 'kubeconfig cluster server is not a URL' }
  }
  // The API server answers 406 to a JWKS request that does not accept `application/jwk-set+json`.
  const options: RequestOptions = {
    method: 'GET',
    headers: { accept: 'application/jwk-set+json, application/json' },
  }
  try {
    // CA, client certificate, bearer token (re-read from the projected token file in a pod).
    await kc.applyToHTTPSOptions(options)
  } catch (err) {
    return { ok: false, outcome: 'error', reason: `credentials: ${(err as Error).message}` }
  }
  // Closed while the credentials were read: an abort event already fired is not fired again.
  if (opts.signal?.aborted === true) return { ok: false, outcome: 'error', reason: 'aborted' }
  return new Promise<FetchJsonResult>((resolve) => {
    let settled = false
    const finish = (r: FetchJsonResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      req.destroy()
      resolve(r)
    }
    const onAbort = (): void => {
      finish({ ok: false, outcome: 'error', reason: 'aborted' })
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    const req = send(url, options, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        finish({ ok: false, outcome: 'error', reason: `HTTP ${String(res.statusCode)}` })
        return
      }
      const chunks: Buffer[] = []
      let total = 0
      res.on('data', (chunk: Buffer) => {
        total += chunk.byteLength
        if (total > opts.maxBytes) {
          finish({ ok: false, outcome: 'too_large', reason: `body over ${opts.maxBytes} bytes` })
          return
        }
        chunks.push(chunk)
      })
      res.on('end', () => {
        try {
          finish({ ok: true, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown })
        } catch {
          finish({ ok: false, outcome: 'invalid', reason: 'body is not JSON' })
        }
      })
      res.on('error', (err) => {
        finish({ ok: false, outcome: 'error', reason: err.message.slice(0, 300) })
      })
    })
    const timer = setTimeout(() => {
      finish({ ok: false, outcome: 'timeout', reason: `no answer within ${opts.timeoutMs} ms` })
    }, opts.timeoutMs)
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    req.on('error', (err) => {
      finish({ ok: false, outcome: 'error', reason: err.message.slice(0, 300) })
    })
    req.end()
  })
}
