/**
 * End to end behind a REAL nginx (Debian's package): the deploy/nginx/ snippets, included verbatim,
 * put `auth_request` in front of a loopback upstream and send every request to the real Portcullis
 * app (quick-start configuration, HTTP auth port, `--trust-forwarded-from 127.0.0.1`). Proves, at
 * the client and at the upstream: NONE and resource-policy routes, AWS_IAM signed by
 * `curl --aws-sigv4` against nginx itself (the Host and URI nginx forwards are the ones curl
 * signed), CUSTOM allow / deny / Unauthorized / authorizer failure via a real loopback authorizer,
 * AWS's status, body and x-amzn-errortype for every denial (400/401/403/500 included, which bare
 * auth_request would turn into an empty 500), x-portcullis-* upstream headers only from Portcullis
 * (client-forged copies never reach the upstream), JWT (quick start `/me`) against a real loopback
 * OIDC issuer, the client-address trust boundary, and dry-run: the would-be denial reaches the
 * upstream in x-portcullis-dry-run (a forged copy never does) and the decision log written to a
 * file (`--decision-log FILE`) has its line. nginx or curl missing = FAIL, never skip.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startApp, type RunningApp } from '../../src/app/app.js'
import { LoopbackIssuer, petstoreAccessClaims } from '../helpers/jwt-loopback-issuer.js'
import { startAuthorizerPeer, type AuthorizerPeer } from '../helpers/lambda-authorizer-peer.js'
import {
  httpRequest,
  startRecordingUpstream,
  type HttpAnswer,
  type RecordingUpstream,
} from '../helpers/loopback-http.js'
import { freePort, startNginx, type RunningNginx } from '../helpers/nginx.js'
import { loopbackAppOptions } from '../helpers/portcullis-app.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DEPLOY = join(ROOT, 'deploy/nginx')
const QUICKSTART = join(ROOT, 'examples/quickstart')
const CURL = '/usr/bin/curl'
const HOST = 'petstore.example.com'
const ACCESS_KEY = 'AKIAALICEEXAMPLE0001'
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const ALICE = 'arn:aws:iam::111122223333:user/alice'
const ROLLOUT_HOST = 'rollout.example.com'
/** One API, three routes: an allowed one, a denied one in DryRun, the same denial enforced. */
const ROLLOUT_API = `apiVersion: portcullis.dev/v1alpha1
kind: RestApi
metadata: {name: rollout, namespace: shop}
spec:
  hosts: [${ROLLOUT_HOST}]
  decisionLog: {enabled: true}
  policy:
    Version: "2012-10-17"
    Statement:
      - {Sid: OpenOnly, Effect: Allow, Principal: "*", Action: execute-api:Invoke,
         Resource: execute-api:/*/GET/open}
  routes:
    - {path: /open, methods: [GET], authorizationType: NONE}
    - {path: /trial, methods: [GET], authorizationType: NONE, enforcement: DryRun}
    - {path: /enforced, methods: [GET], authorizationType: NONE}
`

let configDir: string
let logDir: string
let decisionLogFile: string
let app: RunningApp
let authorizer: AuthorizerPeer
const oidc = new LoopbackIssuer({ pathPrefix: '/oidc', discovery: true })
let upstream: RecordingUpstream
let nginx: RunningNginx
let nginxDown: RunningNginx | undefined
/** The deploy/nginx server; the same behind a trusted load balancer (realip); Portcullis down. */
let port: number
let realIpPort: number

/** The test's http{} block: deploy/nginx/*.conf included as written, our upstream addresses. */
function httpBlock(portcullisPort: number, upstreamPort: number) {
  return (ports: readonly number[]) => `
  include ${DEPLOY}/portcullis-maps.conf;
  upstream portcullis { server 127.0.0.1:${portcullisPort}; keepalive 4; }
  upstream app { server 127.0.0.1:${upstreamPort}; }
  server {
    listen 127.0.0.1:${ports[0]};
    include ${DEPLOY}/portcullis-locations.conf;
    location / {
      include ${DEPLOY}/portcullis-protect.conf;
      auth_request_set $portcullis_context_team $upstream_http_x_portcullis_context_team;
      proxy_set_header X-Portcullis-Context-Team $portcullis_context_team;
      proxy_set_header Host $http_host;
      proxy_pass http://app;
    }
  }
  ${
    ports[1] === undefined
      ? ''
      : `server {
    # nginx behind a load balancer it trusts (loopback here): the client address comes from
    # X-Forwarded-For, and nginx passes it on to Portcullis, which trusts nginx.
    listen 127.0.0.1:${ports[1]};
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    include ${DEPLOY}/portcullis-locations.conf;
    location / {
      include ${DEPLOY}/portcullis-protect.conf;
      proxy_pass http://app;
    }
  }`
  }
`
}

function send(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; port?: number } = {},
): Promise<HttpAnswer> {
  return httpRequest({
    port: opts.port ?? port,
    path,
    headers: { host: HOST, ...opts.headers },
    ...(opts.method === undefined ? {} : { method: opts.method }),
    ...(opts.body === undefined ? {} : { body: opts.body }),
  })
}

/** curl against nginx itself, Host = petstore.example.com:<port> (what curl signs). */
function curl(args: readonly string[], path: string): Promise<HttpAnswer> {
  const url = `http://${HOST}:${port}${path}`
  return new Promise((resolvePromise, reject) => {
    execFile(
      CURL,
      ['-s', '-i', '--resolve', `${HOST}:${port}:127.0.0.1`, ...args, url],
      { timeout: 15_000 },
      (err, stdout) => {
        if (err) {
          reject(new Error(`curl failed: ${err.message}`))
          return
        }
        const split = stdout.indexOf('\r\n\r\n')
        const head = stdout.slice(0, split).split('\r\n')
        const status = Number(head[0]?.split(' ')[1])
        const headers: IncomingHttpHeaders = {}
        for (const line of head.slice(1)) {
          const i = line.indexOf(':')
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
        }
        resolvePromise({ status, headers, body: stdout.slice(split + 4) })
      },
    )
  })
}

const sigv4 = (secret = SECRET) => [
  '--aws-sigv4',
  'aws:amz:us-east-1:execute-api',
  '--user',
  `${ACCESS_KEY}:${secret}`,
]

/** The denial as the client sees it: status, AWS JSON body, x-amzn-errortype, JSON type. */
function expectDenial(r: HttpAnswer, status: number, body: unknown, errorType: string): void {
  expect({ status: r.status, body: JSON.parse(r.body) as unknown }).toEqual({ status, body })
  expect(r.headers['x-amzn-errortype']).toBe(errorType)
  expect(r.headers['content-type']).toBe('application/json')
  expect(upstream.seen).toHaveLength(0)
}

function allowPolicy(event: Record<string, unknown>, effect: 'Allow' | 'Deny') {
  return {
    principalId: 'user-123',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event['methodArn'] }],
    },
    context: { team: 'pets' },
  }
}

beforeAll(async () => {
  if (!existsSync(CURL))
    throw new Error(`${CURL} missing (scripts/ensure-tools.sh) — must not skip`)
  authorizer = await startAuthorizerPeer((event) => {
    const token = String(event['authorizationToken'])
    if (token.startsWith('Bearer allow')) return { body: allowPolicy(event, 'Allow') }
    if (token.startsWith('Bearer deny')) return { body: allowPolicy(event, 'Deny') }
    if (token.startsWith('Bearer broken')) return { status: 500, body: { oops: true } }
    return { status: 401, body: { message: 'Unauthorized' } }
  })
  configDir = await mkdtemp(join(tmpdir(), 'portcullis-e2e-nginx-'))
  await cp(QUICKSTART, configDir, { recursive: true })
  const identities = join(configDir, 'identities.yaml')
  const text = await readFile(identities, 'utf8')
  if (!text.includes('http://127.0.0.1:9101/')) throw new Error('quick start authorizerUri moved')
  await oidc.start()
  await oidc.addKey('RS256', 'k1')
  if (!text.includes('issuer: "http://127.0.0.1:9102"')) throw new Error('quick start issuer moved')
  await writeFile(
    identities,
    text
      .replace('http://127.0.0.1:9101/', authorizer.url)
      .replace('issuer: "http://127.0.0.1:9102"', `issuer: "${oidc.issuer}"`),
  )
  await writeFile(join(configDir, 'rollout.yaml'), ROLLOUT_API)
  logDir = await mkdtemp(join(tmpdir(), 'portcullis-e2e-nginx-log-'))
  decisionLogFile = join(logDir, 'decisions.log')
  app = await startApp({
    ...loopbackAppOptions(),
    configDir,
    // A path, as `serve --decision-log FILE` passes it: the app opens the file itself.
    decisionLog: decisionLogFile,
    // nginx runs on loopback: its X-Forwarded-For is believed, nobody else's.
    trustForwardedFrom: ['127.0.0.1'],
  })
  upstream = await startRecordingUpstream()
  nginx = await startNginx({ portCount: 2, httpBlock: httpBlock(app.httpPort, upstream.port) })
  ;[port, realIpPort] = nginx.ports as [number, number]
}, 60_000)

afterAll(async () => {
  await Promise.allSettled([nginx?.stop(), nginxDown?.stop()])
  await upstream?.close()
  await app?.close()
  await authorizer?.close()
  await oidc.stop()
  if (configDir) await rm(configDir, { recursive: true, force: true })
  if (logDir) await rm(logDir, { recursive: true, force: true })
})

beforeEach(() => {
  upstream?.reset()
})

describe('nginx auth_request → Portcullis: NONE routes and the resource policy', () => {
  it('NONE route allowed: the upstream is reached with the original method, URI and host', async () => {
    const r = await send('/pets/42?limit=5')
    expect(r.status).toBe(200)
    expect(r.body).toBe('upstream-ok')
    expect(upstream.seen).toHaveLength(1)
    expect(upstream.seen[0]).toMatchObject({ method: 'GET', url: '/pets/42?limit=5' })
    expect(upstream.seen[0]!.headers.host).toBe(HOST)
  })

  it('a client-forged x-portcullis-principal / -context-team never reaches the upstream', async () => {
    const r = await send('/pets', {
      headers: { 'x-portcullis-principal': 'forged', 'x-portcullis-context-team': 'forged' },
    })
    expect(r.status).toBe(200)
    expect(upstream.seen[0]!.headers['x-portcullis-principal']).toBeUndefined()
    expect(upstream.seen[0]!.headers['x-portcullis-context-team']).toBeUndefined()
  })

  it('a client-forged x_portcullis_principal (read as X-Portcullis-Principal by CGI, WSGI, PHP) never reaches the upstream: the example keeps nginx dropping underscore names', async () => {
    const r = await send('/pets', {
      headers: { x_portcullis_principal: 'forged', x_portcullis_context_team: 'forged' },
    })
    expect(r.status).toBe(200)
    const names = Object.keys(upstream.seen[0]!.headers)
    expect(names.filter((n) => n.replace(/_/g, '-').startsWith('x-portcullis-'))).toEqual([])
  })

  it('resource policy explicit deny (admin from outside 10.0.0.0/8): 403 with AWS body, upstream untouched, a client X-Forwarded-For is not believed', async () => {
    const r = await send('/admin/users', { headers: { 'x-forwarded-for': '10.1.2.3' } })
    expectDenial(
      r,
      403,
      {
        Message:
          'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:petstore/prod/GET/admin/users with an explicit deny',
      },
      'AccessDeniedException',
    )
  })

  it('trust chain made explicit: nginx trusting its load balancer (realip) + Portcullis trusting nginx → office address allowed', async () => {
    const office = await send('/admin/users', {
      port: realIpPort,
      headers: { 'x-forwarded-for': '10.1.2.3' },
    })
    expect(office.status).toBe(200)
    const outside = await send('/admin/users', {
      port: realIpPort,
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    expect(outside.status).toBe(403)
    expect(upstream.seen).toHaveLength(1)
  })

  it('unknown route: 403 Missing Authentication Token', async () => {
    expectDenial(
      await send('/nowhere'),
      403,
      { message: 'Missing Authentication Token' },
      'MissingAuthenticationTokenException',
    )
  })

  it('ambiguous path: 400 Invalid request path (auth_request alone would answer an empty 500)', async () => {
    expectDenial(
      await send('/pets/%2e%2e/admin/x'),
      400,
      { message: 'Invalid request path' },
      'BadRequestException',
    )
  })
})

describe('nginx auth_request → Portcullis: AWS_IAM signed by curl --aws-sigv4 against nginx', () => {
  // The query is in canonical (sorted) order: curl 7.88 (Debian 12) signs the query string as
  // written instead of sorting it, which AWS (and Portcullis) reject; newer curls sort it.
  it('a signed DELETE (query included) is allowed; the upstream gets alice ARN as x-portcullis-principal, not the forged one', async () => {
    const r = await curl(
      [...sigv4(), '-X', 'DELETE', '-H', 'x-portcullis-principal: forged'],
      '/pets/42?a=1&b=2',
    )
    expect(r.status, r.body).toBe(200)
    expect(upstream.seen).toHaveLength(1)
    expect(upstream.seen[0]!.headers['x-portcullis-principal']).toBe(ALICE)
    expect(String(upstream.seen[0]!.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE0001\//,
    )
  })

  it('a PUT with a body signed with x-amz-content-sha256 is allowed (the body itself is not sent to Portcullis)', async () => {
    const body = '{"name":"rex"}'
    const sha = createHash('sha256').update(body).digest('hex')
    const r = await curl(
      [
        ...sigv4(),
        '-X',
        'PUT',
        '-H',
        'content-type: application/json',
        '-H',
        `x-amz-content-sha256: ${sha}`,
        '--data',
        body,
      ],
      '/pets/7',
    )
    expect(r.status, r.body).toBe(200)
    expect(upstream.seen[0]!.headers['x-portcullis-principal']).toBe(ALICE)
  })

  it('a PUT with a body Portcullis cannot see and no x-amz-content-sha256 is refused, never assumed empty', async () => {
    const r = await curl([...sigv4(), '-X', 'PUT', '--data', '{"name":"rex"}'], '/pets/7')
    expect(r.status).toBe(403)
    expect(r.headers['x-amzn-errortype']).toBe('InvalidSignatureException')
    expect(upstream.seen).toHaveLength(0)
  })

  it('the same signature replayed on another path (tampered) is denied: InvalidSignatureException', async () => {
    await curl([...sigv4(), '-X', 'DELETE'], '/pets/42')
    const signed = upstream.seen[0]!.headers
    upstream.reset()
    const r = await send('/pets/43', {
      method: 'DELETE',
      headers: {
        host: `${HOST}:${port}`,
        authorization: String(signed.authorization),
        'x-amz-date': String(signed['x-amz-date']),
      },
    })
    expect(r.status).toBe(403)
    expect(r.headers['x-amzn-errortype']).toBe('InvalidSignatureException')
    expect(JSON.parse(r.body)).toHaveProperty('message')
    expect(upstream.seen).toHaveLength(0)
  })

  it('a wrong secret is denied (signature mismatch), an unsigned DELETE is Missing Authentication Token', async () => {
    const wrong = await curl([...sigv4('not-the-secret'), '-X', 'DELETE'], '/pets/42')
    expect(wrong.status).toBe(403)
    expect(wrong.headers['x-amzn-errortype']).toBe('InvalidSignatureException')
    expectDenial(
      await send('/pets/42', { method: 'DELETE' }),
      403,
      { message: 'Missing Authentication Token' },
      'MissingAuthenticationTokenException',
    )
  })
})

describe('nginx auth_request → Portcullis: CUSTOM (TOKEN authorizer on loopback)', () => {
  it('allow: upstream gets principalId and context.team from Portcullis only', async () => {
    const r = await send('/orders', {
      method: 'POST',
      body: '{"pet":42}',
      headers: {
        authorization: 'Bearer allow-1',
        'content-type': 'application/json',
        'x-portcullis-principal': 'forged',
        'x-portcullis-context-team': 'forged',
      },
    })
    expect(r.status).toBe(200)
    expect(upstream.seen[0]!.headers['x-portcullis-principal']).toBe('user-123')
    expect(upstream.seen[0]!.headers['x-portcullis-context-team']).toBe('pets')
  })

  it('authorizer Deny: 403 "... with an explicit deny"', async () => {
    expectDenial(
      await send('/orders', { headers: { authorization: 'Bearer deny-1' } }),
      403,
      { Message: 'User is not authorized to access this resource with an explicit deny' },
      'AccessDeniedException',
    )
  })

  it('authorizer Unauthorized and a missing token: 401 {"message":"Unauthorized"}', async () => {
    expectDenial(
      await send('/orders', { headers: { authorization: 'Bearer nobody-1' } }),
      401,
      { message: 'Unauthorized' },
      'UnauthorizedException',
    )
    const calls = authorizer.calls
    expectDenial(await send('/orders'), 401, { message: 'Unauthorized' }, 'UnauthorizedException')
    expect(authorizer.calls).toBe(calls)
  })

  it('authorizer failure: 500 {"message":null} AuthorizerConfigurationException (fail closed)', async () => {
    expectDenial(
      await send('/orders', { headers: { authorization: 'Bearer broken-1' } }),
      500,
      { message: null },
      'AuthorizerConfigurationException',
    )
  })
})

describe('nginx auth_request → Portcullis: API key and usage plan (quick start POST /pets)', () => {
  const KEY = 'PartnerAExampleKey0000000000001'

  it('no key or a wrong key: 403 {"message":"Forbidden"} ForbiddenException, upstream untouched', async () => {
    expectDenial(
      await send('/pets', { method: 'POST' }),
      403,
      { message: 'Forbidden' },
      'ForbiddenException',
    )
    expectDenial(
      await send('/pets', {
        method: 'POST',
        headers: { 'x-api-key': 'WrongWrongWrongWrongWrong01' },
      }),
      403,
      { message: 'Forbidden' },
      'ForbiddenException',
    )
  })

  it('the key is allowed; the upstream gets its id from Portcullis, not the client-forged one', async () => {
    const r = await send('/pets', {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'x-portcullis-api-key-id': 'shop/forged' },
    })
    expect(r.status).toBe(200)
    expect(upstream.seen[0]!.headers['x-portcullis-api-key-id']).toBe('shop/partner-a')
  })

  it('past the per-method burst: 429 {"message":"Too Many Requests"} reaches the client', async () => {
    // Burst 10, refill 5/s: a quick series runs the bucket dry well within 40 requests.
    let denied: HttpAnswer | undefined
    for (let i = 0; i < 40 && denied === undefined; i++) {
      const r = await send('/pets', { method: 'POST', headers: { 'x-api-key': KEY } })
      if (r.status !== 200) denied = r
    }
    upstream.reset()
    expect(denied).toBeDefined()
    expectDenial(denied!, 429, { message: 'Too Many Requests' }, 'TooManyRequestsException')
  })
})

describe('nginx auth_request → Portcullis: JWT (quick start /me, real loopback OIDC issuer)', () => {
  const claims = petstoreAccessClaims

  it('a valid token with the route scope is allowed; the upstream gets sub as x-portcullis-principal', async () => {
    const token = await oidc.sign(claims())
    const r = await send('/me', {
      headers: { authorization: `Bearer ${token}`, 'x-portcullis-principal': 'forged' },
    })
    expect(r.status).toBe(200)
    expect(upstream.seen[0]!.headers['x-portcullis-principal']).toBe('svc-1')
  })

  it('a scope mismatch is 403 {"message":"Forbidden"}', async () => {
    const token = await oidc.sign(claims({ scope: 'pets/write' }))
    expectDenial(
      await send('/me', { headers: { authorization: `Bearer ${token}` } }),
      403,
      { message: 'Forbidden' },
      'ForbiddenException',
    )
  })

  it('a wrong audience is 401 Unauthorized, with the WWW-Authenticate Portcullis sent', async () => {
    const token = await oidc.sign(claims({ aud: 'other' }))
    const r = await send('/me', { headers: { authorization: `Bearer ${token}` } })
    expectDenial(r, 401, { message: 'Unauthorized' }, 'UnauthorizedException')
    expect(r.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })
})

describe('nginx auth_request → Portcullis: dry-run and the decision log', () => {
  /** The decision-log file's lines so far (written off the check path, so polled). */
  async function decisionLines(): Promise<Record<string, unknown>[]> {
    const text = existsSync(decisionLogFile) ? await readFile(decisionLogFile, 'utf8') : ''
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  }

  it('a DryRun route lets through what the enforced route denies; the upstream sees the would-be denial, not the forged value', async () => {
    const enforced = await send('/enforced', { headers: { host: ROLLOUT_HOST } })
    expect(enforced.status).toBe(403)
    expect(JSON.parse(enforced.body)).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:111122223333:rollout/prod/GET/enforced',
    })
    expect(upstream.seen).toHaveLength(0)
    const dry = await send('/trial?q=1', {
      headers: { host: ROLLOUT_HOST, 'x-portcullis-dry-run': 'allow 200 FORGED' },
    })
    expect(dry.status).toBe(200)
    expect(dry.body).toBe('upstream-ok')
    expect(upstream.seen).toHaveLength(1)
    expect(upstream.seen[0]!.url).toBe('/trial?q=1')
    expect(upstream.seen[0]!.headers['x-portcullis-dry-run']).toBe(
      'deny 403 ERR_POLICY_IMPLICIT_DENY',
    )
  })

  it('a client-forged x-portcullis-dry-run never reaches the upstream of an enforced API', async () => {
    for (const [host, path] of [
      [ROLLOUT_HOST, '/open'],
      [HOST, '/pets'],
    ] as const) {
      upstream.reset()
      const r = await send(path, {
        headers: { host, 'x-portcullis-dry-run': 'deny 403 FORGED' },
      })
      expect(r.status).toBe(200)
      expect(upstream.seen).toHaveLength(1)
      expect(upstream.seen[0]!.headers['x-portcullis-dry-run']).toBeUndefined()
    }
  })

  it('the decision log file has the dry-run request line, valid against docs/decision-log.schema.json', async () => {
    const schema = JSON.parse(
      await readFile(join(ROOT, 'docs/decision-log.schema.json'), 'utf8'),
    ) as object
    const validate = new Ajv({ allErrors: true }).compile(schema)
    const r = await send('/trial?token=not-logged', {
      headers: { host: ROLLOUT_HOST, 'x-request-id': 'nginx-dry-1' },
    })
    expect(r.status).toBe(200)
    const line = await vi.waitFor(
      async () => {
        const found = (await decisionLines()).find((l) => l['requestId'] === 'nginx-dry-1')
        expect(found).toBeDefined()
        return found!
      },
      { timeout: 5000, interval: 50 },
    )
    expect(validate(line), JSON.stringify(validate.errors)).toBe(true)
    expect(line).toMatchObject({
      api: 'shop/rollout',
      route: '/trial',
      method: 'GET',
      path: '/trial',
      // The client address nginx forwarded (trusted: nginx is on loopback).
      sourceIp: '127.0.0.1',
      authorizationType: 'NONE',
      decision: 'deny',
      status: 403,
      code: 'ERR_POLICY_IMPLICIT_DENY',
      enforcement: 'dry_run',
    })
    expect(JSON.stringify(line)).not.toContain('not-logged')
  })
})

describe('nginx with Portcullis unreachable', () => {
  it('every request is denied 500 {"message":"Internal server error"}, the upstream is never reached', async () => {
    const closedPort = await freePort()
    nginxDown = await startNginx({ portCount: 1, httpBlock: httpBlock(closedPort, upstream.port) })
    const r = await send('/pets', { port: nginxDown.ports[0]! })
    expectDenial(r, 500, { message: 'Internal server error' }, 'InternalServerErrorException')
  })
})
