/**
 * The immutable configuration snapshot the hot path reads. A compile produces a new one from the
 * manifests; the server swaps one reference. Nothing here is mutated after compile (frozen).
 *
 * @module
 */
import type { AuthorizationType, AuthorizerType } from '../api/v1alpha1/index.js'
import type { JwtRuntimeConfig } from '../authn/jwt/index.js'
import type { LambdaAuthorizerConfig } from '../authn/lambda/index.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { RouteTable } from './route-table.js'
import type { CompiledSource } from './private-endpoint-sources.js'
import type { WorkloadDirectory } from './workload-directory.js'
import type { UsageIndex } from './usage-index.js'

export type { AuthorizationType } from '../api/v1alpha1/index.js'

/** An Authorizer object after compile; `runtime` is the kind-specific compiled config. */
export interface CompiledAuthorizer {
  readonly ref: string
  readonly name: string
  readonly type: AuthorizerType
  readonly runtime: AuthorizerRuntimeConfig
  /** `spec.candidate`: claim rules under trial (token authorizers only). */
  readonly candidate?: CompiledAuthorizerCandidate | undefined
}

/**
 * A token authorizer's audience rule under trial: JWT `audience` or Cognito `clientIds`, checked
 * by the same rules as the live list, on the token the live decision verified.
 */
export interface CompiledAuthorizerCandidate {
  readonly audiences: readonly string[]
}

/**
 * Filled in by the authn modules' compilers: TOKEN / REQUEST authorizers run over HTTP (`lambda`),
 * COGNITO_USER_POOLS / JWT ones verify tokens (`jwt`). The flows switch on `kind`.
 */
export type AuthorizerRuntimeConfig =
  | { readonly kind: 'lambda'; readonly config: LambdaAuthorizerConfig }
  | { readonly kind: 'jwt'; readonly config: JwtRuntimeConfig }

export interface CompiledRoute {
  readonly path: string
  readonly methods: readonly string[]
  readonly authorizationType: AuthorizationType
  readonly authorizer: CompiledAuthorizer | undefined
  readonly authorizationScopes: readonly string[]
  readonly apiKeyRequired: boolean
  /** This route's own mode; undefined: the API's. */
  readonly enforcement: EnforcementMode | undefined
}

export type EnforcementMode = 'Enforce' | 'DryRun'

/** Per-API decision-log settings, compiled. */
export interface CompiledDecisionLog {
  /** 0..1: the fraction of decisions logged. */
  readonly sample: number
  readonly denyOnly: boolean
}

/**
 * What an API has under trial or audit. Undefined on an API with none of it: the decider then
 * takes its plain path, with no per-request cost.
 */
export interface CompiledRollout {
  /** The API's mode (a route's own mode wins). */
  readonly enforcement: EnforcementMode
  /** True when the API or one of its routes is in DryRun. */
  readonly anyDryRun: boolean
  readonly decisionLog: CompiledDecisionLog | undefined
  /**
   * The same API with `candidatePolicy` as its resource policy (and no rollout of its own): each
   * request is decided again against it to count disagreements.
   */
  readonly candidate: CompiledApi | undefined
  /**
   * True when a Principal's or an Authorizer's candidate may apply to this API's requests (an
   * AWS_IAM route while some Principal has one, a route whose authorizer has one): each request
   * then notes which candidates it met, and is decided again when it met any.
   */
  readonly identityCandidates: boolean
}

export interface CompiledEndpoint {
  readonly ref: string
  readonly name: string
  readonly namespace: string
  readonly sources: readonly CompiledSource[]
  /** Endpoint policy; AWS's default endpoint policy allows everything. */
  readonly policy: CompiledPolicy
}

export interface CompiledApi {
  readonly ref: string
  readonly namespace: string
  readonly name: string
  readonly apiId: string
  readonly accountId: string
  readonly region: string
  readonly stage: string
  readonly stageVariables: Readonly<Record<string, string>>
  readonly endpointType: 'REGIONAL' | 'PRIVATE'
  /** Resolved `endpointConfiguration.vpcEndpointIds`, in declaration order. */
  readonly endpoints: readonly CompiledEndpoint[]
  readonly resourcePolicy: CompiledPolicy | undefined
  /** `arn:aws:execute-api:{region}:{accountId}:{apiId}`. */
  readonly arnPrefix: string
  readonly routes: RouteTable<CompiledRoute>
  readonly apiKeySource: 'HEADER' | 'AUTHORIZER'
  readonly rollout: CompiledRollout | undefined
}

export interface CompiledPrincipal {
  readonly ref: string
  readonly arn: string
  readonly accountId: string
  /** Condition keys this principal contributes (lower-cased names): aws:username, aws:userid, tags... */
  readonly conditionKeys: ReadonlyMap<string, string>
  readonly policies: readonly { readonly label: string; readonly policy: CompiledPolicy }[]
  /**
   * `candidatePolicies` / `candidateManagedPolicyRefs`: the identity policies under trial (each
   * field in place of its live counterpart); undefined when none is under trial.
   */
  readonly candidatePolicies?:
    readonly { readonly label: string; readonly policy: CompiledPolicy }[] | undefined
  /**
   * Only for an assumed-role session that was given a session policy: it narrows `policies`
   * (an action is allowed only when both allow it).
   */
  readonly sessionPolicy?: { readonly label: string; readonly policy: CompiledPolicy } | undefined
}

export interface AccessKeyEntry {
  readonly secretAccessKey: string
  readonly active: boolean
  readonly principal: CompiledPrincipal
}

export interface Snapshot {
  /** Monotonic number of this snapshot, for logs. */
  readonly generation: number
  readonly apisByRef: ReadonlyMap<string, CompiledApi>
  /** Exact host names (lower-case) → API. */
  readonly apisByHost: ReadonlyMap<string, CompiledApi>
  /** `*.example.com` hosts as suffixes `.example.com`, longest first. */
  readonly wildcardHosts: readonly { readonly suffix: string; readonly api: CompiledApi }[]
  readonly accessKeys: ReadonlyMap<string, AccessKeyEntry>
  readonly authorizers: ReadonlyMap<string, CompiledAuthorizer>
  /** API keys and the usage plans that admit them per API. */
  readonly usage: UsageIndex
  /** Objects per kind that compiled (for the portcullis_config_objects gauge). */
  readonly objectCounts: Readonly<Record<string, number>>
  readonly defaults: { readonly accountId: string; readonly region: string }
  /** Roles that can be assumed and the identity providers whose tokens they trust. */
  readonly sts: StsDirectory
  /**
   * Kubernetes mode only: pod IP → namespace/service account/labels and namespace → labels, for
   * PrivateEndpoint attribution. Deliberately NOT part of the frozen configuration: it is one live
   * index, updated in place by pod and namespace watch events and shared by successive snapshots, so
   * a label or pod IP change takes effect at once without recompiling, and a recompile does not copy
   * it. Each update is a single Map set/delete on the event loop, so a decision (synchronous up to
   * attribution) sees the index either before or after an event, never half-way. Absent in local
   * mode: label selectors then never match.
   */
  readonly workloads?: WorkloadDirectory
}

/* The roles and identity providers STS uses (compiled from Principals with role ARNs and IdentityProviders). */

export interface StsRole {
  /** `arn:aws:iam::<acct>:role/<path/><name>`. */
  readonly arn: string
  readonly accountId: string
  /** The role name (last path segment), as in `assumed-role/<name>/<session>`. */
  readonly name: string
  /** Stable unique id (`AROA…`), the same on every replica: part of `aws:userid`. */
  readonly roleId: string
  /** Undefined: nobody may assume the role. */
  readonly trust: CompiledPolicy | undefined
  /** Seconds. */
  readonly maxSessionDuration: number
  /** The role as a principal: its identity policies and tags. */
  readonly principal: CompiledPrincipal
}

/** One `IdentityProvider`. */
export interface StsProvider {
  /** `namespace/name`. */
  readonly ref: string
  /** Issuer URL without its scheme: the name in `{"Federated": ...}` and condition keys. */
  readonly name: string
  /** Exact `iss`. */
  readonly issuer: string
  readonly clientIds: readonly string[]
  readonly jwksUri: string | undefined
  /** Keys from the connected Kubernetes API server (the cluster's ServiceAccount issuer). */
  readonly jwksFromApiServer: boolean
}

export interface StsDirectory {
  /** By role ARN. */
  readonly roles: ReadonlyMap<string, StsRole>
  /** By issuer URL (`iss`). */
  readonly providers: ReadonlyMap<string, StsProvider>
}
