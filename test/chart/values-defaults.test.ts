// The chart's values.yaml repeats the binary's defaults so that `helm show values` documents them.
// YAML cannot import a TypeScript constant, so this test is what keeps each value declared once in
// effect: the chart must say what the binary does when the flag is absent.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DEFAULT_TOKEN_CACHE_MAX } from '../../src/authn/jwt/jwt-verifier.js'
import { LAMBDA_AUTHORIZER_DEFAULTS } from '../../src/authn/lambda/lambda-authorizer-config.js'
import { DEFAULTS } from '../../src/cli/options.js'
import { DEFAULT_TRUST_DOMAIN } from '../../src/compile/peer-identity.js'

const values = parse(
  readFileSync(
    join(resolve(import.meta.dirname, '..', '..'), 'charts/portcullis/values.yaml'),
    'utf8',
  ),
) as {
  extAuthz: { grpcPort: number; httpPort: number }
  admin: { port: number }
  logLevel: string
  trustDomains: string[]
  cache: { maxEntries: number; tokenMaxEntries: number }
}

describe('chart values.yaml defaults are the binary defaults', () => {
  it('ports, log level, trust domains and cache bounds', () => {
    expect(values.extAuthz.grpcPort).toBe(DEFAULTS.grpcPort)
    expect(values.extAuthz.httpPort).toBe(DEFAULTS.httpPort)
    expect(values.admin.port).toBe(DEFAULTS.metricsPort)
    expect(values.logLevel).toBe(DEFAULTS.logLevel)
    expect(values.trustDomains).toEqual([DEFAULT_TRUST_DOMAIN])
    expect(values.cache.maxEntries).toBe(LAMBDA_AUTHORIZER_DEFAULTS.cacheMaxEntries)
    expect(values.cache.tokenMaxEntries).toBe(DEFAULT_TOKEN_CACHE_MAX)
  })
})
