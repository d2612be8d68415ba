/**
 * `portcullis check --config DIR --method M --url URL [-H 'Name: value']... [--source-ip IP]
 * [--source-principal SPIFFE] [--trust-domains TD,...] [--context-extension k=v]... [--candidate] [--json]`: one
 * decision offline, with the reason and the statements that decided it; with `--candidate`, also
 * the answer of the API's candidate policy. Exit 0 allowed, 1 denied, 2 usage/config error (the
 * live answer decides the exit code).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createAuthnRuntime } from '../app/authn-runtime.js'
import { Decider } from '../decision/decide.js'
import { requestFromCli } from '../request/from-cli.js'
import { loadFolderConfig } from '../sources/folder-config.js'
import { formatConfigProblem } from '../api/config-problem.js'
import { LastGoodCompiler } from '../compile/last-good.js'
import type { CheckOutcome } from '../decision/check-outcome.js'
import type { Snapshot } from '../compile/snapshot.js'
import { planKey } from '../compile/usage-index.js'
import { LocalUsageCounter } from '../usage/local-counter.js'
import { buildUsageReport, type KeyUsageReport } from '../usage/usage-report.js'
import {
  UsageError,
  accountFlag,
  listFlag,
  parseFlags,
  regionFlag,
  stringFlag,
  trustDomainsFlag,
} from './options.js'

export const CHECK_FLAGS = {
  config: { type: 'string' },
  method: { type: 'string' },
  url: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  'source-ip': { type: 'string' },
  'source-principal': { type: 'string' },
  // SPIFFE trust domains, comma-separated, as for serve (see trustDomainsFlag).
  'trust-domains': { type: 'string' },
  'context-extension': { type: 'string', multiple: true },
  data: { type: 'string' },
  'data-file': { type: 'string' },
  json: { type: 'boolean' },
  // Also decide with the candidates that apply (candidatePolicy, Principal, Authorizer) and print both answers.
  candidate: { type: 'boolean' },
  'account-id': { type: 'string' },
  region: { type: 'string' },
} as const

export async function checkCommand(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const flags = parseFlags(argv, CHECK_FLAGS, env)
  const config = stringFlag(flags, 'config')
  const method = stringFlag(flags, 'method')
  const url = stringFlag(flags, 'url')
  if (config === undefined || method === undefined || url === undefined) {
    throw new UsageError('check needs --config DIR --method M --url URL')
  }
  const dataFile = stringFlag(flags, 'data-file')
  const data = stringFlag(flags, 'data')
  const body =
    dataFile !== undefined
      ? await readFile(dataFile)
      : data !== undefined
        ? Buffer.from(data)
        : undefined
  const built = requestFromCli({
    method,
    url,
    headers: listFlag(flags, 'header'),
    sourceIp: stringFlag(flags, 'source-ip'),
    sourcePrincipal: stringFlag(flags, 'source-principal'),
    contextExtensions: listFlag(flags, 'context-extension'),
    body,
  })
  if (!built.ok) throw new UsageError(built.error)
  const trustDomains = trustDomainsFlag(flags)

  const loaded = await loadFolderConfig([resolve(config)])
  const authn = createAuthnRuntime()
  try {
    const result = new LastGoodCompiler().compile(loaded, {
      defaults: { accountId: accountFlag(flags), region: regionFlag(flags) },
      generation: 1,
      ...(authn.authorizerCompiler ? { authorizerCompiler: authn.authorizerCompiler } : {}),
    })
    if (result.allErrors.length > 0) {
      for (const e of result.allErrors) err(formatConfigProblem(e))
      return 2
    }
    authn.onSnapshot(result.snapshot, undefined)
    // An offline check counts only itself: its usage read-out shows the plan's limits for the key.
    const counter = new LocalUsageCounter()
    const decider = new Decider({
      snapshot: () => result.snapshot,
      usage: { counter },
      explain: true,
      trustDomains,
      flows: authn.flows,
      ...(authn.privateGateIdentity ? { privateGateIdentity: authn.privateGateIdentity } : {}),
      logger: {
        error: (o, m) => {
          err(`${m} ${JSON.stringify(o)}`)
        },
        debug: () => undefined,
      },
    })
    const outcome = await decider.check(built.req)
    const json = flags.values['json'] === true
    const usage = usageOf(outcome, result.snapshot, counter)
    const asJson = (o: CheckOutcome): object => ({ ...toJson(o), ...(usage ? { usage } : {}) })
    if (flags.values['candidate'] !== true) {
      out(json ? JSON.stringify(asJson(outcome), null, 2) : toText(outcome))
      return outcome.allowed ? 0 : 1
    }
    const candidate = await decider.checkCandidate(built.req)
    if (json) {
      out(
        JSON.stringify(
          {
            ...asJson(outcome),
            candidate:
              candidate === undefined
                ? null
                : { ...toJson(candidate.outcome), sources: candidate.sources },
          },
          null,
          2,
        ),
      )
    } else {
      out(
        candidate === undefined
          ? `live:\n${indent(toText(outcome))}\ncandidate:\n  (no candidate applies to this request)`
          : `live:\n${indent(toText(outcome))}\ncandidate (${candidate.sources.join(', ')}):\n${indent(
              toText(candidate.outcome),
            )}`,
      )
      if (candidate !== undefined && candidate.outcome.allowed !== decidedAllow(outcome)) {
        out('the candidate decides otherwise')
      }
    }
    return outcome.allowed ? 0 : 1
  } finally {
    authn.close()
  }
}

/** The quota read-out of the key an allowed apiKeyRequired check used (plans with a quota only). */
function usageOf(
  o: CheckOutcome,
  snapshot: Snapshot,
  counter: LocalUsageCounter,
): (KeyUsageReport & { readonly plan: string }) | undefined {
  const keyId = o.allowed ? o.metadata['api_key'] : undefined
  if (keyId === undefined || o.api === undefined) return undefined
  const plan = snapshot.usage.plans.get(planKey(o.api, keyId))?.plan
  if (plan === undefined) return undefined
  const report = buildUsageReport(
    { ...snapshot.usage, planList: [{ ...plan, keys: [keyId] }] },
    counter,
    Date.now(),
  )
  const key = report.plans[0]?.keys[0]
  return key === undefined ? undefined : { plan: plan.ref, ...key }
}

/** The decision as decided: under dry-run, the would-be one. */
function decidedAllow(o: CheckOutcome): boolean {
  return o.allowed && o.dryRun !== undefined ? o.dryRun.decision === 'allow' : o.allowed
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}

function toJson(o: CheckOutcome): object {
  const base = {
    decision: o.allowed ? 'allow' : 'deny',
    code: o.code,
    api: o.api ?? null,
    reason: o.explain?.notes ?? [],
    statements: o.explain?.statements ?? [],
  }
  if (o.allowed) {
    return {
      ...base,
      upstreamHeaders: Object.fromEntries(o.upstreamHeaders.map((h) => [h.name, h.value])),
      headersToRemove: o.headersToRemove,
    }
  }
  return {
    ...base,
    httpStatus: o.httpStatus,
    grpcCode: o.grpcCode,
    headers: Object.fromEntries(o.headers.map((h) => [h.name, h.value])),
    body: o.body,
  }
}

function toText(o: CheckOutcome): string {
  const lines: string[] = []
  if (o.allowed && o.dryRun !== undefined) {
    const d = o.dryRun
    lines.push(`ALLOW (dry-run; decided ${d.decision.toUpperCase()} ${String(d.status)} ${d.code})`)
    for (const h of o.upstreamHeaders) lines.push(`  upstream header ${h.name}: ${h.value}`)
  } else if (o.allowed) {
    lines.push(`ALLOW (${o.code})`)
    for (const h of o.upstreamHeaders) lines.push(`  upstream header ${h.name}: ${h.value}`)
  } else {
    lines.push(`DENY ${o.httpStatus} (${o.code})`)
    const type = o.headers.find((h) => h.name === 'x-amzn-errortype')
    if (type) lines.push(`  x-amzn-errortype: ${type.value}`)
    lines.push(`  body: ${o.body}`)
  }
  const notes = o.explain?.notes ?? []
  if (notes.length > 0) lines.push('reason:')
  for (const n of notes) lines.push(`  - ${n}`)
  const st = o.explain?.statements ?? []
  if (st.length > 0) lines.push('deciding statements:')
  for (const s of st)
    lines.push(
      `  - ${s.policy} Statement[${s.index}]${s.sid !== undefined ? ` (Sid ${s.sid})` : ''}: ${s.effect}`,
    )
  return lines.join('\n')
}
