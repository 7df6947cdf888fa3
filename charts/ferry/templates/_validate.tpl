{{/*
Impossible or contradictory values stop the install with a message naming the values to change.
(Shapes and types are checked earlier, by values.schema.json.)
*/}}
{{- define "ferry.validate" -}}
{{- $nats := .Values.nats -}}
{{- if and (not $nats.embedded.enabled) (not $nats.external.url) -}}
{{- fail "nats: no NATS server. Set nats.external.url (e.g. nats://nats.nats.svc:4222, a server with JetStream) or nats.embedded.enabled=true" -}}
{{- end -}}
{{- if and $nats.embedded.enabled $nats.external.url -}}
{{- fail (printf "nats: nats.external.url=%s and nats.embedded.enabled=true are both set; choose one (add --set nats.embedded.enabled=false to use the external server)" $nats.external.url) -}}
{{- end -}}
{{- if and $nats.embedded.enabled $nats.external.existingSecret -}}
{{- fail "nats: nats.external.existingSecret applies to an external server only; with nats.embedded.enabled=true the chart makes the token (nats.embedded.auth)" -}}
{{- end -}}

{{- if $nats.embedded.enabled -}}
{{- /* values.schema.json holds maxFileStore to <digits>[K|M|G|T][B]; NATS reads K as 1000, KB as 1024. */ -}}
{{- $fileStore := toString $nats.embedded.jetstream.maxFileStore -}}
{{- $number := regexFind "^[0-9]+" $fileStore -}}
{{- $units := dict "" 1 "B" 1 "K" 1000 "KB" 1024 "M" 1000000 "MB" 1048576 "G" 1000000000 "GB" 1073741824 "T" 1000000000000 "TB" 1099511627776 -}}
{{- $unit := trimPrefix $number $fileStore -}}
{{- if gt (int64 .Values.storage.natsBytes) (mul (int64 $number) (index $units $unit)) -}}
{{- fail (printf "storage.natsBytes (%d) does not fit in nats.embedded.jetstream.maxFileStore (%s): lower storage.natsBytes or raise maxFileStore (and nats.embedded.persistence.size)" (int64 .Values.storage.natsBytes) $fileStore) -}}
{{- end -}}
{{- end -}}

{{- $auth := .Values.auth -}}
{{- if and (not $auth.apiKeys) (not $auth.existingSecret) (not $auth.generatedKey.enabled) -}}
{{- fail "auth: no API keys. Set auth.apiKeys ([{tenant, sha256}]), auth.existingSecret (a Secret of tenant:sha256:<hex> lines), or auth.generatedKey.enabled=true" -}}
{{- end -}}
{{- if and $auth.existingSecret $auth.apiKeys -}}
{{- fail "auth: auth.apiKeys and auth.existingSecret are both set; the gateway reads one key file. Put the keys in the Secret, or unset auth.existingSecret" -}}
{{- end -}}
{{- if and $auth.existingSecret $auth.generatedKey.enabled -}}
{{- fail "auth: auth.generatedKey.enabled=true cannot add its key to auth.existingSecret, a Secret the chart does not own. Set auth.generatedKey.enabled=false (and tests.existingSecret, or tests.enabled=false)" -}}
{{- end -}}
{{- if and .Values.tests.enabled (not .Values.tests.existingSecret) (not $auth.generatedKey.enabled) -}}
{{- fail "tests: the helm test needs an API key in clear. Set tests.existingSecret (the key at tests.existingSecretKey), keep auth.generatedKey.enabled=true, or set tests.enabled=false" -}}
{{- end -}}

{{- $hpa := .Values.gateway.autoscaling -}}
{{- if and $hpa.enabled (gt (int $hpa.minReplicas) (int $hpa.maxReplicas)) -}}
{{- fail (printf "gateway.autoscaling: minReplicas (%d) is greater than maxReplicas (%d)" (int $hpa.minReplicas) (int $hpa.maxReplicas)) -}}
{{- end -}}
{{- range $component := list "gateway" "controller" -}}
{{- $pdb := (index $.Values $component).pdb -}}
{{- if $pdb.enabled -}}
{{- $max := toString $pdb.maxUnavailable -}}
{{- $min := toString $pdb.minAvailable -}}
{{- if and (ne $max "") (ne $min "") -}}
{{- fail (printf "%s.pdb: set maxUnavailable or minAvailable, not both (maxUnavailable=%s, minAvailable=%s)" $component $max $min) -}}
{{- end -}}
{{- if and (eq $max "") (eq $min "") -}}
{{- fail (printf "%s.pdb: set maxUnavailable or minAvailable, or pdb.enabled=false" $component) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- $names := list -}}
{{- range .Values.pipelines -}}
{{- if has .name $names -}}
{{- fail (printf "pipelines: the name %q is used twice; pipeline names are unique" .name) -}}
{{- end -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- if and .Values.tests.enabled (not (has "sleep" $names)) -}}
{{- fail "tests: the helm test submits a `sleep` job and pipelines has no entry named sleep; add one (kind: sleep) or set tests.enabled=false" -}}
{{- end -}}
{{- end -}}
