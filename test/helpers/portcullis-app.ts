/**
 * Starts the real Portcullis app (config runtime, decider, gRPC/HTTP/admin servers) on loopback
 * with OS-assigned ports over a temporary copy of a config folder, plus an official-proto Check client.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApp, type AppOptions, type RunningApp } from '../../src/app/app.js'
import { createLogger } from '../../src/observability/logger.js'
import {
  createOfficialCheckClient,
  officialAuthDefinition,
  type OfficialCheckClient,
} from './envoy-client.js'

/**
 * App options for a test instance: loopback, OS-assigned ports, no socket, quiet logger. Spread it
 * and override what the test is about (config source, log level and destination, Kubernetes).
 */
export function loopbackAppOptions(): Omit<AppOptions, 'configDir' | 'kubernetes'> {
  return {
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    metricsPort: 0,
    grpcSocket: undefined,
    accountId: '111122223333',
    region: 'us-east-1',
    logLevel: 'silent',
    trustForwardedFrom: [],
    httpPathPrefix: undefined,
    logger: createLogger({ level: 'silent' }),
  }
}

export interface TestApp {
  readonly app: RunningApp
  readonly dir: string
  readonly client: OfficialCheckClient
  stop(): Promise<void>
}

export async function startTestApp(
  fromDir?: string,
  extra: { accountId?: string; jwtOffloadMaxInFlight?: number } = {},
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cfg-'))
  if (fromDir !== undefined) await cp(fromDir, dir, { recursive: true })
  const app = await startApp({
    ...loopbackAppOptions(),
    configDir: dir,
    accountId: extra.accountId ?? '111122223333',
    ...(extra.jwtOffloadMaxInFlight !== undefined
      ? { jwtOffloadMaxInFlight: extra.jwtOffloadMaxInFlight }
      : {}),
  })
  const client = createOfficialCheckClient(`127.0.0.1:${app.grpcPort}`)
  return {
    app,
    dir,
    client,
    async stop() {
      client.close()
      await app.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The HTTP status and parsed body of a denied CheckResponse, or 200 for OK. */
export function answer(res: {
  status: { code: number }
  denied_response?: {
    status: { code: string | number } | null
    body: string
    headers: { header: { key: string; value: string } }[]
  }
  ok_response?: {
    headers: { header: { key: string; value: string } }[]
    headers_to_remove: string[]
  }
}): {
  grpc: number
  http: number
  body: unknown
  headers: Record<string, string>
  removed: string[]
} {
  if (res.status.code === 0) {
    const headers = Object.fromEntries(
      (res.ok_response?.headers ?? []).map((h) => [h.header.key, h.header.value]),
    )
    return {
      grpc: 0,
      http: 200,
      body: undefined,
      headers,
      removed: res.ok_response?.headers_to_remove ?? [],
    }
  }
  const d = res.denied_response
  const code = d?.status?.code
  const http = typeof code === 'number' ? code : httpFromEnum(String(code))
  const headers = Object.fromEntries((d?.headers ?? []).map((h) => [h.header.key, h.header.value]))
  return {
    grpc: res.status.code,
    http,
    body: d?.body ? (JSON.parse(d.body) as unknown) : undefined,
    headers,
    removed: [],
  }
}

/** HTTP status from Envoy's `envoy.type.v3.StatusCode` enum name, read from the official proto. */
function httpFromEnum(name: string): number {
  const def = officialAuthDefinition()['envoy.type.v3.StatusCode'] as unknown as {
    type: { value: { name: string; number: number }[] }
  }
  const found = def.type.value.find((v) => v.name === name)
  if (found === undefined) throw new Error(`unknown HttpStatus enum ${name}`)
  return found.number
}
