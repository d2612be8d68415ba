/**
 * `grpc.health.v1.Health` (Check + Watch) for the gRPC port: SERVING once the checker is ready and
 * until shutdown starts, NOT_SERVING otherwise. Known services: `''` (the server) and
 * `envoy.service.auth.v3.Authorization`.
 *
 * @module
 */
import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

interface HealthCheckRequest {
  readonly service?: string
}
interface HealthCheckResponse {
  readonly status: ServingStatus
}

const KNOWN_SERVICES = new Set(['', 'envoy.service.auth.v3.Authorization'])
/** How often Watch streams re-read readiness (the Checker exposes a poll, not an event). */
const WATCH_POLL_MS = 250

export interface HealthService {
  readonly implementation: UntypedServiceImplementation
  /** Ends every Watch stream (server shutdown). */
  closeWatchers(): void
}

export function createHealthService(isServing: () => boolean): HealthService {
  const watchers = new Map<
    ServerWritableStream<HealthCheckRequest, HealthCheckResponse>,
    ServingStatus
  >()
  let timer: NodeJS.Timeout | undefined

  const current = (): ServingStatus => (isServing() ? 'SERVING' : 'NOT_SERVING')
  const poll = (): void => {
    const now = current()
    for (const [call, last] of watchers) {
      if (last !== now) {
        watchers.set(call, now)
        call.write({ status: now })
      }
    }
  }
  const stopTimerIfIdle = (): void => {
    if (watchers.size === 0 && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
  }

  const implementation: UntypedServiceImplementation = {
    Check(
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ): void {
      const service = call.request.service ?? ''
      if (!KNOWN_SERVICES.has(service)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: 'unknown service' })
        return
      }
      callback(null, { status: current() })
    },
    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
      const service = call.request.service ?? ''
      if (!KNOWN_SERVICES.has(service)) {
        // Per the health protocol, Watch answers SERVICE_UNKNOWN and keeps the stream open.
        call.write({ status: 'SERVICE_UNKNOWN' })
        return
      }
      const now = current()
      watchers.set(call, now)
      call.write({ status: now })
      const forget = (): void => {
        watchers.delete(call)
        stopTimerIfIdle()
      }
      call.on('cancelled', forget)
      call.on('close', forget)
      if (timer === undefined) {
        timer = setInterval(poll, WATCH_POLL_MS)
        timer.unref()
      }
    },
  }

  return {
    implementation,
    closeWatchers(): void {
      for (const call of watchers.keys()) {
        call.write({ status: 'NOT_SERVING' })
        call.end()
      }
      watchers.clear()
      stopTimerIfIdle()
    },
  }
}
