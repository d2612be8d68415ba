/**
 * Manifest text → validated, defaulted, typed objects (the five Portcullis kinds, v1 Secrets, annotated
 * v1 Services) or ConfigErrors with file, object ref and field path. Never throws.
 *
 * Decisions: an object without `metadata.namespace` lands in `default` (what `kubectl apply` does
 * without `-n`); schema defaults are applied as the API server would (stage `prod`, TTL 300, ...);
 * policy documents given as JSON strings are parsed into objects; other kinds are ignored with a warning.
 *
 * @module
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { Type, type TSchema } from '@sinclair/typebox'
import { parseAllDocuments } from 'yaml'
import {
  REST_API_ANNOTATION,
  SecretManifest,
  ServiceManifest,
  type ServicePort,
} from '../api/core-v1.js'
import {
  API_VERSION,
  isPortcullisKind,
  KIND_INFO,
  KINDS,
  ObjectMeta,
  parsePolicyDocument,
  policyFieldsOf,
  validateSemantics,
  type Authorizer,
  type FieldError,
  type LoadedObjectMeta,
  type Policy,
  type PolicyFieldKind,
  type PortcullisKind,
  type Principal,
  type PrivateEndpoint,
  type IdentityProvider,
  type RestApi,
} from '../api/v1alpha1/index.js'

export const DEFAULT_NAMESPACE = 'default'

/** Identifies one object: `kind/namespace/name`. */
export interface ObjectRef {
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

/** A configuration problem: which file, which object, which field, what is wrong. */
export interface ConfigError {
  readonly code: 'ERR_CONFIG_INVALID_MANIFEST'
  readonly file: string
  readonly ref?: ObjectRef
  /** Field path such as `spec.routes[0].path`; empty when the problem is the file or the object. */
  readonly path: string
  readonly message: string
}

/** `file: kind/namespace/name: field: problem`, leaving out the parts an error does not have. */
export function formatConfigError(e: ConfigError): string {
  const parts = [e.file]
  if (e.ref !== undefined) parts.push(formatObjectRef(e.ref))
  if (e.path !== '') parts.push(e.path)
  parts.push(e.message)
  return parts.join(': ')
}

export function formatObjectRef(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`
}

interface Loaded<K extends string> {
  readonly kind: K
  readonly ref: ObjectRef
  /** File the object came from (or a source label such as `kubernetes`). */
  readonly file: string
  readonly metadata: LoadedObjectMeta
}

export type LoadedRestApi = Loaded<'RestApi'> & {
  readonly object: RestApi
  readonly spec: RestApi['spec']
}
export type LoadedAuthorizer = Loaded<'Authorizer'> & {
  readonly object: Authorizer
  readonly spec: Authorizer['spec']
}
export type LoadedPrincipal = Loaded<'Principal'> & {
  readonly object: Principal
  readonly spec: Principal['spec']
}
export type LoadedPolicy = Loaded<'Policy'> & {
  readonly object: Policy
  readonly spec: Policy['spec']
}
export type LoadedPrivateEndpoint = Loaded<'PrivateEndpoint'> & {
  readonly object: PrivateEndpoint
  readonly spec: PrivateEndpoint['spec']
}
export type LoadedIdentityProvider = Loaded<'IdentityProvider'> & {
  readonly object: IdentityProvider
  readonly spec: IdentityProvider['spec']
}
export type LoadedSecret = Loaded<'Secret'> & {
  /** Decoded values (`data` base64-decoded as UTF-8, overlaid by `stringData`, as the API server does). */
  readonly data: Readonly<Record<string, string>>
}
export type LoadedService = Loaded<'Service'> & {
  /** The RestApi named by the `portcullis.dev/rest-api` annotation. */
  readonly restApi: { readonly namespace: string; readonly name: string }
  readonly selector: Readonly<Record<string, string>> | undefined
  readonly ports: readonly ServicePort[]
  readonly clusterIP: string | undefined
}

export type LoadedObject =
  | LoadedRestApi
  | LoadedAuthorizer
  | LoadedPrincipal
  | LoadedPolicy
  | LoadedPrivateEndpoint
  | LoadedIdentityProvider
  | LoadedSecret
  | LoadedService

/** Checks a policy document with the policy engine; paths are relative to the document. */
export type ValidatePolicyHook = (
  doc: unknown,
  kind: PolicyFieldKind,
) => readonly { readonly path: string; readonly message: string }[]

export interface ParseOptions {
  /** Called for every policy document field after it parsed as an object. */
  readonly validatePolicy?: ValidatePolicyHook
}

export interface ManifestLoadResult {
  readonly objects: LoadedObject[]
  readonly errors: ConfigError[]
  readonly warnings: string[]
}

// ---------------------------------------------------------------------------------------------------
// Validators, compiled once per process.

/** Ajv that knows the Kubernetes schema extensions as annotations (they carry no Ajv semantics). */
function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: true,
    coerceTypes: false,
    // `verbose` gives each error its offending value, shown as `(got ...)` except for Secrets.
    verbose: true,
  })
  for (const keyword of [
    'x-kubernetes-validations',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
  ]) {
    ajv.addKeyword(keyword)
  }
  return ajv
}

function objectSchema(kind: PortcullisKind): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: ObjectMeta,
      spec: KIND_INFO[kind].spec,
      // Status is written by Portcullis; a manifest exported with `kubectl get -o yaml` may carry one.
      status: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  )
}

interface Validators {
  readonly kinds: { readonly [K in PortcullisKind]: ValidateFunction }
  readonly secret: ValidateFunction
  readonly service: ValidateFunction
}

let validators: Validators | undefined

function getValidators(): Validators {
  if (validators === undefined) {
    const ajv = createAjv()
    const kinds = Object.fromEntries(KINDS.map((k) => [k, ajv.compile(objectSchema(k))])) as {
      [K in PortcullisKind]: ValidateFunction
    }
    validators = {
      kinds,
      secret: ajv.compile(SecretManifest),
      service: ajv.compile(ServiceManifest),
    }
  }
  return validators
}

// ---------------------------------------------------------------------------------------------------
// Ajv errors → field paths and plain messages.

/** `/spec/routes/0/path` → `spec.routes[0].path`; odd keys as `["app.kubernetes.io/name"]`. */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return ''
  let out = ''
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    out = /^[0-9]+$/.test(key) ? `${out}[${key}]` : joinPath(out, key)
  }
  return out
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

function joinPath(base: string, key: string): string {
  if (IDENTIFIER.test(key)) return base === '' ? key : `${base}.${key}`
  return `${base}[${JSON.stringify(key)}]`
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 64 ? `${text.slice(0, 61)}...` : text
}

function toFieldError(e: ErrorObject, redact: boolean): FieldError {
  const base = jsonPointerToPath(e.instancePath)
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return { path: joinPath(base, String(params['missingProperty'])), message: 'is required' }
    case 'additionalProperties':
      return {
        path: joinPath(base, String(params['additionalProperty'])),
        message: 'unknown field',
      }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ')
      return {
        path: base,
        message: `must be one of ${allowed}${redact ? '' : ` (got ${describeValue(e.data)})`}`,
      }
    }
    case 'const':
      return { path: base, message: `must be ${describeValue(params['allowedValue'])}` }
    case 'pattern':
      return {
        path: base,
        message: `must match pattern "${String(params['pattern'])}"${redact ? '' : ` (got ${describeValue(e.data)})`}`,
      }
    case 'type':
      return { path: base, message: `must be ${String(params['type'])}` }
    default:
      return { path: base, message: e.message ?? `fails ${e.keyword}` }
  }
}

function schemaErrors(validate: ValidateFunction, redact: boolean): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const e of validate.errors ?? []) {
    // `propertyNames` reports twice (the name's pattern, then propertyNames itself): keep the first.
    if (e.keyword === 'propertyNames') continue
    const fe = toFieldError(e, redact)
    const key = `${fe.path}\u0000${fe.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(fe)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// One object.

export type ParseObjectResult =
  | { readonly status: 'loaded'; readonly object: LoadedObject }
  | { readonly status: 'invalid'; readonly errors: ConfigError[] }
  | { readonly status: 'ignored'; readonly warning: string }

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function refOf(raw: Record<string, unknown>, kind: string): ObjectRef {
  const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {}
  const name =
    typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : '<unnamed>'
  const ns =
    typeof metadata['namespace'] === 'string' && metadata['namespace'] !== ''
      ? metadata['namespace']
      : DEFAULT_NAMESPACE
  return { kind, namespace: ns, name }
}

/**
 * Classifies, validates and defaults one decoded object. The input is not modified. Used for files
 * (via {@link parseManifestText}) and for objects read from the Kubernetes API.
 */
export function parseManifestObject(
  raw: unknown,
  file: string,
  options: ParseOptions = {},
): ParseObjectResult {
  if (!isRecord(raw)) {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          undefined,
          '',
          'must be a Kubernetes object (a mapping with apiVersion and kind)',
        ),
      ],
    }
  }
  const apiVersion = raw['apiVersion']
  const kind = raw['kind']
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          undefined,
          typeof apiVersion !== 'string' ? 'apiVersion' : 'kind',
          'is required',
        ),
      ],
    }
  }
  const ref = refOf(raw, kind)
  if (apiVersion === API_VERSION && isPortcullisKind(kind))
    return parsePortcullis(raw, kind, ref, file, options)
  if (apiVersion.startsWith(`${API_VERSION.split('/')[0] ?? ''}/`)) {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          ref,
          '',
          `unknown kind or version ${apiVersion} ${kind} (this build serves ${API_VERSION} ${KINDS.join(', ')})`,
        ),
      ],
    }
  }
  if (apiVersion === 'v1' && kind === 'Secret') return parseSecret(raw, ref, file)
  if (apiVersion === 'v1' && kind === 'Service') {
    const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {}
    const annotations = isRecord(metadata['annotations']) ? metadata['annotations'] : {}
    if (annotations[REST_API_ANNOTATION] === undefined) {
      return {
        status: 'ignored',
        warning: `${file}: ${formatObjectRef(ref)}: ignored (Service without the ${REST_API_ANNOTATION} annotation)`,
      }
    }
    return parseService(raw, ref, file)
  }
  return {
    status: 'ignored',
    warning: `${file}: ${apiVersion} ${formatObjectRef(ref)}: ignored (not a Portcullis kind, Secret or annotated Service)`,
  }
}

function configError(
  file: string,
  ref: ObjectRef | undefined,
  path: string,
  message: string,
): ConfigError {
  return ref === undefined
    ? { code: 'ERR_CONFIG_INVALID_MANIFEST', file, path, message }
    : { code: 'ERR_CONFIG_INVALID_MANIFEST', file, ref, path, message }
}

function withNamespace(metadata: Record<string, unknown>): LoadedObjectMeta {
  const namespace =
    typeof metadata['namespace'] === 'string' ? metadata['namespace'] : DEFAULT_NAMESPACE
  return { ...metadata, namespace } as LoadedObjectMeta
}

function parsePortcullis(
  raw: Record<string, unknown>,
  kind: PortcullisKind,
  ref: ObjectRef,
  file: string,
  options: ParseOptions,
): ParseObjectResult {
  const copy = structuredClone(raw)
  const validate = getValidators().kinds[kind]
  if (!validate(copy)) {
    return {
      status: 'invalid',
      errors: schemaErrors(validate, false).map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const spec = copy['spec'] as Record<string, unknown>
  const fieldErrors = validateSemantics(kind, spec)
  // Policy documents: JSON strings become objects, then the policy engine (if any) checks the grammar.
  if (fieldErrors.length === 0) {
    for (const field of policyFieldsOf(kind, spec)) {
      const parsed = parsePolicyDocument(field.value)
      if (!parsed.ok) continue // already reported by validateSemantics
      setAtPath(spec, field.path, parsed.document)
      for (const pe of safeValidatePolicy(options.validatePolicy, parsed.document, field.kind)) {
        fieldErrors.push({
          path: pe.path === '' ? field.path : `${field.path}.${pe.path}`,
          message: pe.message,
        })
      }
    }
  }
  if (fieldErrors.length > 0) {
    return {
      status: 'invalid',
      errors: fieldErrors.map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const metadata = withNamespace(copy['metadata'] as Record<string, unknown>)
  const object = { ...copy, metadata } as unknown as RestApi
  return {
    status: 'loaded',
    object: { kind, ref, file, metadata, object, spec: object.spec } as unknown as LoadedObject,
  }
}

function safeValidatePolicy(
  hook: ValidatePolicyHook | undefined,
  doc: unknown,
  kind: PolicyFieldKind,
): readonly { readonly path: string; readonly message: string }[] {
  if (hook === undefined) return []
  try {
    return hook(doc, kind)
  } catch (err) {
    // A crashing validator must not let an unchecked policy through.
    return [{ path: '', message: `policy validation failed: ${(err as Error).message}` }]
  }
}

/** Sets `spec.policies[0].policyDocument`-style paths (relative to spec, first segment `spec`). */
function setAtPath(spec: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path
    .replace(/^spec\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== '')
  let node: unknown = spec
  for (const [i, key] of keys.entries()) {
    if (node === null || typeof node !== 'object') return
    const container = node as Record<string, unknown>
    if (i === keys.length - 1) container[key] = value
    else node = container[key]
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function parseSecret(
  raw: Record<string, unknown>,
  ref: ObjectRef,
  file: string,
): ParseObjectResult {
  const validate = getValidators().secret
  const copy = structuredClone(raw)
  // Secret values never appear in messages (redact = true).
  if (!validate(copy)) {
    return {
      status: 'invalid',
      errors: schemaErrors(validate, true).map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const secret = copy as unknown as SecretManifest
  const data: Record<string, string> = {}
  const errors: ConfigError[] = []
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    const compact = value.replace(/\s+/g, '')
    if (!BASE64.test(compact)) {
      errors.push(configError(file, ref, joinPath('data', key), 'is not valid base64'))
    } else data[key] = Buffer.from(compact, 'base64').toString('utf8')
  }
  for (const [key, value] of Object.entries(secret.stringData ?? {})) data[key] = value
  if (errors.length > 0) return { status: 'invalid', errors }
  const metadata = withNamespace(secret.metadata)
  return { status: 'loaded', object: { kind: 'Secret', ref, file, metadata, data } }
}

const REST_API_REF =
  /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/

function parseService(
  raw: Record<string, unknown>,
  ref: ObjectRef,
  file: string,
): ParseObjectResult {
  const validate = getValidators().service
  const copy = structuredClone(raw)
  if (!validate(copy)) {
    return {
      status: 'invalid',
      errors: schemaErrors(validate, false).map((e) => configError(file, ref, e.path, e.message)),
    }
  }
  const service = copy as unknown as ServiceManifest
  const metadata = withNamespace(service.metadata)
  const value = metadata.annotations?.[REST_API_ANNOTATION] ?? ''
  const m = REST_API_REF.exec(value)
  if (m === null) {
    return {
      status: 'invalid',
      errors: [
        configError(
          file,
          ref,
          `metadata.annotations["${REST_API_ANNOTATION}"]`,
          'must name a RestApi: <name> or <namespace>/<name>',
        ),
      ],
    }
  }
  return {
    status: 'loaded',
    object: {
      kind: 'Service',
      ref,
      file,
      metadata,
      restApi: { namespace: m[1] ?? metadata.namespace, name: m[3] ?? '' },
      selector: service.spec?.selector,
      ports: service.spec?.ports ?? [],
      clusterIP: service.spec?.clusterIP,
    },
  }
}

// ---------------------------------------------------------------------------------------------------
// One file's text.

/** Maximum nesting of YAML aliases resolved per document (billion-laughs guard). */
const MAX_ALIAS_COUNT = 100

/**
 * Parses one file's text: multi-document YAML, or JSON (a single object or a `kind: List`), into
 * raw objects, then {@link parseManifestObject} each. `List` objects are flattened in YAML too.
 * A syntax error makes the whole file one error (its other documents are not trusted either).
 */
export function parseManifestText(
  text: string,
  file: string,
  options: ParseOptions = {},
): ManifestLoadResult {
  const result: ManifestLoadResult = { objects: [], errors: [], warnings: [] }
  const raws: unknown[] = []
  if (file.toLowerCase().endsWith('.json')) {
    try {
      raws.push(JSON.parse(text) as unknown)
    } catch (err) {
      result.errors.push(
        configError(file, undefined, '', `invalid JSON: ${(err as Error).message}`),
      )
      return result
    }
  } else {
    try {
      const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })
      const list = Array.isArray(docs) ? docs : [docs]
      for (const doc of list) {
        const problem = doc.errors[0]
        if (problem !== undefined) {
          result.errors.push(
            configError(
              file,
              undefined,
              '',
              `invalid YAML: ${problem.message.split('\n')[0] ?? ''}`,
            ),
          )
          return result
        }
      }
      for (const doc of list) {
        const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown
        if (value !== null && value !== undefined) raws.push(value)
      }
    } catch (err) {
      result.errors.push(
        configError(
          file,
          undefined,
          '',
          `invalid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
        ),
      )
      return result
    }
  }
  for (const raw of flattenLists(raws)) {
    const r = parseManifestObject(raw, file, options)
    if (r.status === 'loaded') result.objects.push(r.object)
    else if (r.status === 'invalid') result.errors.push(...r.errors)
    else result.warnings.push(r.warning)
  }
  return result
}

function flattenLists(raws: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const raw of raws) {
    if (
      isRecord(raw) &&
      typeof raw['kind'] === 'string' &&
      raw['kind'].endsWith('List') &&
      Array.isArray(raw['items'])
    ) {
      out.push(...flattenLists(raw['items'] as unknown[]))
    } else out.push(raw)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// A set of objects.

/**
 * Checks that need every object: duplicates (same kind/namespace/name: the later one is rejected) and
 * access key IDs used by two Principals. Returns the surviving objects and the errors.
 */
export function checkObjectSet(objects: readonly LoadedObject[]): {
  objects: LoadedObject[]
  errors: ConfigError[]
} {
  const errors: ConfigError[] = []
  const byRef = new Map<string, LoadedObject>()
  const kept: LoadedObject[] = []
  for (const o of objects) {
    const key = formatObjectRef(o.ref)
    const first = byRef.get(key)
    if (first !== undefined) {
      errors.push(
        configError(o.file, o.ref, '', `duplicate object (first defined in ${first.file})`),
      )
      continue
    }
    byRef.set(key, o)
    kept.push(o)
  }
  const keyOwner = new Map<string, LoadedPrincipal>()
  const survivors: LoadedObject[] = []
  for (const o of kept) {
    if (o.kind === 'Principal') {
      const clash = (o.spec.accessKeys ?? []).findIndex((k) => keyOwner.has(k.accessKeyId))
      if (clash >= 0) {
        const owner = keyOwner.get(o.spec.accessKeys?.[clash]?.accessKeyId ?? '')
        errors.push(
          configError(
            o.file,
            o.ref,
            `spec.accessKeys[${clash}].accessKeyId`,
            `access key ID already belongs to ${owner === undefined ? '?' : formatObjectRef(owner.ref)}`,
          ),
        )
        continue
      }
      for (const k of o.spec.accessKeys ?? []) keyOwner.set(k.accessKeyId, o)
    }
    survivors.push(o)
  }
  return { objects: survivors, errors }
}
