import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger, kindCounts, redactUrl, REDACTED } from './logger.js'

function capture(level: 'info' | 'debug' = 'info', redactKeys?: string[]) {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>)
      cb()
    },
  })
  const logger = createLogger({ level, destination, ...(redactKeys ? { redactKeys } : {}) })
  return { logger, lines }
}

describe('redactUrl', () => {
  const rows: [string, string][] = [
    [
      'https://h/p?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=abcdef&x=1',
      `https://h/p?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&x=1`,
    ],
    ['/p?x-amz-signature=abc#f', `/p?x-amz-signature=${REDACTED}#f`],
    ['X-Amz-Security-Token=tok&a=b', `X-Amz-Security-Token=${REDACTED}&a=b`],
    ['/p?X%2DAmz-Signature=abc', `/p?X%2DAmz-Signature=${REDACTED}`],
    ['/p?a=1&b=2', '/p?a=1&b=2'],
    ['/plain/path', '/plain/path'],
  ]
  for (const [input, expected] of rows) {
    it(`${input} → ${expected}`, () => {
      expect(redactUrl(input)).toBe(expected)
    })
  }
})

describe('createLogger redaction', () => {
  it('redacts credential headers in plain objects and in Maps, at any depth', () => {
    const { logger, lines } = capture()
    logger.info(
      {
        req: {
          headers: new Map([
            ['authorization', 'AWS4-HMAC-SHA256 Signature=deadbeef'],
            ['cookie', 'session=1'],
            ['x-api-key', 'k'],
            ['x-amz-security-token', 'FwoG'],
            ['proxy-authorization', 'Basic x'],
            ['accept', 'text/html'],
          ]),
        },
        nested: { deeper: { clientSecret: 's', id_token: 't', accessKeyId: 'AKIA' } },
      },
      'hello',
    )
    const line = JSON.stringify(lines[0])
    for (const secret of ['deadbeef', 'session=1', '"k"', 'FwoG', 'Basic x', '"s"', '"t"']) {
      expect(line).not.toContain(secret)
    }
    const headers = (lines[0]!.req as { headers: Record<string, string> }).headers
    expect(headers.accept).toBe('text/html')
    expect(headers.authorization).toBe(REDACTED)
    expect((lines[0]!.nested as { deeper: Record<string, string> }).deeper.accessKeyId).toBe('AKIA')
  })

  it('scrubs presigned-URL signatures from url/path/query fields', () => {
    const { logger, lines } = capture()
    logger.info({ url: '/p?X-Amz-Signature=abc', rawQuery: 'X-Amz-Credential=AKIA%2Fx' }, 'u')
    expect(lines[0]!.url).toBe(`/p?X-Amz-Signature=${REDACTED}`)
    expect(lines[0]!.rawQuery).toBe(`X-Amz-Credential=${REDACTED}`)
  })

  it('redacts extra keys given by configuration, and respects the level', () => {
    const { logger, lines } = capture('info', ['X-Internal-Auth'])
    logger.debug({ a: 1 }, 'hidden')
    logger.warn({ headers: { 'x-internal-auth': 'zzz' } }, 'w')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.level).toBe('warn')
    expect((lines[0]!.headers as Record<string, string>)['x-internal-auth']).toBe(REDACTED)
  })

  it('logs errors with message and stack but redacts secret fields attached to them', () => {
    const { logger, lines } = capture()
    const err = Object.assign(new Error('boom'), { token: 'abc' })
    logger.error({ err }, 'failed')
    const e = lines[0]!.err as Record<string, string>
    expect(e.message).toBe('boom')
    expect(e.stack).toContain('boom')
    expect(e.token).toBe(REDACTED)
  })

  it('shows per-kind object counts, ApiKey and Secret included, through kindCounts()', () => {
    const { logger, lines } = capture()
    logger.info({ objects: kindCounts({ RestApi: 2, ApiKey: 3, Secret: 1, Service: 0 }) }, 'loaded')
    expect(lines[0]!.objects).toEqual({ RestApi: 2, ApiKey: 3, Secret: 1, Service: 0 })
  })

  it('kindCounts() exempts only known kind names with count values: anything else is redacted as usual', () => {
    const { logger, lines } = capture()
    logger.info(
      {
        objects: kindCounts({
          Secret: 'hunter2', // a kind name, but not a count
          ApiKey: { value: 'k' }, // a kind name, but an object
          clientSecret: 7, // a count, but not a kind name
          apiKeyValue: 'k2',
          RestApi: -1, // not a count
          Policy: 1.5,
        }),
      },
      'loaded',
    )
    expect(lines[0]!.objects).toEqual({
      Secret: REDACTED,
      ApiKey: REDACTED,
      clientSecret: REDACTED,
      apiKeyValue: REDACTED,
      RestApi: -1,
      Policy: 1.5,
    })
    // Without the marker the same keys stay redacted: the exemption is opt-in.
    logger.info({ objects: { ApiKey: 3, Secret: 1 } }, 'plain')
    expect(lines[1]!.objects).toEqual({ ApiKey: REDACTED, Secret: REDACTED })
  })
})
