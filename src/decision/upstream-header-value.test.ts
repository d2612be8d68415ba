import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeUpstreamHeaderValue,
  encodeUpstreamHeaderValue,
  isPlainHeaderValue,
} from './upstream-header-value.js'

/** What node's HTTP server and Envoy accept as a header value we send: visible ASCII and space. */
const SENDABLE = /^[\x20-\x7e]*$/

describe('encodeUpstreamHeaderValue', () => {
  it('sends visible ASCII with inner spaces as it is, `%` included', () => {
    for (const v of ['alice', 'arn:aws:iam::1:user/a', 'a b', '100%', '%41', '', "O'Brien"]) {
      expect(encodeUpstreamHeaderValue(v)).toBe(v)
    }
  })

  it('encodes non-Latin, Latin-1, emoji, control characters, tab and edge spaces as UTF-8 percent-escapes', () => {
    expect(encodeUpstreamHeaderValue('Łukasz')).toBe("UTF-8''%C5%81ukasz")
    expect(encodeUpstreamHeaderValue('张伟')).toBe("UTF-8''%E5%BC%A0%E4%BC%9F")
    expect(encodeUpstreamHeaderValue('🦊')).toBe("UTF-8''%F0%9F%A6%8A")
    expect(encodeUpstreamHeaderValue('José')).toBe("UTF-8''Jos%C3%A9")
    expect(encodeUpstreamHeaderValue('a\r\nb')).toBe("UTF-8''a%0D%0Ab")
    expect(encodeUpstreamHeaderValue('a\tb')).toBe("UTF-8''a%09b")
    expect(encodeUpstreamHeaderValue(' a')).toBe("UTF-8''%20a")
    expect(encodeUpstreamHeaderValue('a ')).toBe("UTF-8''a%20")
  })

  it('encodes a plain value that begins with the prefix (any case), so it cannot pose as an encoded one', () => {
    expect(encodeUpstreamHeaderValue("UTF-8''%41dmin")).toBe("UTF-8''UTF-8%27%27%2541dmin")
    expect(encodeUpstreamHeaderValue("utf-8''admin")).toBe("UTF-8''utf-8%27%27admin")
    expect(encodeUpstreamHeaderValue("utf-8'en'x")).toBe("UTF-8''utf-8%27en%27x")
    expect(decodeUpstreamHeaderValue(encodeUpstreamHeaderValue("UTF-8''%41dmin"))).toBe(
      "UTF-8''%41dmin",
    )
  })

  it('round-trips any string of well-formed UTF-16, always to a sendable value; a plain value never has the prefix (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
          fc.constantFrom("UTF-8''", "utf-8''%41", ' x', '%', "UTF-8'"),
        ),
        (v) => {
          const sent = encodeUpstreamHeaderValue(v)
          expect(sent).toMatch(SENDABLE)
          expect(decodeUpstreamHeaderValue(sent)).toBe(v)
          if (isPlainHeaderValue(v)) expect(sent.toLowerCase().startsWith("utf-8'")).toBe(false)
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('sends an unpaired surrogate as U+FFFD (the only loss), never a crash', () => {
    expect(decodeUpstreamHeaderValue(encodeUpstreamHeaderValue('a\ud800'))).toBe('a\ufffd')
  })
})
