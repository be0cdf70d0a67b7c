{{- define "openvpn.selector" -}}
app.kubernetes.io/name: openvpn
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "openvpn.labels" -}}
{{ include "openvpn.selector" . }}
app.kubernetes.io/part-of: deepcell-kiosk
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
