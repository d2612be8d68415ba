/**
 * The chart's alerts with the real promtool (Debian's package): the PrometheusRule rendered by
 * `helm template` (the shipped template, default thresholds) is written out as a rule file, then
 * `promtool check rules` validates it and `promtool test rules` runs
 * prometheus-rules.promtool.yaml, where every alert fires on a known series with its labels and
 * annotations checked in full, and stays silent where it must. A missing promtool FAILS.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { renderChart } from '../helpers/helm.js'

const PROMTOOL = '/usr/bin/promtool'
const TESTS = join(import.meta.dirname, 'prometheus-rules.promtool.yaml')

interface Rule {
  readonly alert: string
  readonly expr: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
}
interface RuleSpec {
  readonly groups: { readonly name: string; readonly rules: Rule[] }[]
}

let dir: string
let spec: RuleSpec

function promtool(args: string[]): { status: number; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: dir, encoding: 'utf8' })
  if (r.error !== undefined) throw r.error
  return { status: r.status ?? -1, out: r.stdout + r.stderr }
}

beforeAll(async () => {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`${PROMTOOL} missing: run scripts/ensure-tools.sh (this test never skips)`)
  }
  const docs = renderChart([
    '--set',
    'prometheusRule.enabled=true',
    '--set',
    'prometheusRule.renderMode=always',
  ])
  const rule = docs.find((d) => d['kind'] === 'PrometheusRule')
  if (rule === undefined) throw new Error('the chart rendered no PrometheusRule')
  spec = rule['spec'] as RuleSpec
  dir = await mkdtemp(join(tmpdir(), 'portcullis-promtool-'))
  // A Prometheus rule file is exactly the PrometheusRule's spec.
  await writeFile(join(dir, 'rules.yaml'), stringify(spec))
  await writeFile(join(dir, 'tests.yaml'), readFileSync(TESTS, 'utf8'))
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('PrometheusRule alerts (promtool)', () => {
  it('the rendered rule file passes `promtool check rules`', () => {
    const r = promtool(['check', 'rules', 'rules.yaml'])
    expect(r.status, r.out).toBe(0)
    expect(r.out).toMatch(/SUCCESS: 8 rules found/)
  })

  it('ships the alerts the operations kit promises, each with severity, summary, description and runbook', () => {
    const rules = spec.groups.flatMap((g) => g.rules)
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'PortcullisAuthorizerErrors',
        'PortcullisCheckLatencyHigh',
        'PortcullisConfigReloadFailing',
        'PortcullisDenySpike',
        'PortcullisJwksFetchFailing',
        'PortcullisJwksKeysAgingOut',
        'PortcullisNoLeader',
        'PortcullisObjectsNotReady',
      ].sort(),
    )
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.['severity'])
      expect(Object.keys(r.annotations ?? {}).sort(), r.alert).toEqual([
        'description',
        'runbook',
        'summary',
      ])
    }
  })

  it('every alert has a promtool unit test that expects it to fire', () => {
    const tests = parse(readFileSync(TESTS, 'utf8')) as {
      tests: {
        alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[]
      }[]
    }
    const firing = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    )
    for (const r of spec.groups.flatMap((g) => g.rules)) expect(firing, r.alert).toContain(r.alert)
  })

  it('`promtool test rules` passes: each alert fires when it should, with its labels and annotations, and only then', () => {
    const r = promtool(['test', 'rules', 'tests.yaml'])
    expect(r.status, r.out).toBe(0)
    expect(r.out).toContain('SUCCESS')
  })
})
