/**
 * An ApiKey and the Secret holding its value, as test configuration YAML (namespace `shop`), each
 * document ended by `---` so several can be written one after the other.
 *
 * @module
 */
export function apiKeyManifests(
  name: string,
  value: string,
  opts: { readonly enabled?: boolean; readonly customerId?: string } = {},
): string {
  const customer = opts.customerId === undefined ? '' : `\n  customerId: ${opts.customerId}`
  return `
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: shop}
stringData: {value: ${value}}
---
apiVersion: portcullis.dev/v1alpha1
kind: ApiKey
metadata: {name: ${name}, namespace: shop}
spec:
  valueFrom: {secretKeyRef: {name: ${name}, key: value}}
  enabled: ${String(opts.enabled ?? true)}${customer}
---`
}
