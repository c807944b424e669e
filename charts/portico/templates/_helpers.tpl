{{/*
Names, labels and the controller's command line. Every flag of `portico serve` is rendered from
values here, in "portico.args", and nowhere else.
*/}}

{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "portico.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name of the release's objects: `<release>-<chart>`, or `<release>` when the
release name already contains the chart name. Truncated to 63 characters.
*/}}
{{- define "portico.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* `helm.sh/chart` label value. */}}
{{- define "portico.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "portico.labels" -}}
helm.sh/chart: {{ include "portico.chart" . }}
{{ include "portico.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: portico
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the controller's pods: stable across upgrades, never add to them. */}}
{{- define "portico.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portico.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Name of the ServiceAccount the pods run as. */}}
{{- define "portico.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "portico.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Container image reference: repository, then `@digest` or `:tag` (default: appVersion). */}}
{{- define "portico.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* Name of the leader-election Lease. */}}
{{- define "portico.electionID" -}}
{{- default (printf "%s-leader" (include "portico.fullname" .)) .Values.controller.electionID }}
{{- end }}

{{/* `NS/NAME` of a Secret given as `NAME` (release namespace) or `NS/NAME`. */}}
{{- define "portico.defaultTLSSecret" -}}
{{- $name := .Values.controller.defaultTLS.secretName }}
{{- if contains "/" $name }}
{{- $name }}
{{- else }}
{{- printf "$(POD_NAMESPACE)/%s" $name }}
{{- end }}
{{- end }}

{{/* "true" when a container port is below 1024 and so needs CAP_NET_BIND_SERVICE, else "". */}}
{{- define "portico.needsNetBindService" -}}
{{- range $name, $port := .Values.controller.containerPorts }}
{{- if lt (int $port) 1024 }}true{{ end }}
{{- end }}
{{- end }}

{{/*
Container security context: the values, with capabilities set by the chart: drop ALL, and add
NET_BIND_SERVICE only when a container port is below 1024.
*/}}
{{- define "portico.containerSecurityContext" -}}
{{- $sc := deepCopy .Values.controller.containerSecurityContext }}
{{- $caps := dict "drop" (list "ALL") }}
{{- if include "portico.needsNetBindService" . }}
{{- $_ := set $caps "add" (list "NET_BIND_SERVICE") }}
{{- end }}
{{- $_ := set $sc "capabilities" $caps }}
{{- toYaml $sc }}
{{- end }}

{{/*
The controller's command line, one list item per argument. `$(POD_NAMESPACE)` is expanded by
Kubernetes from the container's environment (downward API).
*/}}
{{- define "portico.args" -}}
{{- $c := .Values.controller -}}
- serve
- --http-addr=0.0.0.0:{{ $c.containerPorts.http }}
- --https-addr=0.0.0.0:{{ $c.containerPorts.https }}
- --admin-addr=0.0.0.0:{{ $c.containerPorts.metrics }}
- --ingress-class={{ .Values.ingressClassResource.name }}
- --controller-class={{ .Values.ingressClassResource.controllerValue }}
{{- if $c.watchIngressWithoutClass }}
- --watch-ingress-without-class
{{- end }}
- --annotations-prefix={{ $c.annotationsPrefix }}
- --configmap=$(POD_NAMESPACE)/{{ include "portico.fullname" . }}
{{- with $c.defaultBackendService }}
- --default-backend-service={{ . }}
{{- end }}
{{- with $c.scope.namespace }}
- --watch-namespace={{ . }}
{{- end }}
{{- if $c.publishStatusAddress }}
- --publish-status-address={{ $c.publishStatusAddress }}
{{- else if and $c.publishService.enabled $c.publishService.pathOverride }}
- --publish-service={{ $c.publishService.pathOverride }}
{{- else if and $c.publishService.enabled .Values.service.enabled }}
- --publish-service=$(POD_NAMESPACE)/{{ include "portico.fullname" . }}
{{- end }}
- --election-id={{ include "portico.electionID" . }}
{{- if $c.defaultTLS.secretName }}
- --default-ssl-certificate={{ include "portico.defaultTLSSecret" . }}
{{- end }}
- --log-format={{ $c.logFormat }}
- --shutdown-grace-secs={{ $c.shutdownGraceSeconds }}
{{- if $c.workers }}
- --workers={{ $c.workers }}
{{- end }}
{{- $m := .Values.metrics }}
{{- if not $m.perHost }}
- --metrics-per-host=false
{{- end }}
{{- if $m.perUndefinedHost }}
- --metrics-per-undefined-host=true
{{- end }}
{{- if $m.perPath }}
- --metrics-per-path=true
{{- end }}
{{- if $m.reportStatusClasses }}
- --report-status-classes=true
{{- end }}
{{- with $m.excludeSocketMetrics }}
- --exclude-socket-metrics={{ join "," . }}
{{- end }}
{{- with $m.timeBuckets }}
- --time-buckets={{ join "," . }}
{{- end }}
{{- with $m.lengthBuckets }}
- --length-buckets={{ join "," . }}
{{- end }}
{{- with $m.sizeBuckets }}
- --size-buckets={{ join "," . }}
{{- end }}
{{- range $flag, $value := $c.extraArgs }}
{{- if kindIs "bool" $value }}
{{- if $value }}
- --{{ $flag }}
{{- end }}
{{- else if or (kindIs "invalid" $value) (eq (toString $value) "") }}
- --{{ $flag }}
{{- else }}
- --{{ $flag }}={{ $value }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Whether the Deployment runs more than one pod, by replicaCount or the HPA's floor: then a
PodDisruptionBudget keeps a node drain from taking them all at once.
*/}}
{{- define "portico.pdbEnabled" -}}
{{- if .Values.podDisruptionBudget.enabled }}true
{{- else if eq .Values.controller.kind "Deployment" }}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) 1 }}true{{ end }}
{{- else if gt (int .Values.controller.replicaCount) 1 }}true
{{- end }}
{{- end }}
{{- end }}

{{/* Combinations of values the chart refuses, with the reason. */}}
{{- define "portico.validate" -}}
{{- if not (has .Values.controller.kind (list "Deployment" "DaemonSet")) }}
{{- fail (printf "controller.kind must be Deployment or DaemonSet, not %q" .Values.controller.kind) }}
{{- end }}
{{- if not (has .Values.service.type (list "NodePort" "LoadBalancer" "ClusterIP")) }}
{{- fail (printf "service.type must be NodePort, LoadBalancer or ClusterIP, not %q" .Values.service.type) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (eq .Values.controller.kind "DaemonSet") }}
{{- fail "autoscaling.enabled needs controller.kind=Deployment: a DaemonSet runs one pod per node" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled: the ServiceMonitor scrapes the metrics Service" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (not (or .Values.autoscaling.targetCPUUtilizationPercentage .Values.autoscaling.targetMemoryUtilizationPercentage)) }}
{{- fail "autoscaling.enabled needs a CPU or a memory target" }}
{{- end }}
{{- if not (has .Values.controller.logFormat (list "text" "json")) }}
{{- fail (printf "controller.logFormat must be text or json, not %q" .Values.controller.logFormat) }}
{{- end }}
{{- end }}

{{/*
RBAC rules for the namespaced kinds the controller reads and writes. They go into the ClusterRole,
or into a Role in the watched namespace when `controller.scope.namespace` is set.
*/}}
{{- define "portico.rbac.namespacedRules" -}}
# The objects the routing table is compiled from, read through list+watch reflectors.
# `get` is not needed: every read is served from the reflectors' caches.
- apiGroups: [""]
  resources: [configmaps, secrets, services]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [list, watch]
# The leader writes status.loadBalancer of the Ingresses it serves.
- apiGroups: [networking.k8s.io]
  resources: [ingresses/status]
  verbs: [update]
# Warning Events on Ingresses with diagnostics; core v1 and events.k8s.io/v1 are the same
# objects under two APIs, and client libraries write through either.
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}
