/**
 * Signs a request with the AWS SDK's own signer (@smithy/signature-v4), returning the headers an
 * AWS client would send, ready to put in a CheckRequest.
 */
import { Sha256 } from '@aws-crypto/sha256-js'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'

export interface SignInput {
  readonly method: string
  readonly host: string
  readonly path: string
  readonly query?: Record<string, string>
  readonly headers?: Record<string, string>
  readonly body?: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Temporary credentials: the signer adds and signs `X-Amz-Security-Token`. */
  readonly sessionToken?: string
  readonly region?: string
  readonly service?: string
  readonly signingDate?: Date
}

function sdkSigner(input: SignInput): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: input.accessKeyId,
      secretAccessKey: input.secretAccessKey,
      ...(input.sessionToken !== undefined ? { sessionToken: input.sessionToken } : {}),
    },
    region: input.region ?? 'us-east-1',
    service: input.service ?? 'execute-api',
    sha256: Sha256,
  })
}

export async function signWithSdk(input: SignInput): Promise<Record<string, string>> {
  const signer = sdkSigner(input)
  const req = new HttpRequest({
    method: input.method,
    protocol: 'https:',
    hostname: input.host,
    path: input.path,
    ...(input.query ? { query: input.query } : {}),
    headers: { host: input.host, ...(input.headers ?? {}) },
    ...(input.body !== undefined ? { body: input.body } : {}),
  })
  const signed = await signer.sign(req, input.signingDate ? { signingDate: input.signingDate } : {})
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(signed.headers))
    if (k.toLowerCase() !== 'host') out[k.toLowerCase()] = v
  return out
}

export async function presignWithSdk(input: SignInput & { expiresIn?: number }): Promise<string> {
  const signer = sdkSigner(input)
  const req = new HttpRequest({
    method: input.method,
    protocol: 'https:',
    hostname: input.host,
    path: input.path,
    ...(input.query ? { query: input.query } : {}),
    headers: { host: input.host },
  })
  const signed = await signer.presign(req, { expiresIn: input.expiresIn ?? 300 })
  const q = new URLSearchParams(signed.query as Record<string, string>)
    .toString()
    .replace(/\+/g, '%20')
  return `${input.path}?${q}`
}

export const ALICE = {
  accessKeyId: 'AKIAALICEEXAMPLE0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
}
