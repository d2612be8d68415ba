import { describe, expect, it } from 'vitest'
import type { DecisionCode } from '../api/decision-codes.js'
import { Metrics } from './metrics.js'

describe('Metrics', () => {
  it('uses its own registry: two instances do not share series', async () => {
    const a = new Metrics({ defaultMetrics: false })
    const b = new Metrics({ defaultMetrics: false })
    a.observeCheck({ allowed: true, code: 'ALLOW_IAM', api: 'ns/api' }, 0.001)
    expect(await a.render()).toContain(
      'portcullis_check_requests_total{api="ns/api",decision="allow",code="ALLOW_IAM",enforcement="enforce"} 1',
    )
    expect(await b.render()).not.toContain('ALLOW_IAM')
  })

  it('clamps unbounded label values to fixed words', async () => {
    const m = new Metrics({ defaultMetrics: false })
    m.observeCheck(
      { allowed: false, code: 'arn:aws:iam::1:user/alice' as DecisionCode, api: '/prod/pets/42' },
      0.001,
    )
    m.authorizerCall('Bearer eyJ...', 'Unauthorized because token xyz', 0.1)
    m.jwksFetch('https://issuer.example:8443/pool/.well-known/jwks.json?x=1', 'jwks', 'HTTP 500')
    m.jwksFetch('file:///etc/passwd', 'discovery', 'success')
    // The cluster issuer's keys come through the API server: a fixed label, not `invalid`.
    m.jwksFetch('kubernetes-apiserver:/openid/v1/jwks', 'jwks', 'success')
    m.setConfigObjects('Rest Api!', 1)
    // A code-shaped string that is not a listed code is no label value either.
    m.observeCheck({ allowed: false, code: 'ERR_MADE_UP' as DecisionCode, api: 'ns/api' }, 0.001)
    const text = await m.render()
    expect(text).toContain('api="invalid",decision="deny",code="OTHER",enforcement="enforce"')
    expect(text).toContain('api="ns/api",decision="deny",code="OTHER",enforcement="enforce"')
    expect(text).not.toContain('ERR_MADE_UP')
    expect(text).toContain('authorizer="invalid",outcome="other"')
    // The host only: never the path or query of the document URL.
    expect(text).toContain(
      'portcullis_jwks_fetches_total{host="issuer.example:8443",document="jwks",outcome="other"} 1',
    )
    expect(text).toContain(
      'portcullis_jwks_fetches_total{host="invalid",document="discovery",outcome="success"} 1',
    )
    expect(text).toContain(
      'portcullis_jwks_fetches_total{host="kubernetes-apiserver",document="jwks",outcome="success"} 1',
    )
    expect(text).toContain('portcullis_config_objects{kind="Other"} 1')
    expect(text).not.toMatch(/alice|eyJ|well-known|passwd|\/prod/)
  })

  it('drops prom-client gauges named *_total (promtool rejects them) but keeps process metrics', async () => {
    const text = await new Metrics().render()
    expect(text).toContain('process_cpu_seconds_total')
    expect(text).toContain('nodejs_active_handles ')
    expect(text).not.toContain('nodejs_active_handles_total')
    expect(text).not.toContain('nodejs_active_requests_total')
    expect(text).not.toContain('nodejs_active_resources_total')
  })

  it('portcullis_config_objects_not_ready replaces its counts: a kind fixed since reads 0, bad kinds share Other', async () => {
    const m = new Metrics({ defaultMetrics: false })
    m.setConfigObjectsNotReady({ RestApi: 2, Policy: 1 })
    m.setConfigObjectsNotReady({ RestApi: 0, Policy: 1, 'Bad Kind': 1, 'Worse!': 2 })
    const text = await m.render()
    expect(text).toContain('portcullis_config_objects_not_ready{kind="RestApi"} 0')
    expect(text).toContain('portcullis_config_objects_not_ready{kind="Policy"} 1')
    expect(text).toContain('portcullis_config_objects_not_ready{kind="Other"} 3')
  })

  it('portcullis_leader is absent until a leader source is attached, then follows it at each scrape', async () => {
    const m = new Metrics({ defaultMetrics: false })
    expect(await m.render()).not.toMatch(/^portcullis_leader /m)
    let leader = true
    m.watchLeader(() => leader)
    expect(await m.render()).toMatch(/^portcullis_leader 1$/m)
    leader = false
    expect(await m.render()).toMatch(/^portcullis_leader 0$/m)
  })

  it('exports both config reload series at 0 from the start, so the first failure is an increase', async () => {
    const m = new Metrics({ defaultMetrics: false })
    const text = await m.render()
    expect(text).toContain('portcullis_config_reloads_total{result="success"} 0')
    expect(text).toContain('portcullis_config_reloads_total{result="failure"} 0')
  })
})
