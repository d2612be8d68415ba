/**
 * gRPC unary calls as h2load sends them: one CheckRequest encoded with Envoy's OFFICIAL protos and
 * wrapped in gRPC's length-prefixed framing, plus a one-off call sending those exact bytes through
 * the official client so the bench checks the decision before measuring anything.
 *
 * @module
 */
import {
  buildCheckRequest,
  createOfficialCheckClient,
  officialAuthDefinition,
  type BuildCheckRequestInput,
  type OfficialCheckResponse,
} from '../test/helpers/envoy-client.js'

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check'

interface SerializingMethod {
  requestSerialize(value: object): Buffer
  responseDeserialize(bytes: Buffer): unknown
}

function checkMethod(): SerializingMethod {
  const service = officialAuthDefinition()['envoy.service.auth.v3.Authorization'] as unknown as
    Record<string, SerializingMethod | undefined> | undefined
  const method = service?.Check
  if (method === undefined)
    throw new Error('official external_auth.proto has no Authorization.Check')
  return method
}

/** Protobuf bytes of the Envoy-shaped CheckRequest for `input` (official protos). */
export function encodeCheckRequest(input: BuildCheckRequestInput): Buffer {
  return checkMethod().requestSerialize(buildCheckRequest(input))
}

/** gRPC message framing: compressed-flag 0, 4-byte big-endian length, then the message. */
export function grpcFrame(message: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.writeUInt8(0, 0)
  header.writeUInt32BE(message.length, 1)
  return Buffer.concat([header, message])
}

/**
 * Sends exactly `message` (already-encoded CheckRequest bytes) to `address` with a grpc-js client
 * and decodes the answer with the official protos. Rejects on an RPC error.
 */
export async function callWithBytes(
  address: string,
  message: Buffer,
): Promise<OfficialCheckResponse> {
  const method = checkMethod()
  // The official client's own channel, with identity serialisation so the bytes are h2load's.
  const official = createOfficialCheckClient(address)
  const client = official.client
  try {
    return await new Promise<OfficialCheckResponse>((resolve, reject) => {
      client.makeUnaryRequest(
        CHECK_PATH,
        (b: Buffer) => b,
        (b: Buffer) => method.responseDeserialize(b) as OfficialCheckResponse,
        message,
        { deadline: Date.now() + 10_000 },
        (err, res) => {
          if (err) reject(err)
          else if (res === undefined) reject(new Error('empty CheckResponse'))
          else resolve(res)
        },
      )
    })
  } finally {
    official.close()
  }
}

/** `allow` for status OK, else `deny (grpc N, http S)`: what the pre-flight prints. */
export function describeDecision(res: OfficialCheckResponse): { allowed: boolean; text: string } {
  if (res.status.code === 0) return { allowed: true, text: 'allow' }
  const http = res.denied_response?.status?.code ?? '?'
  const body = res.denied_response?.body ?? ''
  return {
    allowed: false,
    text: `deny (grpc ${String(res.status.code)}, http ${String(http)}) ${body}`,
  }
}
