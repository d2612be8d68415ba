/**
 * The real helm binary for the chart tests and the Kubernetes tests that install the chart's RBAC
 * (never skipped: a missing helm throws), and `helm template` of charts/portcullis parsed into
 * objects.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

export const CHART = join(import.meta.dirname, '..', '..', 'charts', 'portcullis')
// A helm built with `go install` reports Kubernetes v1.20 by default (its version comes from
// ldflags), which the chart's kubeVersion (>=1.25) refuses; pin a current version explicitly.
export const KUBE_VERSION = '1.30.0'

function findHelm(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v helm'], { encoding: 'utf8' }).stdout.trim()
  if (onPath !== '') return onPath
  let gopath = join(homedir(), 'go')
  const go = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' })
  if (go.status === 0 && go.stdout.trim() !== '') gopath = go.stdout.trim()
  const built = join(gopath, 'bin', 'helm')
  if (existsSync(built)) return built
  throw new Error(
    'helm not found on PATH or in $(go env GOPATH)/bin: run scripts/ensure-tools.sh (chart tests never skip)',
  )
}

export const HELM = findHelm()

export interface Run {
  status: number
  stdout: string
  stderr: string
}

export function helm(args: string[]): Run {
  const r = spawnSync(HELM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) throw r.error
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

export type Doc = Record<string, unknown>

/**
 * `helm template <release> charts/portcullis -n <namespace>` (default `rel` in
 * `portcullis-system`) with extra arguments, as helm answered: for the values it must refuse.
 */
export function helmTemplate(
  args: string[] = [],
  where: { readonly release?: string; readonly namespace?: string } = {},
): Run {
  return helm([
    'template',
    where.release ?? 'rel',
    CHART,
    '--namespace',
    where.namespace ?? 'portcullis-system',
    '--kube-version',
    KUBE_VERSION,
    ...args,
  ])
}

/** {@link helmTemplate}, parsed; throws with helm's error when it fails. */
export function renderChart(
  args: string[] = [],
  where: { readonly release?: string; readonly namespace?: string } = {},
): Doc[] {
  const r = helmTemplate(args, where)
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}): ${r.stderr}`)
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null)
}
