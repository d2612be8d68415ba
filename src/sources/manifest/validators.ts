/**
 * The Ajv validators of every kind the loader reads, compiled once per process: the Portcullis kinds
 * (their CRD schemas wrapped in apiVersion/kind/metadata), v1 Secrets and v1 Services.
 *
 * @module
 */
import { Ajv, type ValidateFunction } from 'ajv'
import { Type, type TSchema } from '@sinclair/typebox'
import { SecretManifest, ServiceManifest } from '../../api/core-v1.js'
import {
  API_VERSION,
  KIND_INFO,
  KINDS,
  ObjectMeta,
  type PortcullisKind,
} from '../../api/v1alpha1/index.js'
import { recordOf } from '../../lib/record-of.js'

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

export interface Validators {
  readonly kinds: { readonly [K in PortcullisKind]: ValidateFunction }
  readonly secret: ValidateFunction
  readonly service: ValidateFunction
}

let validators: Validators | undefined

export function getValidators(): Validators {
  if (validators === undefined) {
    const ajv = createAjv()
    const kinds = recordOf(KINDS, (k) => ajv.compile(objectSchema(k)))
    validators = {
      kinds,
      secret: ajv.compile(SecretManifest),
      service: ajv.compile(ServiceManifest),
    }
  }
  return validators
}
