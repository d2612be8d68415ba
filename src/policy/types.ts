/**
 * Public types of the IAM policy engine: what callers hand in (documents, request contexts) and what
 * they get back (compiled policies, evaluation results, precise errors). The engine is pure: no I/O.
 *
 * @module
 */

/**
 * Where a document is used; decides which elements are legal (e.g. `Principal` only in
 * resource-side policies). `trust`: a role's trust policy (`assumeRolePolicyDocument`), with a
 * Principal and no Resource (the role itself is the resource).
 */
export type PolicyKind = 'resource' | 'identity' | 'authorizer' | 'endpoint' | 'trust'

/** One validation problem, located by JSON path: `Statement[2].Condition.IpAddress.aws:SourceIp[0]`. */
export interface PolicyError {
  readonly path: string
  readonly message: string
}

export interface CompileOptions {
  readonly kind: PolicyKind
  /**
   * ARN prefix of the owning API, `arn:aws:execute-api:{region}:{account}:{apiId}`: the
   * `execute-api:/stage/METHOD/path` short form in Resource/NotResource expands against it. Without it,
   * the short form is a validation error.
   */
  readonly executeApiArnPrefix?: string
}

/** The caller as policies see it. `null` in a request means anonymous (NONE / CUSTOM / JWT callers). */
export interface PolicyPrincipal {
  /** e.g. `arn:aws:iam::111122223333:user/alice` or `arn:aws:sts::111122223333:assumed-role/R/s`. */
  readonly arn: string
  /** 12-digit account of the principal. */
  readonly accountId: string
  /**
   * Set only for a web identity asking to assume a role: the provider name (issuer without
   * `https://`) that `{"Federated": ...}` principals name.
   */
  readonly federatedProvider?: string
}

/** A condition-context value: single-valued keys hold a string, multivalued keys an array. */
export type ConditionValue = string | readonly string[]

/**
 * Condition keys of the request, keyed by **lower-cased** key name (`aws:sourceip`,
 * `aws:principaltag/team`), since IAM key names are case-insensitive. Policy variables
 * (`${aws:username}`) read from the same map.
 */
export type ConditionContext = ReadonlyMap<string, ConditionValue>

export interface PolicyRequest {
  /** e.g. `execute-api:Invoke`. */
  readonly action: string
  /** Full resource ARN (the methodArn). */
  readonly resource: string
  /** Authenticated IAM principal, or null for anonymous. */
  readonly principal: PolicyPrincipal | null
  readonly context: ConditionContext
}

export type EvaluationDecision = 'Allow' | 'Deny' | 'Neither'

/** A statement that took part in a decision, for `portcullis check` output and logs. */
export interface StatementRef {
  /** Label of the policy it came from (e.g. `resource-policy`, `identity:read-pets`). */
  readonly policy: string
  readonly index: number
  readonly sid: string | undefined
  readonly effect: 'Allow' | 'Deny'
}

export interface EvaluationResult {
  readonly decision: EvaluationDecision
  /** For Deny: the matching Deny statements; for Allow: the matching Allow statements; else empty. */
  readonly statements: readonly StatementRef[]
}

/** Final outcome after combining policies by AWS's rules. */
export type CombinedDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny'
