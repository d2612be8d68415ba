/**
 * A REAL Prometheus (Debian's /usr/bin/prometheus) for end-to-end tests: temp TSDB, a loopback web
 * port, a static scrape config, and a small client for its HTTP query API. A missing binary throws
 * (tests must fail, never skip); the process is killed by PID on stop.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './nginx.js'
import { stopChild } from './stop-child.js'

export const PROMETHEUS_BIN = '/usr/bin/prometheus'

export interface PromSample {
  readonly metric: Record<string, string>
  readonly value: number
}

export interface PromTarget {
  readonly health: string
  readonly lastError: string
  readonly scrapeUrl: string
}

export interface RunningPrometheus {
  readonly url: string
  /** Instant query; throws on a non-success answer. */
  query(promql: string): Promise<PromSample[]>
  /** Active scrape targets as Prometheus reports them. */
  targets(): Promise<PromTarget[]>
  /** Alerting rules as Prometheus evaluates them (`GET /api/v1/rules?type=alert`). */
  alertRules(): Promise<PromAlertRule[]>
  stderr(): string
  stop(): Promise<void>
}

export interface PromAlertRule {
  readonly name: string
  /** `ok`, `err` or `unknown` (not evaluated yet). */
  readonly health: string
  readonly lastError?: string
  /** `inactive`, `pending` or `firing`. */
  readonly state: string
  readonly alerts: { readonly labels: Record<string, string>; readonly state: string }[]
}

export interface StartPrometheusOptions {
  /** `host:port` targets scraped at `metricsPath` (default `/metrics`). */
  readonly targets: readonly string[]
  readonly metricsPath?: string
  readonly scrapeIntervalSeconds?: number
  /** Rule files (absolute paths) Prometheus loads and evaluates every scrape interval. */
  readonly ruleFiles?: readonly string[]
  readonly startTimeoutMs?: number
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
  const body: unknown = await res.json()
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${JSON.stringify(body)}`)
  return body
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(
      `${PROMETHEUS_BIN} missing: install Debian's prometheus (scripts/ensure-tools.sh) — this test must not skip`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-prometheus-'))
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`
  const config = `global:
  scrape_interval: ${interval}
  scrape_timeout: ${interval}
  evaluation_interval: ${interval}
rule_files: [${(opts.ruleFiles ?? []).map((f) => JSON.stringify(f)).join(', ')}]
scrape_configs:
  - job_name: portcullis
    metrics_path: ${opts.metricsPath ?? '/metrics'}
    static_configs:
      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]
`
  await writeFile(join(dir, 'prometheus.yml'), config)
  const port = await freePort()
  let stderr = ''
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  child.stderr?.on('data', (c: Buffer) => {
    // Bounded: Prometheus logs little at warn, but never grow without limit.
    stderr = (stderr + c.toString()).slice(-20_000)
  })
  const url = `http://127.0.0.1:${port}`
  const running: RunningPrometheus = {
    url,
    async query(promql) {
      const body = (await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
        status: string
        data?: {
          resultType: string
          result: { metric: Record<string, string>; value: [number, string] }[]
        }
      }
      if (body.status !== 'success' || body.data?.resultType !== 'vector') {
        throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
      }
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
    },
    async targets() {
      const body = (await getJson(`${url}/api/v1/targets?state=active`)) as {
        data: { activeTargets: PromTarget[] }
      }
      return body.data.activeTargets
    },
    async alertRules() {
      const body = (await getJson(`${url}/api/v1/rules?type=alert`)) as {
        data: { groups: { rules: PromAlertRule[] }[] }
      }
      return body.data.groups.flatMap((g) => g.rules)
    },
    stderr: () => stderr,
    async stop() {
      await stopChild(child, 10_000)
      await rm(dir, { recursive: true, force: true })
    },
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await running.stop()
      throw new Error(`prometheus exited during start (code ${String(child.exitCode)}):\n${stderr}`)
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
      if (res.ok) return running
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop()
      throw new Error(`prometheus not ready on ${url} in time:\n${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
