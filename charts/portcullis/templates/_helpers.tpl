{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "portcullis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: `<release>-<chart>`, or the release name when it already contains the chart name.
Fails instead of silently truncating a name the user chose.
*/}}
{{- define "portcullis.fullname" -}}
{{- $name := "" }}
{{- if .Values.fullnameOverride }}
{{- $name = .Values.fullnameOverride }}
{{- else }}
{{- $chart := default .Chart.Name .Values.nameOverride }}
{{- if contains $chart .Release.Name }}
{{- $name = .Release.Name }}
{{- else }}
{{- $name = printf "%s-%s" .Release.Name $chart }}
{{- end }}
{{- end }}
{{- if gt (len $name) 63 }}
{{- fail (printf "resource name %q is longer than 63 characters: set fullnameOverride" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{- define "portcullis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "portcullis.labels" -}}
helm.sh/chart: {{ include "portcullis.chart" . }}
{{ include "portcullis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: portcullis
{{- end }}

{{/* Labels that select the pods (immutable in a Deployment: never add version labels here). */}}
{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portcullis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "portcullis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "portcullis.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The default account ID as a string. `--set accountId=111122223333` (and an unquoted number in a
values file) arrives as a number, which has lost any leading zero an account ID may have: refuse it
and say how to pass a string.
*/}}
{{- define "portcullis.accountId" -}}
{{- $id := .Values.accountId }}
{{- if not (kindIs "string" $id) }}
{{- $shown := printf "%v" $id }}
{{- if kindIs "float64" $id }}{{ $shown = printf "%.0f" $id }}{{ end }}
{{- fail (printf "accountId must be a string of 12 digits, got the number %s (a number drops an account ID's leading zeros): use --set-string accountId=<12 digits> instead of --set, or quote it in a values file (accountId: \"012345678901\")" $shown) }}
{{- end }}
{{- $id }}
{{- end }}

{{- define "portcullis.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Whether the ServiceMonitor renders: always, or when the cluster serves the CRD. */}}
{{- define "portcullis.renderServiceMonitor" -}}
{{- if and .Values.serviceMonitor.enabled (or (eq .Values.serviceMonitor.renderMode "always") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor")) -}}
true
{{- else -}}
false
{{- end }}
{{- end }}

{{/* RBAC rules on namespaced objects: cluster-wide when watch.namespaces is empty, else one Role per namespace. */}}
{{- define "portcullis.namespacedRules" }}
# Configuration: the Portcullis kinds.
- apiGroups: ["portcullis.dev"]
  resources: [{{ include "portcullis.kindResources" . }}]
  verbs: [get, list, watch]
# The leader reports Ready conditions and observedGeneration.
- apiGroups: ["portcullis.dev"]
  resources: [{{ include "portcullis.kindStatusResources" . }}]
  verbs: [get, update, patch]
# Secrets referenced by Principals (access keys) and ApiKeys (key values), and bound Services.
- apiGroups: [""]
  resources: [secrets, services]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if .Values.networkPolicies.enabled }}
# Isolation of pods behind PRIVATE RestApis.
- apiGroups: ["networking.k8s.io"]
  resources: [networkpolicies]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end }}
{{- end }}

{{/* Whether the PrometheusRule renders: always, or when the cluster serves the CRD. */}}
{{- define "portcullis.renderPrometheusRule" -}}
{{- if and .Values.prometheusRule.enabled (or (eq .Values.prometheusRule.renderMode "always") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule")) -}}
true
{{- else -}}
false
{{- end }}
{{- end }}
