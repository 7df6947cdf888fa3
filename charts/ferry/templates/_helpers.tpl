{{/*
Names, labels and shared pieces of the Ferry chart.
*/}}

{{- define "ferry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-ferry, or the release name alone if it already contains the chart name. */}}
{{- define "ferry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ferry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Component names: <fullname>-<component>, kept short enough for a Service or a pod label. */}}
{{- define "ferry.component.fullname" -}}
{{- printf "%s-%s" (include "ferry.fullname" .context) .component | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- define "ferry.gateway.fullname" -}}{{ include "ferry.component.fullname" (dict "context" . "component" "gateway") }}{{- end -}}
{{- define "ferry.controller.fullname" -}}{{ include "ferry.component.fullname" (dict "context" . "component" "controller") }}{{- end -}}
{{- define "ferry.nats.fullname" -}}{{ include "ferry.component.fullname" (dict "context" . "component" "nats") }}{{- end -}}
{{- define "ferry.runner.fullname" -}}{{ include "ferry.component.fullname" (dict "context" . "component" "runner") }}{{- end -}}

{{/*
Labels. Usage: include "ferry.labels" (dict "context" $ "component" "gateway").
`app.kubernetes.io/part-of: ferry` is shared with the job pods the controller creates.
*/}}
{{- define "ferry.labels" -}}
helm.sh/chart: {{ include "ferry.chart" .context }}
{{ include "ferry.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
app.kubernetes.io/part-of: ferry
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ferry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ferry.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* The namespace Jobs run in (FERRY_JOBS_NAMESPACE). */}}
{{- define "ferry.jobsNamespace" -}}
{{- default (printf "%s-jobs" .Release.Namespace) .Values.jobs.namespace -}}
{{- end -}}

{{/* The Ferry image: repository:tag, or repository@digest when a digest is set. */}}
{{- define "ferry.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "ferry.nats.image" -}}
{{- printf "%s:%s" .Values.nats.embedded.image.repository .Values.nats.embedded.image.tag -}}
{{- end -}}

{{/* ServiceAccount names. */}}
{{- define "ferry.gateway.serviceAccountName" -}}
{{- if .Values.gateway.serviceAccount.create -}}
{{- default (include "ferry.gateway.fullname" .) .Values.gateway.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.gateway.serviceAccount.name -}}
{{- end -}}
{{- end -}}
{{- define "ferry.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (include "ferry.controller.fullname" .) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}
{{- define "ferry.runner.serviceAccountName" -}}
{{- if .Values.runner.serviceAccount.create -}}
{{- default (include "ferry.runner.fullname" .) .Values.runner.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.runner.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret and ConfigMap names. */}}
{{- define "ferry.apiKeys.secretName" -}}
{{- default (printf "%s-api-keys" (include "ferry.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}
{{- define "ferry.apiKeys.secretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}api-keys{{ end -}}
{{- end -}}
{{- define "ferry.generatedKey.secretName" -}}
{{- printf "%s-api-key" (include "ferry.fullname" .) -}}
{{- end -}}
{{- define "ferry.resultSecret.secretName" -}}
{{- default (printf "%s-result-secret" (include "ferry.fullname" .)) .Values.resultSecret.existingSecret -}}
{{- end -}}
{{- define "ferry.resultSecret.secretKey" -}}
{{- if .Values.resultSecret.existingSecret }}{{ .Values.resultSecret.existingSecretKey }}{{ else }}result-secret{{ end -}}
{{- end -}}
{{- define "ferry.natsAuth.secretName" -}}
{{- default (printf "%s-nats-auth" (include "ferry.fullname" .)) .Values.nats.embedded.auth.existingSecret -}}
{{- end -}}
{{- define "ferry.natsAuth.secretKey" -}}
{{- if .Values.nats.embedded.auth.existingSecret }}{{ .Values.nats.embedded.auth.existingSecretKey }}{{ else }}token{{ end -}}
{{- end -}}
{{- define "ferry.pipelines.configMapName" -}}
{{- printf "%s-pipelines" (include "ferry.fullname" .) -}}
{{- end -}}

{{/*
A random value kept across upgrades: the value already in the cluster's Secret if there is one
(lookup; empty under `helm template` and --dry-run), else a new one.
Usage: include "ferry.persistentRandom" (dict "context" $ "secret" "name" "key" "api-key" "length" 40)
*/}}
{{- define "ferry.persistentRandom" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace .secret -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int .length) -}}
{{- end -}}
{{- end -}}

{{/* NATS_URL: the external URL, or the embedded server's Service. */}}
{{- define "ferry.natsUrl" -}}
{{- if .Values.nats.embedded.enabled -}}
{{- printf "nats://%s.%s.svc:4222" (include "ferry.nats.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.nats.external.url -}}
{{- end -}}
{{- end -}}

{{/* NATS_URL and credentials, for the gateway and controller containers. */}}
{{- /* What the gateway and the controller both declare the NATS topology from (libs/nats/src/nats.config.ts). */}}
{{- define "ferry.topologyEnv" -}}
- name: FERRY_RETENTION_SECONDS
  value: {{ .Values.retention.seconds | int | quote }}
- name: FERRY_IDEMPOTENCY_TTL_SECONDS
  value: {{ .Values.retention.idempotencyTtlSeconds | int | quote }}
- name: FERRY_NATS_STORE_BYTES
  value: {{ .Values.storage.natsBytes | int64 | quote }}
{{- end -}}

{{- define "ferry.natsEnv" -}}
- name: NATS_URL
  value: {{ include "ferry.natsUrl" . | quote }}
{{- if .Values.nats.embedded.enabled }}
{{- if .Values.nats.embedded.auth.enabled }}
- name: NATS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "ferry.natsAuth.secretName" . }}
      key: {{ include "ferry.natsAuth.secretKey" . }}
{{- end }}
{{- else if .Values.nats.external.existingSecret }}
{{- /* optional: the Secret holds user + password, or a token; absent keys leave the variable unset. */}}
{{- range $env, $key := dict "NATS_USER" .Values.nats.external.userKey "NATS_PASSWORD" .Values.nats.external.passwordKey "NATS_TOKEN" .Values.nats.external.tokenKey }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.nats.external.existingSecret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end }}
{{- end -}}

{{/* FERRY_RESULT_SECRET, shared by the gateway and controller. */}}
{{- define "ferry.resultSecretEnv" -}}
- name: FERRY_RESULT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "ferry.resultSecret.secretName" . }}
      key: {{ include "ferry.resultSecret.secretKey" . }}
{{- end -}}

{{/* A soft anti-affinity spreading a component's replicas across nodes, unless affinity is set. */}}
{{- define "ferry.affinity" -}}
{{- if .affinity -}}
{{ toYaml .affinity }}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "ferry.selectorLabels" (dict "context" .context "component" .component) | nindent 12 }}
{{- end -}}
{{- end -}}

{{/* The pipeline catalog file, as mounted at /etc/ferry/pipelines/catalog.yaml. */}}
{{- define "ferry.pipelines.catalog" -}}
# Ferry's pipeline catalog, from the chart's `pipelines` value.
{{ dict "pipelines" .Values.pipelines | toYaml }}
{{- end -}}

{{/*
The API key file the chart writes when it owns the Secret. Usage:
include "ferry.apiKeys.file" (dict "context" $ "generatedKey" $key): the generated key is computed once
by the caller, since each randAlphaNum call differs.
*/}}
{{- define "ferry.apiKeys.file" -}}
# tenant:sha256:<hex of the key>, one per line (FERRY_API_KEYS_FILE).
{{- range .context.Values.auth.apiKeys }}
{{ .tenant }}:sha256:{{ .sha256 }}
{{- end }}
{{- if .context.Values.auth.generatedKey.enabled }}
{{ .context.Values.auth.generatedKey.tenant }}:sha256:{{ .generatedKey | sha256sum }}
{{- end }}
{{ end -}}
