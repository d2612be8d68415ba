import { describe, expect, it } from 'vitest'
import { formatAmzDate, parseAmzDate } from './sigv4-timestamp.js'

describe('SigV4 timestamps (ISO 8601 basic form)', () => {
  it.each([
    ['20150830T123600Z', Date.UTC(2015, 7, 30, 12, 36, 0)],
    ['20240229T235959Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['20261130T000000Z', Date.UTC(2026, 10, 30, 0, 0, 0)],
  ])('parses %s', (text, ms) => {
    expect(parseAmzDate(text)).toBe(ms)
    expect(formatAmzDate(ms)).toBe(text)
  })
  it.each([
    '20151330T123600Z', // month 13
    '20150230T123600Z', // Feb 30
    '20230229T000000Z', // not a leap year
    '20150830T243600Z', // hour 24
    '20150830T126000Z', // minute 60
    '20150830T123660Z', // second 60
    '20150800T123600Z', // day 0
    '20150830T123600', // no Z
    '2015-08-30T12:36:00Z', // extended form
  ])('rejects %s (no silent roll-over)', (text) => {
    expect(parseAmzDate(text)).toBeUndefined()
  })
  it('formats seconds precision, dropping milliseconds', () => {
    expect(formatAmzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 999))).toBe('20150830T123600Z')
  })
})
