/**
 * `PrivateEndpoint`: the counterpart of a VPC interface endpoint. It says which in-cluster callers
 * (namespaces, pods, service accounts, IP blocks) reach PRIVATE APIs through it, and its endpoint policy.
 *
 * @module
 */
import { Type, type Static } from '@sinclair/typebox'
import { DNS_LABEL, DNS_SUBDOMAIN, LabelSelector, PolicyDocument, withRules } from './common.js'

export const IpBlock = Type.Object(
  {
    cidr: Type.String({
      description: 'IPv4 or IPv6 CIDR, e.g. `10.20.0.0/16`.',
      minLength: 3,
      maxLength: 64,
    }),
    except: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 64 }), {
        description: 'CIDRs inside `cidr` that are excluded.',
        maxItems: 64,
      }),
    ),
  },
  { additionalProperties: false },
)
export type IpBlock = Static<typeof IpBlock>

export const ServiceAccountRef = Type.Object(
  {
    namespace: Type.String({
      description: 'Namespace of the service account.',
      pattern: DNS_LABEL,
      maxLength: 63,
    }),
    name: Type.String({
      description: 'Service account name.',
      pattern: DNS_SUBDOMAIN,
      maxLength: 253,
    }),
  },
  { additionalProperties: false },
)
export type ServiceAccountRef = Static<typeof ServiceAccountRef>

export const EndpointSource = withRules(
  Type.Object(
    {
      namespaces: Type.Optional(
        Type.Array(Type.String({ pattern: DNS_LABEL, maxLength: 63 }), {
          description:
            'Namespaces whose workloads (SPIFFE `ns/<ns>`, or pod IPs in Kubernetes mode) are admitted.',
          maxItems: 64,
        }),
      ),
      namespaceSelector: Type.Optional(
        LabelSelector(
          'Namespaces selected by label (combined with podSelector when both are set).',
        ),
      ),
      podSelector: Type.Optional(
        LabelSelector(
          "Pods selected by label: in the namespaces namespaceSelector / namespaces select, else in the PrivateEndpoint's own namespace (as a NetworkPolicy peer).",
        ),
      ),
      serviceAccounts: Type.Optional(
        Type.Array(ServiceAccountRef, {
          description:
            'Service accounts, matched by SPIFFE principal `spiffe://<td>/ns/<ns>/sa/<sa>`.',
          maxItems: 64,
        }),
      ),
      ipBlocks: Type.Optional(
        Type.Array(IpBlock, { description: 'Source IP ranges.', maxItems: 64 }),
      ),
    },
    {
      description:
        'One admitted source, read like a NetworkPolicy peer: every field set in it must hold for the caller. Sources are alternatives: a caller matching any one of them comes through this endpoint.',
      additionalProperties: false,
    },
  ),
  [
    {
      rule: 'has(self.namespaces) || has(self.namespaceSelector) || has(self.podSelector) || has(self.serviceAccounts) || has(self.ipBlocks)',
      message:
        'a source needs at least one of namespaces, namespaceSelector, podSelector, serviceAccounts, ipBlocks',
      check: (s) =>
        s.namespaces !== undefined ||
        s.namespaceSelector !== undefined ||
        s.podSelector !== undefined ||
        s.serviceAccounts !== undefined ||
        s.ipBlocks !== undefined,
    },
  ],
)
export type EndpointSource = Static<typeof EndpointSource>

export const PrivateEndpointSpec = Type.Object(
  {
    sources: Type.Array(EndpointSource, {
      description:
        'Callers attributed to this endpoint (any one source suffices). The caller is identified by its SPIFFE principal (mTLS), its source IP, and in Kubernetes mode by the pod owning that IP.',
      minItems: 1,
      maxItems: 64,
    }),
    policy: Type.Optional(
      PolicyDocument('Endpoint policy (IAM JSON, object or JSON string). Default: allow all.'),
    ),
  },
  { additionalProperties: false, description: 'Desired state of a private endpoint.' },
)
export type PrivateEndpointSpec = Static<typeof PrivateEndpointSpec>
