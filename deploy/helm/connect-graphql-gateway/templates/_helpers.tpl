{{/* The chart's name, and the resources' name (63 characters at most: a DNS label). */}}
{{- define "connect-graphql-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "connect-graphql-gateway.fullname" -}}
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

{{- define "connect-graphql-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "connect-graphql-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "connect-graphql-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "connect-graphql-gateway.labels" -}}
helm.sh/chart: {{ include "connect-graphql-gateway.chart" . }}
{{ include "connect-graphql-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "connect-graphql-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "connect-graphql-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: the ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image: a digest pins it; else the tag, by default the chart's appVersion. */}}
{{- define "connect-graphql-gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* A digest names one image, kept once pulled; a tag may be pushed again, so it is pulled
each time a pod starts (a check of the manifest when the layers are there). */}}
{{- define "connect-graphql-gateway.pullPolicy" -}}
{{- .Values.image.pullPolicy | default (ternary "IfNotPresent" "Always" (not (empty .Values.image.digest))) }}
{{- end }}

{{/* GATEWAY_QUOTA_REPLICAS: the most pods there can be (the autoscaler's maximum). */}}
{{- define "connect-graphql-gateway.quotaReplicas" -}}
{{- if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.maxReplicas }}
{{- else }}
{{- .Values.replicaCount }}
{{- end }}
{{- end }}

{{/* Where the API keys file is mounted, and whether there is one. */}}
{{- define "connect-graphql-gateway.apiKeysDir" -}}
/etc/connect-graphql-gateway/api-keys
{{- end }}

{{- define "connect-graphql-gateway.hasApiKeys" -}}
{{- if or .Values.apiKeys.existingSecret .Values.apiKeys.keys }}true{{ end }}
{{- end }}

{{/* The chart's Secret holds what the values give (the keys file, the cursor secret, the
cache URL) and the cursor secret it generates; it exists when one of them does. */}}
{{- define "connect-graphql-gateway.hasSecret" -}}
{{- if or .Values.apiKeys.keys (not .Values.cursorSecret.existingSecret) .Values.cache.url }}true{{ end }}
{{- end }}

{{/* Changes of what the values put in the chart's Secret roll the pods (a generated cursor
secret stays the same across upgrades, and a Secret of yours is not the chart's to watch). */}}
{{- define "connect-graphql-gateway.secretChecksum" -}}
{{- dict "keys" .Values.apiKeys.keys "cursor" .Values.cursorSecret.value "cache" .Values.cache.url | toJson | sha256sum }}
{{- end }}

{{/* Values that contradict each other, refused with the reason. */}}
{{- define "connect-graphql-gateway.validate" -}}
{{- if and .Values.apiKeys.existingSecret .Values.apiKeys.keys }}
{{- fail "apiKeys: set existingSecret or keys, not both" }}
{{- end }}
{{- if and .Values.cursorSecret.existingSecret .Values.cursorSecret.value }}
{{- fail "cursorSecret: set existingSecret or value, not both" }}
{{- end }}
{{- if and .Values.cache.existingSecret .Values.cache.url }}
{{- fail "cache: set existingSecret or url, not both" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling: minReplicas is more than maxReplicas" }}
{{- end }}
{{- $stop := add .Values.preStopSleepSeconds .Values.gateway.shutdownSeconds }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $stop) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be more than preStopSleepSeconds plus gateway.shutdownSeconds (%d), or requests in flight are cut off" (int .Values.terminationGracePeriodSeconds) (int $stop)) }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.hosts: at least one host when ingress.enabled" }}
{{- end }}
{{- end }}
