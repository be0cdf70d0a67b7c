/**
 * Referential integrity over everything a stack applies: each object a pod, a binding, a route, a
 * webhook or an APIService refers to must be applied too, or be made at runtime by something that is
 * applied (named, so that the claim is checked as well).
 *
 * A missing reference does not fail an install: the pod waits in ContainerCreating, the webhook times
 * out, the Ingress has no backend. So nothing but a check like this one finds it before users do.
 */
import { podSpecPaths } from "../policy/rules";
import { clusterScopedKinds, type KubernetesObject } from "./render";

export interface ObjectRef {
  readonly kind: string;
  /** Undefined for a cluster-scoped object. */
  readonly namespace?: string;
  readonly name: string;
}

/** An object that nobody applies but that a named, applied object makes once it runs. */
export interface MadeAtRuntime {
  readonly object: ObjectRef;
  readonly madeBy: ObjectRef;
  /** Where that is established (the maker's source at the pinned version). */
  readonly source: string;
}

/**
 * Objects made at runtime, as read from the upstream charts and their applications at the pinned versions.
 * A helm.v3.Release runs pre-install hooks, so a hook Job that creates a Secret counts as its maker.
 */
export const madeAtRuntime: readonly MadeAtRuntime[] = [
  {
    object: { kind: "Secret", namespace: "keda", name: "kedaorg-certs" },
    madeBy: { kind: "Deployment", namespace: "keda", name: "keda-operator" },
    source: "kedacore/keda@v2.20.2:pkg/certificates/certificate_manager.go (ensureSecret; --enable-cert-rotation, --cert-secret-name in kedacore/charts@v2.20.2:keda/templates/manager/deployment.yaml)",
  },
  {
    object: { kind: "Secret", namespace: "envoy-gateway-system", name: "envoy-gateway" },
    madeBy: { kind: "Job", namespace: "envoy-gateway-system", name: "envoy-gateway-gateway-helm-certgen" },
    source: "envoyproxy/gateway@v1.9.0:charts/gateway-helm/templates/certgen.yaml (pre-install hook: envoy-gateway certgen writes the control plane's TLS Secrets)",
  },
  {
    object: { kind: "Secret", namespace: "monitoring", name: "kube-prometheus-stack-admission" },
    madeBy: { kind: "Job", namespace: "monitoring", name: "kube-prometheus-stack-admission-create" },
    source: "prometheus-community/helm-charts@kube-prometheus-stack-88.5.3:charts/kube-prometheus-stack/templates/prometheus-operator/admission-webhooks/job-patch/job-createSecret.yaml (pre-install hook)",
  },
];

/** Objects every cluster has without anyone applying them. */
const builtIn = (ref: ObjectRef): boolean =>
  (ref.kind === "Namespace" && ["default", "kube-system", "kube-public", "kube-node-lease"].includes(ref.name)) ||
  (ref.kind === "ServiceAccount" && ref.name === "default") ||
  (ref.kind === "ClusterRole" && (["cluster-admin", "admin", "edit", "view"].includes(ref.name) || ref.name.startsWith("system:"))) ||
  // The API server publishes its own CA bundle in every namespace.
  (ref.kind === "ConfigMap" && ref.name === "kube-root-ca.crt") ||
  // Bootstrap RBAC of every cluster, and the controller manager's per-controller account.
  (ref.kind === "Role" && ref.namespace === "kube-system" && ref.name === "extension-apiserver-authentication-reader") ||
  (ref.kind === "ServiceAccount" && ref.namespace === "kube-system" && ref.name === "horizontal-pod-autoscaler") ||
  // GKE's Gateway controller publishes its GatewayClasses once the cluster's gatewayApiConfig channel is on.
  (ref.kind === "GatewayClass" && ref.name.startsWith("gke-l7-"));

export interface BrokenReference {
  readonly from: ObjectRef;
  readonly to: ObjectRef;
  /** Where in `from` the reference is. */
  readonly field: string;
}

export function refOf(object: KubernetesObject): ObjectRef {
  return { kind: object.kind, namespace: clusterScopedKinds.has(object.kind) ? undefined : (object.metadata?.namespace ?? "default"), name: object.metadata?.name };
}

function key(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** What `object` refers to that must exist, with the field it is referred to from. */
export function referencesOf(object: KubernetesObject): { to: ObjectRef; field: string }[] {
  const namespace = object.metadata?.namespace ?? "default";
  const found: { to: ObjectRef; field: string }[] = [];
  // Cluster-scoped targets carry no namespace, whatever namespace the caller is in.
  const add = (kind: string, name: string | undefined, field: string, inNamespace: string = namespace) => {
    if (name) found.push({ to: { kind, namespace: clusterScopedKinds.has(kind) ? undefined : inNamespace, name }, field });
  };
  if (!clusterScopedKinds.has(object.kind)) add("Namespace", namespace, "metadata.namespace");

  const pod = podSpecPaths[object.kind]?.(object);
  if (pod) {
    add("ServiceAccount", pod.serviceAccountName ?? pod.serviceAccount, "serviceAccountName");
    for (const volume of pod.volumes ?? []) {
      if (volume.secret && !volume.secret.optional) add("Secret", volume.secret.secretName, `volumes[${volume.name}].secret`);
      if (volume.configMap && !volume.configMap.optional) add("ConfigMap", volume.configMap.name, `volumes[${volume.name}].configMap`);
      if (volume.persistentVolumeClaim) add("PersistentVolumeClaim", volume.persistentVolumeClaim.claimName, `volumes[${volume.name}].persistentVolumeClaim`);
      for (const source of volume.projected?.sources ?? []) {
        if (source.secret && !source.secret.optional) add("Secret", source.secret.name, `volumes[${volume.name}].projected.secret`);
        if (source.configMap && !source.configMap.optional) add("ConfigMap", source.configMap.name, `volumes[${volume.name}].projected.configMap`);
      }
    }
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      for (const env of container.env ?? []) {
        const secret = env.valueFrom?.secretKeyRef;
        const configMap = env.valueFrom?.configMapKeyRef;
        if (secret && !secret.optional) add("Secret", secret.name, `containers[${container.name}].env[${env.name}]`);
        if (configMap && !configMap.optional) add("ConfigMap", configMap.name, `containers[${container.name}].env[${env.name}]`);
      }
      for (const from of container.envFrom ?? []) {
        if (from.secretRef && !from.secretRef.optional) add("Secret", from.secretRef.name, `containers[${container.name}].envFrom`);
        if (from.configMapRef && !from.configMapRef.optional) add("ConfigMap", from.configMapRef.name, `containers[${container.name}].envFrom`);
      }
    }
  }

  if (object.kind === "RoleBinding" || object.kind === "ClusterRoleBinding") {
    const roleRef = object.roleRef ?? {};
    add(roleRef.kind, roleRef.name, "roleRef");
    for (const subject of object.subjects ?? []) {
      if (subject.kind === "ServiceAccount") add("ServiceAccount", subject.name, "subjects", subject.namespace ?? namespace);
    }
  }
  if (object.kind === "Ingress") {
    const backends = [object.spec?.defaultBackend, ...(object.spec?.rules ?? []).flatMap((rule: KubernetesObject) => (rule.http?.paths ?? []).map((p: KubernetesObject) => p.backend))];
    for (const backend of backends) add("Service", backend?.service?.name, "backend");
  }
  // The Gateway API and its implementations' policies, which name their targets by kind and name.
  const localRef = (ref: KubernetesObject | undefined, field: string) => {
    if (ref?.name) add(ref.kind ?? "Service", ref.name, field, ref.namespace ?? namespace);
  };
  if (object.kind === "Gateway") {
    add("GatewayClass", object.spec?.gatewayClassName, "spec.gatewayClassName");
    localRef(object.spec?.infrastructure?.parametersRef, "spec.infrastructure.parametersRef");
    for (const listener of object.spec?.listeners ?? []) {
      for (const ref of listener.tls?.certificateRefs ?? []) {
        // cert-manager writes the listener's certificate Secret for a Gateway annotated with its issuer.
        if (!object.metadata?.annotations?.["cert-manager.io/cluster-issuer"]) localRef({ kind: "Secret", ...ref }, `spec.listeners[${listener.name}].tls.certificateRefs`);
      }
    }
  }
  if (object.kind === "HTTPRoute") {
    for (const parent of object.spec?.parentRefs ?? []) localRef({ kind: "Gateway", ...parent }, "spec.parentRefs");
    for (const [index, rule] of (object.spec?.rules ?? []).entries()) {
      for (const backend of rule.backendRefs ?? []) localRef({ kind: "Service", ...backend }, `spec.rules[${index}].backendRefs`);
      for (const filter of rule.filters ?? []) if (filter.type === "ExtensionRef") localRef(filter.extensionRef, `spec.rules[${index}].filters.extensionRef`);
    }
  }
  if (object.kind === "SecurityPolicy") {
    for (const target of object.spec?.targetRefs ?? []) localRef(target, "spec.targetRefs");
    if (object.spec?.oidc?.clientSecret) localRef({ kind: "Secret", ...object.spec.oidc.clientSecret }, "spec.oidc.clientSecret");
  }
  if (object.kind === "GCPBackendPolicy") {
    localRef({ kind: "Service", ...object.spec?.targetRef }, "spec.targetRef");
    if (object.spec?.default?.iap?.oauth2ClientSecret) localRef({ kind: "Secret", ...object.spec.default.iap.oauth2ClientSecret }, "spec.default.iap.oauth2ClientSecret");
  }
  if (object.kind === "TargetGroupConfiguration") localRef({ kind: "Service", ...object.spec?.targetReference }, "spec.targetReference");
  if (object.kind === "ListenerRuleConfiguration") {
    for (const action of object.spec?.actions ?? []) if (action.authenticateOIDCConfig?.secret) localRef({ kind: "Secret", ...action.authenticateOIDCConfig.secret }, "spec.actions.authenticateOIDCConfig.secret");
  }
  if (object.kind === "ClusterIssuer") {
    for (const solver of object.spec?.acme?.solvers ?? []) {
      for (const parent of solver.http01?.gatewayHTTPRoute?.parentRefs ?? []) localRef({ kind: "Gateway", ...parent }, "spec.acme.solvers.http01.gatewayHTTPRoute.parentRefs");
    }
  }
  if (object.kind === "ValidatingWebhookConfiguration" || object.kind === "MutatingWebhookConfiguration") {
    for (const webhook of object.webhooks ?? []) {
      const service = webhook.clientConfig?.service;
      if (service) add("Service", service.name, `webhooks[${webhook.name}].clientConfig.service`, service.namespace);
    }
  }
  if (object.kind === "APIService" && object.spec?.service) add("Service", object.spec.service.name, "spec.service", object.spec.service.namespace);
  if (object.kind === "ScaledObject") {
    add(object.spec?.scaleTargetRef?.kind ?? "Deployment", object.spec?.scaleTargetRef?.name, "spec.scaleTargetRef");
    for (const trigger of object.spec?.triggers ?? []) {
      const ref = trigger.authenticationRef;
      if (ref) add(ref.kind ?? "TriggerAuthentication", ref.name, `spec.triggers[${trigger.name}].authenticationRef`);
    }
  }
  return found;
}

/**
 * Every reference in `objects` to an object that is neither among `objects`, built in, nor made at
 * runtime by an object that is among them. A PersistentVolumeClaim may also come from a StatefulSet's
 * volumeClaimTemplates, which the check does not expand: StatefulSet claims are not looked up.
 */
export function brokenReferences(objects: readonly KubernetesObject[], runtime: readonly MadeAtRuntime[] = madeAtRuntime): BrokenReference[] {
  const applied = new Set(objects.map((o) => key(refOf(o))));
  const made = new Set(runtime.filter((r) => applied.has(key(r.madeBy))).map((r) => key(r.object)));
  const broken: BrokenReference[] = [];
  for (const object of objects) {
    for (const { to, field } of referencesOf(object)) {
      if (to.kind === "PersistentVolumeClaim" && object.kind === "StatefulSet") continue;
      if (applied.has(key(to)) || made.has(key(to)) || builtIn(to)) continue;
      broken.push({ from: refOf(object), to, field });
    }
  }
  return broken;
}

export function describeBroken(reference: BrokenReference): string {
  const at = (ref: ObjectRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
  return `${at(reference.from)} refers to ${at(reference.to)} (${reference.field}), which nothing applies or makes`;
}

/**
 * The container ports on the nodes that the API server calls: for each webhook and APIService, its
 * Service's port resolved to the selected pods' container port. A cloud that filters the control plane's
 * traffic to the nodes must open exactly these.
 */
export function controlPlaneCallbackTargets(objects: readonly KubernetesObject[]): { caller: string; port: number }[] {
  const calls: { caller: string; namespace: string; service: string; port: number }[] = [];
  for (const object of objects) {
    if (object.kind === "ValidatingWebhookConfiguration" || object.kind === "MutatingWebhookConfiguration") {
      for (const webhook of object.webhooks ?? []) {
        const service = webhook.clientConfig?.service;
        if (service) calls.push({ caller: `${object.kind} ${object.metadata.name}/${webhook.name}`, namespace: service.namespace, service: service.name, port: service.port ?? 443 });
      }
    }
    if (object.kind === "APIService" && object.spec?.service) {
      calls.push({ caller: `APIService ${object.metadata.name}`, namespace: object.spec.service.namespace, service: object.spec.service.name, port: object.spec.service.port ?? 443 });
    }
  }
  return calls.map((call) => {
    const service = objects.find((o) => o.kind === "Service" && o.metadata?.name === call.service && o.metadata?.namespace === call.namespace);
    const servicePort = service?.spec?.ports?.find((p: KubernetesObject) => p.port === call.port);
    if (!servicePort) throw new Error(`${call.caller} calls ${call.namespace}/${call.service}:${call.port}, which no Service port offers`);
    const selector: Record<string, string> = service!.spec.selector ?? {};
    const pods = objects
      .filter((o) => o.metadata?.namespace === call.namespace && podSpecPaths[o.kind])
      .filter((o) => {
        const labels = (o.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
        return Object.entries(selector).every(([key, value]) => labels[key] === value);
      });
    const target = servicePort.targetPort ?? servicePort.port;
    for (const pod of pods) {
      for (const container of podSpecPaths[pod.kind](pod)?.containers ?? []) {
        for (const port of container.ports ?? []) {
          if (port.containerPort === target || port.name === target) return { caller: call.caller, port: port.containerPort };
        }
      }
    }
    throw new Error(`${call.caller}: no pod behind ${call.namespace}/${call.service} exposes ${target}`);
  });
}
