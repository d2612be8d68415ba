/**
 * Pure: the `Ready` condition and `observedGeneration` each Portcullis object should carry after a
 * compile (docs/kubernetes.md#status), whether its current status already says so, and the merge
 * patch that makes it so. Ready=False messages are the compile/validation errors for that object
 * (`path: problem`), which never contain Secret values (the validators redact them).
 *
 * @module
 */
import type { Condition } from '../api/v1alpha1/index.js'
import { isRecord } from '../sources/kubernetes-client.js'
import type { CustomObjectView } from '../sources/kubernetes-source.js'
import type { LoadError } from '../compile/last-good.js'

/** Longest condition message written (the CRD allows 32 KiB; kubectl output stays readable). */
export const MAX_MESSAGE_CHARS = 2048

export interface ReadyState {
  readonly status: 'True' | 'False'
  /** `Accepted`; `Invalid` (not served); `InvalidServingPrevious` (last valid version serves). */
  readonly reason: 'Accepted' | 'Invalid' | 'InvalidServingPrevious'
  readonly message: string
  readonly observedGeneration: number | undefined
}

export interface ReadyTarget {
  readonly object: CustomObjectView
  readonly desired: ReadyState
}

export function refKeyOf(o: { kind: string; namespace: string; name: string }): string {
  return `${o.kind}/${o.namespace}/${o.name}`
}

/** One target per stored object: Ready=True unless a problem names it. */
export function desiredReadyStates(
  objects: readonly CustomObjectView[],
  result: {
    readonly allErrors: readonly LoadError[]
    readonly keptPrevious: readonly string[]
    /** Problems that leave the object served (e.g. a UsagePlan naming a missing ApiKey). */
    readonly objectWarnings?: readonly LoadError[]
  },
): ReadyTarget[] {
  const byObject = (list: readonly LoadError[]): Map<string, string[]> => {
    const out = new Map<string, string[]>()
    for (const e of list) {
      if (e.ref === undefined) continue
      const k = refKeyOf(e.ref)
      const texts = out.get(k) ?? []
      texts.push(e.path === '' ? e.message : `${e.path}: ${e.message}`)
      out.set(k, texts)
    }
    return out
  }
  const problems = byObject(result.allErrors)
  const warnings = byObject(result.objectWarnings ?? [])
  const kept = new Set(result.keptPrevious)
  return objects.map((object) => {
    const k = refKeyOf(object)
    const list = problems.get(k)
    if (list === undefined) {
      // Served, so Ready; what is not served as written is said in the message.
      const warned = warnings.get(k)
      return {
        object,
        desired: {
          status: 'True',
          reason: 'Accepted',
          message:
            warned === undefined
              ? 'valid and served'
              : truncate(`served, with warnings: ${[...new Set(warned)].join('; ')}`),
          observedGeneration: object.generation,
        },
      }
    }
    const servingPrevious = kept.has(k)
    const text =
      [...new Set(list)].join('; ') +
      (servingPrevious ? ' (the last valid version keeps serving)' : '')
    return {
      object,
      desired: {
        status: 'False',
        reason: servingPrevious ? 'InvalidServingPrevious' : 'Invalid',
        message: truncate(text),
        observedGeneration: object.generation,
      },
    }
  })
}

function truncate(s: string): string {
  return s.length <= MAX_MESSAGE_CHARS ? s : `${s.slice(0, MAX_MESSAGE_CHARS - 3)}...`
}

function readyConditionOf(status: unknown): Record<string, unknown> | undefined {
  if (!isRecord(status) || !Array.isArray(status['conditions'])) return undefined
  return (status['conditions'] as unknown[]).find(
    (c): c is Record<string, unknown> => isRecord(c) && c['type'] === 'Ready',
  )
}

/** True when `status` (as stored) already reports `desired`. */
export function statusMatches(status: unknown, desired: ReadyState): boolean {
  const c = readyConditionOf(status)
  if (c === undefined || !isRecord(status)) return false
  return (
    c['status'] === desired.status &&
    c['reason'] === desired.reason &&
    c['message'] === desired.message &&
    c['observedGeneration'] === desired.observedGeneration &&
    status['observedGeneration'] === desired.observedGeneration
  )
}

/**
 * The merge patch for the status subresource. `lastTransitionTime` moves only when the condition's
 * status flips (metav1.Condition semantics).
 */
export function readyStatusPatch(
  current: unknown,
  desired: ReadyState,
  nowMs: number,
): { status: { observedGeneration?: number; conditions: Condition[] } } {
  const prev = readyConditionOf(current)
  const lastTransitionTime =
    prev !== undefined &&
    prev['status'] === desired.status &&
    typeof prev['lastTransitionTime'] === 'string'
      ? prev['lastTransitionTime']
      : new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  const condition: Condition = {
    type: 'Ready',
    status: desired.status,
    ...(desired.observedGeneration === undefined
      ? {}
      : { observedGeneration: desired.observedGeneration }),
    lastTransitionTime,
    reason: desired.reason,
    message: desired.message,
  }
  return {
    status: {
      ...(desired.observedGeneration === undefined
        ? {}
        : { observedGeneration: desired.observedGeneration }),
      conditions: [condition],
    },
  }
}
