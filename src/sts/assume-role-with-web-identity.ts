/**
 * `AssumeRoleWithWebIdentity`, apart from HTTP: validate the parameters as STS does, verify the
 * web identity token against the IdentityProvider named by its issuer (signature, `iss`, `aud` in
 * `clientIDList`, `exp`/`nbf`), evaluate the role's trust policy, and mint a session. Every failure
 * is STS's error code and text; nothing here throws.
 *
 * @module
 */
import { decodeCompactJws } from '../authn/jwt/decode-compact-jws.js'
import {
  JwtVerifier,
  KUBERNETES_API_SERVER_JWKS,
  type JwksRegistry,
  type JwtResult,
} from '../authn/jwt/index.js'
import { compilePolicy, formatPolicyErrors } from '../policy/index.js'
import type { SessionKeyRing } from './session-keys.js'
import { issueSession, type IssuedSession } from './session-token.js'
import type { StsDirectory, StsProvider, StsRole } from '../compile/sts-directory.js'
import { STS_MESSAGES, stsError, type StsError } from './sts-errors.js'
import { evaluateTrust, type WebIdentity } from './trust-policy.js'

export const MIN_DURATION_SECONDS = 900
export const DEFAULT_DURATION_SECONDS = 3600
/** STS's limit on an inline session policy (plain text). */
export const MAX_SESSION_POLICY_CHARS = 2048
/** Tolerance on the web identity token's `exp`/`nbf`, as for JWT authorizers. */
const TOKEN_CLOCK_SKEW_SECONDS = 60
const SESSION_NAME = /^[\w+=,.@-]*$/
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\//

export interface AssumeRoleWithWebIdentityParams {
  readonly RoleArn?: string | undefined
  readonly RoleSessionName?: string | undefined
  readonly WebIdentityToken?: string | undefined
  readonly DurationSeconds?: string | undefined
  readonly Policy?: string | undefined
}

export interface AssumedRole {
  readonly ok: true
  readonly session: IssuedSession
  readonly role: StsRole
  readonly provider: StsProvider
  /** `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  readonly assumedRoleArn: string
  /** `<roleId>:<session>`. */
  readonly assumedRoleId: string
}

export type AssumeResult = AssumedRole | StsError

export interface StsServiceOptions {
  /** The current key ring; undefined while none is loaded (the endpoint then fails closed). */
  readonly ring: () => SessionKeyRing | undefined
  /** The current roles and providers. */
  readonly directory: () => StsDirectory
  /** Shared with the JWT authorizers: one key fetch per issuer for the whole process. */
  readonly registry: JwksRegistry
  /** Clock in epoch ms (tests). Default Date.now. */
  readonly now?: () => number
}

/** First failing parameter check in STS's member order, else undefined. */
function validateParams(p: AssumeRoleWithWebIdentityParams): StsError | undefined {
  const v = (msg: string): StsError => stsError('ValidationError', msg)
  if (p.RoleArn === undefined) return v(STS_MESSAGES.notNull('roleArn'))
  if (p.RoleArn.length < 20) return v(STS_MESSAGES.tooShort(p.RoleArn, 'roleArn', 20))
  if (p.RoleArn.length > 2048) return v(STS_MESSAGES.tooLong('roleArn', 2048))
  if (p.RoleSessionName === undefined) return v(STS_MESSAGES.notNull('roleSessionName'))
  if (p.RoleSessionName.length < 2) {
    return v(STS_MESSAGES.tooShort(p.RoleSessionName, 'roleSessionName', 2))
  }
  if (p.RoleSessionName.length > 64) return v(STS_MESSAGES.tooLong('roleSessionName', 64))
  if (!SESSION_NAME.test(p.RoleSessionName)) {
    return v(STS_MESSAGES.pattern(p.RoleSessionName, 'roleSessionName', '[\\w+=,.@-]*'))
  }
  // The token is never echoed: it is a credential.
  if (p.WebIdentityToken === undefined) return v(STS_MESSAGES.notNull('webIdentityToken'))
  if (p.WebIdentityToken.length < 4) return v(STS_MESSAGES.tooShort('***', 'webIdentityToken', 4))
  if (p.WebIdentityToken.length > 20000) return v(STS_MESSAGES.tooLong('webIdentityToken', 20000))
  if (p.Policy !== undefined) {
    if (p.Policy.length < 1) return v(STS_MESSAGES.tooShort('', 'policy', 1))
    if (p.Policy.length > MAX_SESSION_POLICY_CHARS) {
      return stsError('PackedPolicyTooLarge', STS_MESSAGES.policyTooLarge)
    }
  }
  return undefined
}

/** The asked duration; undefined when not asked (the role's limit then caps the default). */
function parseDuration(raw: string | undefined): number | undefined | StsError {
  if (raw === undefined) return undefined
  if (!/^-?[0-9]{1,9}$/.test(raw)) {
    return stsError('InvalidParameterValue', STS_MESSAGES.notANumber(raw))
  }
  const n = Number(raw)
  if (n < MIN_DURATION_SECONDS) return stsError('ValidationError', STS_MESSAGES.durationRange(raw))
  if (n > 43200) return stsError('ValidationError', STS_MESSAGES.durationTooLarge(raw))
  return n
}

/** The `aud` value (or Cognito access token `client_id`) that the client id list accepts. */
function matchedAudience(
  payload: Readonly<Record<string, unknown>>,
  clientIds: readonly string[],
): string | undefined {
  const aud = payload['aud']
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  for (const a of list) if (typeof a === 'string' && clientIds.includes(a)) return a
  const clientId = payload['client_id']
  if (aud === undefined && typeof clientId === 'string' && clientIds.includes(clientId)) {
    return clientId
  }
  return undefined
}

function amrOf(payload: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  const amr = payload['amr']
  if (typeof amr === 'string') return [amr]
  if (Array.isArray(amr) && amr.every((a) => typeof a === 'string')) return amr
  return undefined
}

export class StsService {
  readonly #opts: StsServiceOptions
  readonly #now: () => number
  /** Verifiers by provider object: a new snapshot's providers get new verifiers. */
  #verifiers = new WeakMap<StsProvider, JwtVerifier>()

  constructor(opts: StsServiceOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  async assumeRoleWithWebIdentity(p: AssumeRoleWithWebIdentityParams): Promise<AssumeResult> {
    try {
      return await this.#assume(p)
    } catch {
      return stsError('InternalFailure', STS_MESSAGES.internal)
    }
  }

  async #assume(p: AssumeRoleWithWebIdentityParams): Promise<AssumeResult> {
    const invalid = validateParams(p)
    if (invalid !== undefined) return invalid
    const roleArn = p.RoleArn as string
    const sessionName = p.RoleSessionName as string
    const token = p.WebIdentityToken as string
    const asked = parseDuration(p.DurationSeconds)
    if (typeof asked === 'object') return asked

    // The token first, as STS does: an unknown role must not be told apart from a refused one
    // before the caller has proved an identity.
    const decoded = decodeCompactJws(token)
    if (!decoded.ok) return stsError('InvalidIdentityToken', STS_MESSAGES.malformedToken)
    const payload = decoded.jws.payload
    const iss = payload['iss']
    const directory = this.#opts.directory()
    const provider = typeof iss === 'string' ? directory.providers.get(iss) : undefined
    if (provider === undefined) {
      return stsError(
        'InvalidIdentityToken',
        STS_MESSAGES.noProvider(typeof iss === 'string' ? iss.slice(0, 256) : ''),
      )
    }
    const verified = await this.#verifier(provider).verify(token, [])
    const tokenError = this.#tokenError(verified, payload)
    if (tokenError !== undefined) return tokenError
    const audience = matchedAudience(payload, provider.clientIds)
    if (audience === undefined) {
      return stsError('InvalidIdentityToken', STS_MESSAGES.incorrectAudience)
    }
    const identity: WebIdentity = {
      provider: provider.name,
      subject: (verified as { principalId: string }).principalId,
      audience,
      amr: amrOf(payload),
    }

    // The role and its trust policy. An unknown or malformed role ARN is refused like a trust
    // policy that does not allow the caller: STS does not reveal which roles exist.
    const role = ROLE_ARN.test(roleArn) ? directory.roles.get(roleArn) : undefined
    if (role?.trust === undefined) {
      return stsError('AccessDenied', STS_MESSAGES.notAuthorized)
    }
    if (evaluateTrust(role.trust, role, identity, sessionName).decision !== 'Allow') {
      return stsError('AccessDenied', STS_MESSAGES.notAuthorized)
    }
    if (asked !== undefined && asked > role.maxSessionDuration) {
      return stsError('ValidationError', STS_MESSAGES.durationTooLong)
    }
    // Not asked: an hour, or less when the role allows less (AWS's roles cannot go below an
    // hour; ours can, and a default must not make the call fail).
    const duration = asked ?? Math.min(DEFAULT_DURATION_SECONDS, role.maxSessionDuration)

    let sessionPolicy: string | undefined
    if (p.Policy !== undefined) {
      const malformed = sessionPolicyError(p.Policy)
      if (malformed !== undefined) return malformed
      sessionPolicy = p.Policy
    }

    const ring = this.#opts.ring()
    if (ring === undefined) return stsError('InternalFailure', STS_MESSAGES.internal)
    const issuedAt = Math.floor(this.#now() / 1000)
    const session = issueSession(ring, {
      roleArn: role.arn,
      sessionName,
      provider: provider.name,
      subject: identity.subject,
      audience,
      issuedAt,
      expiresAt: issuedAt + duration,
      sessionPolicy,
    })
    return {
      ok: true,
      session,
      role,
      provider,
      assumedRoleArn: assumedRoleArn(role, sessionName),
      assumedRoleId: `${role.roleId}:${sessionName}`,
    }
  }

  #tokenError(result: JwtResult, payload: Readonly<Record<string, unknown>>): StsError | undefined {
    if (result.ok) return undefined
    switch (result.code) {
      case 'ERR_JWT_EXPIRED': {
        const exp = payload['exp']
        return stsError(
          'ExpiredTokenException',
          STS_MESSAGES.tokenExpired(this.#now() / 1000, typeof exp === 'number' ? exp : 0),
        )
      }
      case 'ERR_JWT_AUDIENCE_MISMATCH':
      case 'ERR_JWT_CLIENT_ID_MISMATCH':
        return stsError('InvalidIdentityToken', STS_MESSAGES.incorrectAudience)
      case 'ERR_JWT_JWKS_UNAVAILABLE':
        return stsError('IDPCommunicationError', STS_MESSAGES.noKey)
      case 'ERR_JWT_NOT_YET_VALID':
      case 'ERR_JWT_ISSUED_IN_FUTURE':
        return stsError('InvalidIdentityToken', STS_MESSAGES.tokenNotYetValid)
      case 'ERR_JWT_CLAIM_INVALID':
        return stsError('InvalidIdentityToken', STS_MESSAGES.missingSubject)
      case 'ERR_JWT_MALFORMED':
      case 'ERR_JWT_TOO_LARGE':
      case 'ERR_JWT_MISSING':
      case 'ERR_JWT_ALG_NOT_ALLOWED':
        return stsError('InvalidIdentityToken', STS_MESSAGES.malformedToken)
      case 'ERR_JWT_INTERNAL':
      case 'ERR_JWT_ISSUER_MISMATCH':
      case 'ERR_JWT_KEY_MISMATCH':
      case 'ERR_JWT_KID_MISSING':
      case 'ERR_JWT_KID_UNKNOWN':
      case 'ERR_JWT_SCOPE_MISMATCH':
      case 'ERR_JWT_SIGNATURE_INVALID':
      case 'ERR_JWT_TOKEN_USE_MISMATCH':
        return stsError('InvalidIdentityToken', STS_MESSAGES.invalidSignature)
    }
  }

  #verifier(provider: StsProvider): JwtVerifier {
    let v = this.#verifiers.get(provider)
    if (v === undefined) {
      v = new JwtVerifier(
        {
          id: provider.ref,
          type: 'JWT',
          issuer: provider.issuer,
          jwksUri: provider.jwksFromApiServer ? KUBERNETES_API_SERVER_JWKS : provider.jwksUri,
          audiences: provider.clientIds,
          identityHeader: 'authorization',
          clockSkewSeconds: TOKEN_CLOCK_SKEW_SECONDS,
        },
        this.#opts.registry,
        // Exchanges are rare next to checks: no token cache, every token is verified afresh.
        { tokenCacheMax: 0, now: this.#now },
      )
      this.#verifiers.set(provider, v)
    }
    return v
  }
}

export function assumedRoleArn(role: StsRole, sessionName: string): string {
  return `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`
}

/** A session policy must be a valid identity policy (no Principal). */
export function sessionPolicyError(text: string): StsError | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return stsError('MalformedPolicyDocument', STS_MESSAGES.malformedPolicy('not valid JSON'))
  }
  const compiled = compilePolicy(doc, { kind: 'identity' })
  if (!compiled.ok) {
    return stsError(
      'MalformedPolicyDocument',
      STS_MESSAGES.malformedPolicy(formatPolicyErrors(compiled.errors).join('; ').slice(0, 512)),
    )
  }
  return undefined
}
