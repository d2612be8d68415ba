/**
 * `portcullis check` (in process) on the quick start's apiKeyRequired method: 403 without a key,
 * allowed with the example key, the key id upstream, and the usage read-out in `--json` — never
 * the key value.
 */
import { describe, expect, it } from 'vitest'
import { checkCommand } from '../../src/cli/check.js'

const KEY = 'PartnerAExampleKey0000000000001'
const BASE = [
  '--config',
  'examples/quickstart',
  '--method',
  'POST',
  '--url',
  'http://petstore.example.com/pets',
]

async function check(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await checkCommand(
    args,
    (s) => (out += s),
    (s) => (err += s),
  )
  return { code, out, err }
}

describe('portcullis check on an apiKeyRequired method', () => {
  it('denies without a key: 403 Forbidden, ForbiddenException, exit 1', async () => {
    const r = await check([...BASE, '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out)).toMatchObject({
      decision: 'deny',
      code: 'ERR_API_KEY_MISSING',
      httpStatus: 403,
      headers: { 'x-amzn-errortype': 'ForbiddenException' },
      body: '{"message":"Forbidden"}',
    })
  })

  it('allows with the key and prints the usage read-out of its plan, by key id only', async () => {
    const r = await check([...BASE, '-H', `x-api-key: ${KEY}`, '--json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.out) as Record<string, unknown>
    expect(json).toMatchObject({
      decision: 'allow',
      upstreamHeaders: { 'x-portcullis-api-key-id': 'shop/partner-a' },
      usage: {
        plan: 'shop/gold',
        key: 'shop/partner-a',
        customerId: 'acme',
        used: 1,
        remaining: 999,
        period: 'DAY',
      },
    })
    expect(r.out).not.toContain(KEY)
  })

  it('explains a wrong key without echoing it', async () => {
    const wrong = 'NotTheKeyNotTheKeyNotTheKey0001'
    const r = await check([...BASE, '-H', `x-api-key: ${wrong}`])
    expect(r.code).toBe(1)
    expect(r.out).toContain('DENY 403 (ERR_API_KEY_INVALID)')
    expect(r.out).toContain('API key (x-api-key): not a known key')
    expect(r.out).not.toContain(wrong)
  })
})
