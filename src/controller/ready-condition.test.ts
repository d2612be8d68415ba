/**
 * Ready conditions: which objects are Ready, what the message says, when a write is needed, and that
 * lastTransitionTime only moves when the status flips.
 */
import { describe, expect, it } from 'vitest'
import type { CustomObjectView } from '../sources/kubernetes-source.js'
import {
  MAX_MESSAGE_CHARS,
  desiredReadyStates,
  readyStatusPatch,
  statusMatches,
} from './ready-condition.js'

const obj = (name: string, generation = 2, status?: unknown): CustomObjectView => ({
  kind: 'RestApi',
  plural: 'restapis',
  namespace: 'shop',
  name,
  generation,
  status,
})
const ref = (name: string) => ({ kind: 'RestApi', namespace: 'shop', name })

describe('desiredReadyStates', () => {
  it('Ready=True/Accepted without errors; Ready=False/Invalid with every `path: problem` of that object', () => {
    const [ok, bad] = desiredReadyStates([obj('ok'), obj('bad', 5)], {
      allErrors: [
        {
          file: 'kubernetes',
          ref: ref('bad'),
          path: 'spec.routes[0].authorizerName',
          message: 'Authorizer shop/x not found',
        },
        { file: 'kubernetes', ref: ref('bad'), path: '', message: 'duplicate object' },
        { file: 'kubernetes', ref: ref('bad'), path: '', message: 'duplicate object' },
        { file: 'kubernetes', ref: undefined, path: '', message: 'unrelated' },
      ],
      keptPrevious: [],
    })
    expect(ok?.desired).toEqual({
      status: 'True',
      reason: 'Accepted',
      message: 'valid and served',
      observedGeneration: 2,
    })
    expect(bad?.desired).toEqual({
      status: 'False',
      reason: 'Invalid',
      message: 'spec.routes[0].authorizerName: Authorizer shop/x not found; duplicate object',
      observedGeneration: 5,
    })
  })

  it('a served object with warnings stays Ready=True/Accepted and its message lists them; errors win over warnings', () => {
    const warning = {
      file: 'kubernetes',
      path: 'spec.apiKeys[1]',
      message: 'ApiKey shop/k not found',
    }
    const [warned, both] = desiredReadyStates([obj('warned'), obj('both')], {
      allErrors: [{ file: 'kubernetes', ref: ref('both'), path: 'spec.x', message: 'bad' }],
      keptPrevious: [],
      objectWarnings: [
        { ...warning, ref: ref('warned') },
        { ...warning, ref: ref('both') },
      ],
    })
    expect(warned?.desired).toEqual({
      status: 'True',
      reason: 'Accepted',
      message: 'served, with warnings: spec.apiKeys[1]: ApiKey shop/k not found',
      observedGeneration: 2,
    })
    expect(both?.desired).toMatchObject({ status: 'False', message: 'spec.x: bad' })
  })

  it('says when the last valid version keeps serving', () => {
    const [t] = desiredReadyStates([obj('a')], {
      allErrors: [{ file: 'kubernetes', ref: ref('a'), path: 'spec.x', message: 'bad' }],
      keptPrevious: ['RestApi/shop/a'],
    })
    expect(t?.desired.reason).toBe('InvalidServingPrevious')
    expect(t?.desired.message).toBe('spec.x: bad (the last valid version keeps serving)')
  })

  it('caps long messages', () => {
    const [t] = desiredReadyStates([obj('a')], {
      allErrors: Array.from({ length: 200 }, (_, i) => ({
        file: 'k',
        ref: ref('a'),
        path: `spec.routes[${i}].path`,
        message: 'is not a valid API Gateway resource path',
      })),
      keptPrevious: [],
    })
    expect(t?.desired.message.length).toBe(MAX_MESSAGE_CHARS)
    expect(t?.desired.message.endsWith('...')).toBe(true)
  })
})

describe('statusMatches / readyStatusPatch', () => {
  const desired = {
    status: 'False',
    reason: 'Invalid',
    message: 'spec.x: bad',
    observedGeneration: 3,
  } as const

  it('a status written from the patch matches; any difference (generation, message, reason) does not', () => {
    const patch = readyStatusPatch(undefined, desired, Date.parse('2030-01-02T03:04:05.678Z'))
    expect(patch).toEqual({
      status: {
        observedGeneration: 3,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            observedGeneration: 3,
            lastTransitionTime: '2030-01-02T03:04:05Z',
            reason: 'Invalid',
            message: 'spec.x: bad',
          },
        ],
      },
    })
    expect(statusMatches(patch.status, desired)).toBe(true)
    expect(statusMatches(patch.status, { ...desired, observedGeneration: 4 })).toBe(false)
    expect(statusMatches(patch.status, { ...desired, message: 'other' })).toBe(false)
    expect(statusMatches(patch.status, { ...desired, reason: 'InvalidServingPrevious' })).toBe(
      false,
    )
    expect(statusMatches(undefined, desired)).toBe(false)
    expect(statusMatches({ conditions: 'nope' }, desired)).toBe(false)
  })

  it('keeps lastTransitionTime while the status stays, moves it when the status flips', () => {
    const first = readyStatusPatch(undefined, desired, Date.parse('2030-01-01T00:00:00Z'))
    const sameStatus = readyStatusPatch(
      first.status,
      { ...desired, message: 'spec.y: worse' },
      Date.parse('2031-01-01T00:00:00Z'),
    )
    expect(sameStatus.status.conditions[0]?.lastTransitionTime).toBe('2030-01-01T00:00:00Z')
    const flipped = readyStatusPatch(
      first.status,
      { status: 'True', reason: 'Accepted', message: 'valid and served', observedGeneration: 4 },
      Date.parse('2031-01-01T00:00:00Z'),
    )
    expect(flipped.status.conditions[0]?.lastTransitionTime).toBe('2031-01-01T00:00:00Z')
  })
})
