{{- define "tfServing.labels" -}}
app.kubernetes.io/name: tf-serving
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: deepcell-kiosk
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "tfServing.selector" -}}
app.kubernetes.io/name: tf-serving
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tfServing.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
{{- end }}
