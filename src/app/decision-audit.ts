/**
 * Wires the decider's rollout hooks (decision-log traces, candidate disagreements) to the
 * decision-log stream, the metrics and the log.
 *
 * @module
 */
import type { Writable } from 'node:stream'
import type { RolloutHooks } from '../decision/decide.js'
import type { DecisionTrace } from '../decision/decision-trace.js'
import { DecisionLog, openDecisionLogStream } from '../observability/decision-log.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'

export interface DecisionAuditOptions {
  /** `stdout`, a file path, or a stream (tests); undefined: no decision log. */
  readonly target: string | Writable | undefined
  /** Lines allowed to wait for the stream. Default DEFAULT_DECISION_LOG_QUEUE. */
  readonly maxQueued?: number
  readonly metrics: Metrics
  readonly logger: Logger
}

export interface DecisionAudit {
  readonly hooks: RolloutHooks
  /** For the servers: a traced decision was answered after `seconds`. */
  readonly onDecided: ((trace: DecisionTrace, seconds: number) => void) | undefined
  close(): Promise<void>
}

export function createDecisionAudit(opts: DecisionAuditOptions): DecisionAudit {
  const { metrics, logger } = opts
  const log =
    opts.target === undefined
      ? undefined
      : new DecisionLog({
          stream:
            typeof opts.target === 'string' ? openDecisionLogStream(opts.target) : opts.target,
          ...(opts.maxQueued !== undefined ? { maxQueued: opts.maxQueued } : {}),
          onDrop: () => {
            metrics.decisionLogDrop()
          },
          onWritten: (n) => {
            metrics.decisionLogLines(n)
          },
          serialize: (record) => JSON.stringify((record as DecisionTrace).toLine()),
        })
  const settle = (trace: DecisionTrace): void => {
    if (--trace.pending > 0) return
    if (trace.shouldLog()) log?.enqueue(trace)
  }
  return {
    hooks: {
      logging: log !== undefined,
      settle,
      disagreement(api, live, candidate) {
        metrics.candidateDisagreement(api, live, candidate)
        // Without a decision log the counter is the record; with one, the line says which request.
        if (log === undefined && logger.isLevelEnabled('debug')) {
          logger.debug({ api, live, candidate }, 'candidate disagrees')
        }
      },
      candidateCheck(api, result) {
        metrics.candidateCheck(api, result)
      },
    },
    onDecided:
      log === undefined
        ? undefined
        : (trace, seconds) => {
            trace.latencyUs = Math.round(seconds * 1e6)
            settle(trace)
          },
    close: () => log?.close() ?? Promise.resolve(),
  }
}
