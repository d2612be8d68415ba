/**
 * Quota periods in UTC: where the period that contains an instant starts and ends. `offset` is the
 * day a period starts (WEEK: 0 = Sunday; MONTH: 0 = the 1st), as API Gateway's QuotaSettings reads
 * it; DAY periods always start at midnight UTC.
 *
 * @module
 */
import type { QuotaPeriod } from '../api/v1alpha1/usage-plan.js'

const DAY_MS = 86_400_000

/** Start (inclusive) of the period containing `nowMs`, in ms since the epoch. */
export function periodStart(period: QuotaPeriod, offset: number, nowMs: number): number {
  const midnight = Math.floor(nowMs / DAY_MS) * DAY_MS
  switch (period) {
    case 'DAY':
      return midnight
    case 'WEEK': {
      const weekday = new Date(midnight).getUTCDay()
      return midnight - ((((weekday - offset) % 7) + 7) % 7) * DAY_MS
    }
    case 'MONTH': {
      const d = new Date(midnight)
      const firstDay = offset + 1
      const year = d.getUTCFullYear()
      const month = d.getUTCMonth()
      // offset <= 27, so the start day exists in every month (February included).
      return d.getUTCDate() >= firstDay
        ? Date.UTC(year, month, firstDay)
        : Date.UTC(year, month - 1, firstDay)
    }
  }
}

/** End (exclusive) of the period that starts at `start`. */
export function periodEnd(period: QuotaPeriod, offset: number, start: number): number {
  switch (period) {
    case 'DAY':
      return start + DAY_MS
    case 'WEEK':
      return start + 7 * DAY_MS
    case 'MONTH': {
      const d = new Date(start)
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, offset + 1)
    }
  }
}
