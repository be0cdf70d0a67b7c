{{- define "redis.labels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: deepcell-kiosk
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "redis.selector" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redis.exporterSelector" -}}
app.kubernetes.io/name: redis-exporter
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redis.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "redis.scriptEnv" -}}
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- { name: PEER_DOMAIN, value: "redis-headless.$(POD_NAMESPACE).svc.cluster.local" }
- { name: MEMBERS, value: {{ .Values.replicas | quote }} }
- { name: MASTER_SET, value: {{ .Values.masterSet | quote }} }
- { name: REDIS_CLI, value: valkey-cli }
- { name: REDIS_SERVER, value: valkey-server }
- { name: REDIS_SENTINEL, value: valkey-sentinel }
- { name: DATA_DIR, value: /data }
- { name: CONF_DIR, value: /conf }
{{- end }}
