/**
 * Web-identity sessions for tests: the configuration of an API whose role trusts a loopback OIDC
 * issuer, a folder holding it and the session key file, and session credentials minted either by
 * the AWS SDK's STS client against a running Portcullis STS endpoint or sealed directly with a key
 * file (for sessions the endpoint would never issue: expired, sealed by a foreign key).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { parseSessionKeyRing } from '../../src/sts/session-keys.js'
import { issueSession } from '../../src/sts/session-token.js'
import type { LoopbackIssuer } from './jwt-loopback-issuer.js'

export interface SessionCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
}

/** Who assumes the role: a subject and audience of the issuer's tokens, and the role's ARN. */
export interface WebIdentity {
  readonly issuer: LoopbackIssuer
  readonly roleArn: string
  readonly sub: string
  readonly aud: string
}

/** The provider name trust policies use for an issuer: its URL without the scheme. */
export function providerOf(issuerUrl: string): string {
  return issuerUrl.replace(/^https?:\/\//, '')
}

/** A session key file (`{keys: [{id, secret}], active}`) as `--sts-key-file` reads it. */
export function sessionKeyFile(keys: Readonly<Record<string, string>>, active: string): string {
  return JSON.stringify({
    keys: Object.entries(keys).map(([id, secret]) => ({ id, secret })),
    active,
  })
}

/** The API and the role {@link webIdentityConfig} writes: RestApi `reports` (stage prod), role `reporter`. */
export const REPORTS = {
  host: 'reports.example.com',
  account: '111122223333',
  roleArn: 'arn:aws:iam::111122223333:role/reporter',
  /** The ARN a session named `name` acts as. */
  sessionArn: (name: string) => `arn:aws:sts::111122223333:assumed-role/reporter/${name}`,
} as const

export interface WebIdentityApi {
  readonly issuerUrl: string
  /** The IdentityProvider's name. */
  readonly providerName: string
  readonly sub: string
  readonly aud: string
  /** GET routes of the API, all AWS_IAM. */
  readonly paths: readonly string[]
  /** The role's identity-policy statements. */
  readonly statements: readonly Record<string, unknown>[]
  readonly maxSessionDuration?: number
}

/**
 * The manifests (RestApi, IdentityProvider, Principal) of the {@link REPORTS} API, whose role
 * trusts the issuer for exactly `sub` and `aud`, with the statements as its identity policy.
 */
export function webIdentityConfig(o: WebIdentityApi): string {
  const provider = providerOf(o.issuerUrl)
  const objects = [
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'RestApi',
      metadata: { name: 'reports', namespace: 'shop' },
      spec: {
        apiId: 'reports',
        stage: 'prod',
        hosts: [REPORTS.host],
        routes: o.paths.map((path) => ({ path, methods: ['GET'], authorizationType: 'AWS_IAM' })),
      },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'IdentityProvider',
      metadata: { name: o.providerName, namespace: 'shop' },
      spec: { url: o.issuerUrl, clientIDList: [o.aud] },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Principal',
      metadata: { name: 'reporter', namespace: 'shop' },
      spec: {
        arn: REPORTS.roleArn,
        ...(o.maxSessionDuration === undefined ? {} : { maxSessionDuration: o.maxSessionDuration }),
        assumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: provider },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: { [`${provider}:sub`]: o.sub, [`${provider}:aud`]: o.aud },
              },
            },
          ],
        },
        policies: [
          {
            policyName: 'read',
            policyDocument: { Version: '2012-10-17', Statement: o.statements },
          },
        ],
      },
    },
  ]
  // JSON documents (YAML reads them as written): no YAML typing of values such as `2012-10-17`.
  return objects.map((obj) => JSON.stringify(obj, null, 2)).join('\n---\n')
}

/** A temporary folder with `config/<name>.yaml` and `sts-keys.json`, as `serve` is pointed at. */
export async function writeStsFolder(
  prefix: string,
  config: string,
  keys: string,
): Promise<{ dir: string; configDir: string; keysPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const configDir = join(dir, 'config')
  await mkdir(configDir)
  await writeFile(join(configDir, 'reports.yaml'), config)
  const keysPath = join(dir, 'sts-keys.json')
  await writeFile(keysPath, keys)
  return { dir, configDir, keysPath }
}

/** The AWS SDK's STS client against a Portcullis STS endpoint on loopback (calls are unsigned). */
export function stsClientFor(stsPort: number | undefined): STSClient {
  if (stsPort === undefined) throw new Error('the app serves no STS endpoint')
  return new STSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${stsPort}`,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  })
}

/** A fresh web identity token of the issuer for `who` (valid for five minutes). */
export async function webIdentityToken(who: WebIdentity): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return who.issuer.sign({ sub: who.sub, aud: who.aud, iat: now, exp: now + 300 })
}

/** AssumeRoleWithWebIdentity through the SDK's STS client; fails when no credentials come back. */
export async function mintSessionCredentials(
  sts: STSClient,
  who: WebIdentity,
  sessionName: string,
  policy?: string,
): Promise<SessionCredentials> {
  const out = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: who.roleArn,
      RoleSessionName: sessionName,
      WebIdentityToken: await webIdentityToken(who),
      ...(policy !== undefined ? { Policy: policy } : {}),
    }),
  )
  const c = out.Credentials
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
    throw new Error('AssumeRoleWithWebIdentity returned no credentials')
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken ?? '',
  }
}

/**
 * A session for `who` sealed directly with the active key of `keyFile`, valid from `issuedAt` to
 * `expiresAt` (epoch seconds) whatever the clock says: sessions the endpoint would never issue.
 */
export function sealSession(
  keyFile: string,
  who: WebIdentity,
  sessionName: string,
  times: { readonly issuedAt: number; readonly expiresAt: number },
): SessionCredentials {
  const ring = parseSessionKeyRing(keyFile)
  if (!ring.ok) throw new Error(ring.error)
  const { accessKeyId, secretAccessKey, sessionToken } = issueSession(ring.ring, {
    roleArn: who.roleArn,
    sessionName,
    provider: providerOf(who.issuer.issuer),
    subject: who.sub,
    audience: who.aud,
    ...times,
  })
  return { accessKeyId, secretAccessKey, sessionToken }
}
