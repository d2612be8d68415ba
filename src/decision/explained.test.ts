import { describe, expect, it } from 'vitest'
import type { DenyOutcome } from './check-outcome.js'
import { denyFixed } from './deny-response.js'
import { explained } from './explained.js'

const s = (id: string) => ({ policy: id, sid: id, index: 0, effect: 'Allow' as const })
const base = (): DenyOutcome =>
  denyFixed('no_route', 'ERR_NO_ROUTE', { api: undefined, metadata: {} })

describe('explained', () => {
  it('disabled: the outcome itself, and lazy notes are never built', () => {
    const o = base()
    let built = false
    expect(
      explained(false, o, () => {
        built = true
        return ['x']
      }),
    ).toBe(o)
    expect(built).toBe(false)
  })

  it("a flow's notes go after what the outcome carries; the decider's common notes go before", () => {
    const flow = explained(true, base(), ['flow 1'], [s('f1')])
    const more = explained(true, flow, () => ['flow 2'], [s('f2')])
    expect(more.explain?.notes).toEqual(['flow 1', 'flow 2'])
    expect(more.explain?.statements.map((x) => x.sid)).toEqual(['f1', 'f2'])
    const whole = explained(true, more, ['api', 'route'], [s('gate')], 'before')
    expect(whole.explain?.notes).toEqual(['api', 'route', 'flow 1', 'flow 2'])
    expect(whole.explain?.statements.map((x) => x.sid)).toEqual(['gate', 'f1', 'f2'])
    // The outcome itself is untouched: explanations are copies.
    expect(more.explain?.notes).toEqual(['flow 1', 'flow 2'])
  })
})
