/**
 * The two Kubernetes core kinds the loader reads: Secrets (values decoded, never shown in messages)
 * and Services annotated `portcullis.dev/rest-api` (the RestApi they bind, their selector and ports).
 *
 * @module
 */
import type { ObjectRef } from '../../api/object-ref.js'
import { REST_API_ANNOTATION, SecretManifest, ServiceManifest } from '../../api/core-v1.js'
import { joinPath, schemaErrors } from './field-paths.js'
import {
  configError,
  withNamespace,
  type ConfigError,
  type ParseObjectResult,
} from './loaded-object.js'
import { getValidators } from './validators.js'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function parseSecret(
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

export function parseService(
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
