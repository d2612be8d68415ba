/**
 * Manifests → one frozen Snapshot. Pure: no I/O. Every cross-object reference (authorizerName,
 * managedPolicyRefs, secret refs, vpcEndpointIds, Service bindings) is resolved here, and every
 * problem becomes a CompileError for that object. An invalid object invalidates only itself and
 * the objects that depend on it; everything else compiles and serves.
 *
 * @module
 */
import { compilePolicy } from '../policy/index.js'
import type { CompiledPolicy, PolicyKind } from '../policy/index.js'
import { buildRouteTable } from './route-table.js'
import { parseCidr, type CompiledSource } from './private-endpoint-sources.js'
import { compileLabelSelector, type LabelMatcher } from './label-selector.js'
import type { WorkloadDirectory } from './workload-directory.js'
import {
  DEFAULT_SESSION_DURATION,
  identityProviderName,
  parsePolicyDocument,
} from '../api/v1alpha1/index.js'
import { roleIdFor, type StsProvider, type StsRole } from '../sts/sts-directory.js'
import type {
  AccessKeyEntry,
  AuthorizationType,
  AuthorizerRuntimeConfig,
  CompiledApi,
  CompiledAuthorizer,
  CompiledEndpoint,
  CompiledPrincipal,
  CompiledRoute,
  Snapshot,
} from './snapshot.js'
import type {
  CompileError,
  CompileInput,
  Manifest,
  ObjectRef,
  AuthorizerInputSpec,
  PrincipalInputSpec,
} from './compile-input.js'

/** Kind-specific compile of an Authorizer (lambda or jwt), provided by the authn modules. */
export type AuthorizerCompiler = (
  m: Manifest<AuthorizerInputSpec>,
  defaults: { readonly accountId: string; readonly region: string },
) =>
  | { ok: true; runtime: AuthorizerRuntimeConfig }
  | { ok: false; errors: { path: string; message: string }[] }

export interface CompileOptions {
  readonly defaults: { readonly accountId: string; readonly region: string }
  readonly generation: number
  readonly authorizerCompiler?: AuthorizerCompiler
  /** Previous snapshot: when two APIs claim one host, the previous owner keeps it. */
  readonly previous?: Snapshot | undefined
  /** Kubernetes mode's live pod/namespace directory, handed to the snapshot (see Snapshot.workloads). */
  readonly workloads?: WorkloadDirectory | undefined
}

export interface CompileResult {
  readonly snapshot: Snapshot
  readonly errors: readonly CompileError[]
  readonly warnings: readonly string[]
}

/** The AWS default endpoint policy: full access (reference §2.7). */
const ALLOW_ALL_ENDPOINT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
}

const PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):(user|role|assumed-role|root)(\/[\x21-\x7e]*)?$/

const AUTHORIZER_TYPES_FOR: Partial<Record<AuthorizationType, readonly string[]>> = {
  CUSTOM: ['TOKEN', 'REQUEST'],
  COGNITO_USER_POOLS: ['COGNITO_USER_POOLS'],
  JWT: ['JWT'],
}

const key = (ns: string, name: string): string => `${ns}/${name}`

export function compileSnapshot(input: CompileInput, opts: CompileOptions): CompileResult {
  const errors: CompileError[] = []
  const warnings: string[] = []
  const err = (file: string, ref: ObjectRef, path: string, message: string): void => {
    errors.push({ file, ref, path, message })
  }
  const policyErrors = (
    file: string,
    ref: ObjectRef,
    base: string,
    doc: unknown,
    kind: PolicyKind,
    prefix?: string,
  ) => {
    const res = compilePolicy(
      doc,
      prefix === undefined ? { kind } : { kind, executeApiArnPrefix: prefix },
    )
    if (res.ok) return res.policy
    for (const e of res.errors)
      err(file, ref, e.path === '' ? base : `${base}.${e.path}`, e.message)
    return undefined
  }
  const counts = {
    RestApi: 0,
    Authorizer: 0,
    Principal: 0,
    Policy: 0,
    PrivateEndpoint: 0,
    IdentityProvider: 0,
    Secret: input.secrets.length,
    Service: 0,
  }

  const secrets = new Map(input.secrets.map((s) => [key(s.ref.namespace, s.ref.name), s.data]))

  // Managed policies.
  const managed = new Map<string, CompiledPolicy>()
  for (const m of input.policies) {
    const p = policyErrors(m.file, m.ref, 'spec.policyDocument', m.spec.policyDocument, 'identity')
    if (p) {
      managed.set(key(m.ref.namespace, m.ref.name), p)
      counts.Policy++
    }
  }

  // Principals and their access keys.
  const accessKeys = new Map<string, AccessKeyEntry>()
  const keyOwners = new Map<string, string>()
  const roles = new Map<string, StsRole>()
  const roleOwners = new Map<string, string>()
  for (const m of sortByRef(input.principals)) {
    const { ref, file, spec } = m
    const before = errors.length
    const arnMatch = PRINCIPAL_ARN.exec(spec.arn)
    if (!arnMatch)
      err(file, ref, 'spec.arn', `not an IAM user, role or assumed-role ARN: ${spec.arn}`)
    const policies: { label: string; policy: CompiledPolicy }[] = []
    ;(spec.policies ?? []).forEach((p, i) => {
      const c = policyErrors(
        file,
        ref,
        `spec.policies[${i}].policyDocument`,
        p.policyDocument,
        'identity',
      )
      if (c) policies.push({ label: `inline:${p.policyName}`, policy: c })
    })
    ;(spec.managedPolicyRefs ?? []).forEach((name, i) => {
      const p = managed.get(key(ref.namespace, name))
      if (p) policies.push({ label: `managed:${name}`, policy: p })
      else
        err(
          file,
          ref,
          `spec.managedPolicyRefs[${i}]`,
          `Policy ${ref.namespace}/${name} not found or invalid`,
        )
    })
    const keys: { id: string; secret: string; active: boolean }[] = []
    ;(spec.accessKeys ?? []).forEach((k, i) => {
      const data = secrets.get(key(ref.namespace, k.secretAccessKeyRef.name))
      const secret = data?.[k.secretAccessKeyRef.key]
      if (data === undefined) {
        err(
          file,
          ref,
          `spec.accessKeys[${i}].secretAccessKeyRef`,
          `Secret ${ref.namespace}/${k.secretAccessKeyRef.name} not found`,
        )
      } else if (secret === undefined || secret === '') {
        err(
          file,
          ref,
          `spec.accessKeys[${i}].secretAccessKeyRef.key`,
          `Secret ${ref.namespace}/${k.secretAccessKeyRef.name} has no key '${k.secretAccessKeyRef.key}'`,
        )
      } else {
        const owner = keyOwners.get(k.accessKeyId)
        if (owner !== undefined) {
          err(
            file,
            ref,
            `spec.accessKeys[${i}].accessKeyId`,
            `access key ${k.accessKeyId} already belongs to ${owner}`,
          )
        } else {
          keys.push({ id: k.accessKeyId, secret, active: (k.status ?? 'Active') === 'Active' })
        }
      }
    })
    if (errors.length !== before || !arnMatch) continue
    const accountId = arnMatch[2] ?? ''
    const principal: CompiledPrincipal = Object.freeze({
      ref: key(ref.namespace, ref.name),
      arn: spec.arn,
      accountId,
      conditionKeys: principalConditionKeys(
        spec.arn,
        arnMatch[3] ?? '',
        accountId,
        spec.tags ?? {},
      ),
      policies: Object.freeze(policies),
    })
    if (arnMatch[3] === 'role') {
      const role = compileRole(spec, principal, roleOwners.get(spec.arn), (path, message) => {
        err(file, ref, path, message)
      })
      if (role === undefined) continue
      roles.set(role.arn, role)
      roleOwners.set(role.arn, principal.ref)
    }
    for (const k of keys) {
      keyOwners.set(k.id, principal.ref)
      accessKeys.set(
        k.id,
        Object.freeze({ secretAccessKey: k.secret, active: k.active, principal }),
      )
    }
    counts.Principal++
  }

  // Identity providers, by issuer: a token names its provider by `iss`.
  const providers = new Map<string, StsProvider>()
  for (const m of sortByRef(input.identityProviders ?? [])) {
    const ref = key(m.ref.namespace, m.ref.name)
    const known = providers.get(m.spec.url)
    if (known !== undefined) {
      err(
        m.file,
        m.ref,
        'spec.url',
        `issuer ${m.spec.url} is already declared by IdentityProvider ${known.ref}`,
      )
      continue
    }
    providers.set(
      m.spec.url,
      Object.freeze({
        ref,
        name: identityProviderName(m.spec.url),
        issuer: m.spec.url,
        clientIds: Object.freeze([...m.spec.clientIDList]),
        jwksUri: m.spec.jwksUri,
      }),
    )
    counts.IdentityProvider++
  }

  // Authorizers.
  const authorizers = new Map<string, CompiledAuthorizer>()
  for (const m of input.authorizers) {
    const ref = key(m.ref.namespace, m.ref.name)
    if (opts.authorizerCompiler === undefined) {
      warnings.push(
        `${m.file}: Authorizer/${ref}: no authorizer runtime available; routes using it fail closed`,
      )
      continue
    }
    const res = opts.authorizerCompiler(m, opts.defaults)
    if (!res.ok) {
      for (const e of res.errors) err(m.file, m.ref, e.path, e.message)
      continue
    }
    authorizers.set(
      ref,
      Object.freeze({
        ref,
        name: m.ref.name,
        type: m.spec.type as CompiledAuthorizer['type'],
        runtime: res.runtime,
      }),
    )
    counts.Authorizer++
  }

  // PrivateEndpoints.
  const endpoints = new Map<string, CompiledEndpoint>()
  for (const m of input.privateEndpoints) {
    const { ref, file, spec } = m
    const before = errors.length
    const sources: CompiledSource[] = []
    spec.sources.forEach((s, i) => {
      const blocks = (s.ipBlocks ?? []).map((b, j) => {
        const cidr = parseCidr(b.cidr)
        if (!cidr) err(file, ref, `spec.sources[${i}].ipBlocks[${j}].cidr`, `not a CIDR: ${b.cidr}`)
        const except = (b.except ?? []).map((e, k) => {
          const c = parseCidr(e)
          if (!c)
            err(file, ref, `spec.sources[${i}].ipBlocks[${j}].except[${k}]`, `not a CIDR: ${e}`)
          return c
        })
        return { cidr, except }
      })
      const usesSelectors = s.namespaceSelector !== undefined || s.podSelector !== undefined
      if (usesSelectors && opts.workloads === undefined) {
        warnings.push(
          `${file}: PrivateEndpoint/${key(ref.namespace, ref.name)}: spec.sources[${i}] uses label selectors, which only Kubernetes mode can resolve; in folder mode it admits nothing`,
        )
      }
      const selector = (
        sel: unknown,
        field: 'namespaceSelector' | 'podSelector',
      ): LabelMatcher | undefined => {
        if (sel === undefined) return undefined
        const res = compileLabelSelector(sel, `spec.sources[${i}].${field}`)
        if (res.ok) return res.matcher
        for (const e of res.errors) err(file, ref, e.path, e.message)
        return undefined
      }
      sources.push({
        namespaceSelector: selector(s.namespaceSelector, 'namespaceSelector'),
        podSelector: selector(s.podSelector, 'podSelector'),
        endpointNamespace: ref.namespace,
        namespaces: s.namespaces ? new Set(s.namespaces) : undefined,
        serviceAccounts: s.serviceAccounts
          ? new Set(s.serviceAccounts.map((a) => key(a.namespace, a.name)))
          : undefined,
        ipBlocks: s.ipBlocks
          ? blocks.flatMap((b) =>
              b.cidr ? [{ cidr: b.cidr, except: b.except.flatMap((e) => (e ? [e] : [])) }] : [],
            )
          : undefined,
        usesSelectors,
      })
    })
    const policy = policyErrors(
      file,
      ref,
      'spec.policy',
      spec.policy ?? ALLOW_ALL_ENDPOINT,
      'endpoint',
    )
    if (errors.length !== before || !policy) continue
    endpoints.set(
      key(ref.namespace, ref.name),
      Object.freeze({
        ref: key(ref.namespace, ref.name),
        name: ref.name,
        namespace: ref.namespace,
        sources,
        policy,
      }),
    )
    counts.PrivateEndpoint++
  }

  // RestApis.
  const apisByRef = new Map<string, CompiledApi>()
  const apiFiles = new Map<string, Manifest<unknown>>()
  for (const m of sortByRef(input.restApis)) {
    const { ref, file, spec } = m
    const before = errors.length
    const apiRef = key(ref.namespace, ref.name)
    const apiId = spec.apiId ?? ref.name
    const accountId = spec.accountId ?? opts.defaults.accountId
    const region = spec.region ?? opts.defaults.region
    const stage = spec.stage ?? 'prod'
    const arnPrefix = `arn:aws:execute-api:${region}:${accountId}:${apiId}`
    const endpointType = spec.endpointConfiguration?.type === 'PRIVATE' ? 'PRIVATE' : 'REGIONAL'
    const apiEndpoints: CompiledEndpoint[] = []
    ;(spec.endpointConfiguration?.vpcEndpointIds ?? []).forEach((name, i) => {
      const e = endpoints.get(key(ref.namespace, name))
      if (e) apiEndpoints.push(e)
      else
        err(
          file,
          ref,
          `spec.endpointConfiguration.vpcEndpointIds[${i}]`,
          `PrivateEndpoint ${ref.namespace}/${name} not found or invalid`,
        )
    })
    if (
      endpointType === 'PRIVATE' &&
      (spec.endpointConfiguration?.vpcEndpointIds ?? []).length === 0
    ) {
      err(
        file,
        ref,
        'spec.endpointConfiguration.vpcEndpointIds',
        'a PRIVATE API needs at least one PrivateEndpoint',
      )
    }
    const resourcePolicy =
      spec.policy === undefined
        ? undefined
        : policyErrors(file, ref, 'spec.policy', spec.policy, 'resource', arnPrefix)
    const routeInputs = spec.routes.map((r, i) => {
      const authorizationType = (r.authorizationType ?? 'NONE') as AuthorizationType
      let authorizer: CompiledAuthorizer | undefined
      const wanted = AUTHORIZER_TYPES_FOR[authorizationType]
      if (wanted) {
        if (r.authorizerName === undefined) {
          err(
            file,
            ref,
            `spec.routes[${i}].authorizerName`,
            `required for authorizationType ${authorizationType}`,
          )
        } else {
          const found = authorizers.get(key(ref.namespace, r.authorizerName))
          const declared = input.authorizers.find(
            (a) => a.ref.namespace === ref.namespace && a.ref.name === r.authorizerName,
          )
          if (declared === undefined) {
            err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} not found`,
            )
          } else if (!wanted.includes(declared.spec.type)) {
            err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} has type ${declared.spec.type}; ${authorizationType} needs ${wanted.join(' or ')}`,
            )
          } else if (found === undefined && opts.authorizerCompiler !== undefined) {
            err(
              file,
              ref,
              `spec.routes[${i}].authorizerName`,
              `Authorizer ${ref.namespace}/${r.authorizerName} is invalid`,
            )
          }
          authorizer = found
        }
      }
      const route: CompiledRoute = Object.freeze({
        path: r.path,
        methods: r.methods,
        authorizationType,
        authorizer,
        authorizationScopes: r.authorizationScopes ?? [],
        apiKeyRequired: r.apiKeyRequired ?? false,
      })
      return { path: r.path, methods: r.methods, route }
    })
    const { table, errors: routeErrors } = buildRouteTable(routeInputs)
    for (const e of routeErrors) err(file, ref, `spec.routes[${e.index}].path`, e.message)
    if (errors.length !== before || (spec.policy !== undefined && resourcePolicy === undefined))
      continue
    apisByRef.set(
      apiRef,
      Object.freeze({
        ref: apiRef,
        namespace: ref.namespace,
        name: ref.name,
        apiId,
        accountId,
        region,
        stage,
        stageVariables: spec.stageVariables ?? {},
        endpointType,
        endpoints: apiEndpoints,
        resourcePolicy,
        arnPrefix,
        routes: table,
        apiKeySource: spec.apiKeySource === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
      }),
    )
    apiFiles.set(apiRef, m)
  }

  // Hosts: from hosts[] and from annotated Services.
  const hostClaims = new Map<
    string,
    { api: string; file: string; ref: ObjectRef; path: string }[]
  >()
  const claim = (host: string, api: string, file: string, ref: ObjectRef, path: string) => {
    const h = host.toLowerCase()
    const list = hostClaims.get(h) ?? []
    list.push({ api, file, ref, path })
    hostClaims.set(h, list)
  }
  for (const [apiRef, m] of apiFiles) {
    const spec = m.spec as { hosts?: readonly string[] }
    ;(spec.hosts ?? []).forEach((h, i) => {
      claim(h, apiRef, m.file, m.ref, `spec.hosts[${i}]`)
    })
  }
  for (const s of input.services) {
    const apiRef = key(s.ref.namespace, s.restApi)
    if (!apisByRef.has(apiRef)) {
      err(
        s.file,
        s.ref,
        'metadata.annotations[portcullis.dev/rest-api]',
        `RestApi ${apiRef} not found or invalid`,
      )
      continue
    }
    counts.Service++
    for (const h of [
      `${s.ref.name}.${s.ref.namespace}.svc.cluster.local`,
      `${s.ref.name}.${s.ref.namespace}.svc`,
      `${s.ref.name}.${s.ref.namespace}`,
    ]) {
      claim(h, apiRef, s.file, s.ref, 'metadata.annotations[portcullis.dev/rest-api]')
    }
  }
  const apisByHost = new Map<string, CompiledApi>()
  const wildcardHosts: { suffix: string; api: CompiledApi }[] = []
  const rejectedApis = new Set<string>()
  for (const [host, claims] of hostClaims) {
    const owners = [...new Set(claims.map((c) => c.api))]
    let winner = owners[0] ?? ''
    if (owners.length > 1) {
      const prev =
        opts.previous?.apisByHost.get(host)?.ref ??
        opts.previous?.wildcardHosts.find((w) => `*${w.suffix}` === host)?.api.ref
      winner = prev !== undefined && owners.includes(prev) ? prev : ([...owners].sort()[0] ?? '')
      for (const c of claims) {
        if (c.api !== winner) {
          err(c.file, c.ref, c.path, `host ${host} is already served by RestApi ${winner}`)
          rejectedApis.add(c.api)
        }
      }
    }
  }
  for (const r of rejectedApis) apisByRef.delete(r)
  for (const [host, claims] of hostClaims) {
    const api = apisByRef.get(claims[0]?.api ?? '')
    const owner = claims.find((c) => apisByRef.has(c.api))
    const target = owner ? apisByRef.get(owner.api) : api
    if (!target) continue
    if (host.startsWith('*.')) wildcardHosts.push({ suffix: host.slice(1), api: target })
    else apisByHost.set(host, target)
  }
  wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length)
  counts['RestApi'] = apisByRef.size

  const snapshot: Snapshot = Object.freeze({
    generation: opts.generation,
    apisByRef,
    apisByHost,
    wildcardHosts: Object.freeze(wildcardHosts),
    accessKeys,
    authorizers,
    objectCounts: Object.freeze(counts),
    defaults: opts.defaults,
    sts: Object.freeze({ roles, providers }),
    ...(opts.workloads ? { workloads: opts.workloads } : {}),
  })
  return { snapshot, errors, warnings }
}

function sortByRef<T extends { ref: ObjectRef }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) =>
    key(a.ref.namespace, a.ref.name).localeCompare(key(b.ref.namespace, b.ref.name)),
  )
}

/**
 * Condition keys of an IAM principal (reference §2.5). `aws:userid` is AWS's unique ID, which a
 * manifest does not carry: we use the ARN's name part for users and `role:session` for sessions.
 */
function principalConditionKeys(
  arn: string,
  type: string,
  accountId: string,
  tags: Readonly<Record<string, string>>,
): ReadonlyMap<string, string> {
  const m = new Map<string, string>()
  const resource = arn.slice(
    arn.indexOf(
      ':',
      arn.indexOf(':', arn.indexOf(':', arn.indexOf(':', arn.indexOf(':') + 1) + 1) + 1) + 1,
    ) + 1,
  )
  const parts = resource.split('/')
  const name = parts[parts.length - 1] ?? ''
  m.set(
    'aws:principalarn',
    type === 'assumed-role' ? `arn:aws:iam::${accountId}:role/${parts[1] ?? ''}` : arn,
  )
  m.set('aws:principalaccount', accountId)
  m.set(
    'aws:principaltype',
    type === 'user'
      ? 'User'
      : type === 'role'
        ? 'AssumedRole'
        : type === 'assumed-role'
          ? 'AssumedRole'
          : 'Account',
  )
  if (type === 'user') {
    m.set('aws:username', name)
    m.set('aws:userid', name)
  } else if (type === 'assumed-role') {
    m.set('aws:userid', `${parts[1] ?? ''}:${name}`)
  } else {
    m.set('aws:userid', name)
  }
  for (const [k, v] of Object.entries(tags)) m.set(`aws:principaltag/${k.toLowerCase()}`, v)
  return m
}

/**
 * A role Principal as STS sees it: its trust policy and longest session. A role without a trust
 * policy compiles (it still signs with access keys) but nobody can assume it.
 */
function compileRole(
  spec: PrincipalInputSpec,
  principal: CompiledPrincipal,
  owner: string | undefined,
  err: (path: string, message: string) => void,
): StsRole | undefined {
  if (owner !== undefined) {
    err('spec.arn', `role ${spec.arn} is already declared by Principal ${owner}`)
    return undefined
  }
  let trust: CompiledPolicy | undefined
  if (spec.assumeRolePolicyDocument !== undefined) {
    const parsed = parsePolicyDocument(spec.assumeRolePolicyDocument)
    const res = parsed.ok ? compilePolicy(parsed.document, { kind: 'trust' }) : undefined
    if (!parsed.ok) {
      err('spec.assumeRolePolicyDocument', parsed.message)
      return undefined
    }
    if (res?.ok !== true) {
      for (const e of res?.errors ?? []) {
        err(
          e.path === ''
            ? 'spec.assumeRolePolicyDocument'
            : `spec.assumeRolePolicyDocument.${e.path}`,
          e.message,
        )
      }
      return undefined
    }
    trust = res.policy
  }
  return Object.freeze({
    arn: spec.arn,
    accountId: principal.accountId,
    name: spec.arn.slice(spec.arn.lastIndexOf('/') + 1),
    roleId: roleIdFor(spec.arn),
    trust,
    maxSessionDuration: spec.maxSessionDuration ?? DEFAULT_SESSION_DURATION,
    principal,
  })
}
