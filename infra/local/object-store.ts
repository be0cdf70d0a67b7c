import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { expiringBucketPrefixes } from "../kiosk-contract";
import { KioskSecret } from "../seam";
import { upstreamImages } from "../upstream-charts";

export interface LocalObjectStoreArgs {
  readonly bucketName: string;
  readonly retentionDays: number;
  readonly storageGi: number;
  readonly storageClassName?: string;
}

const namespaceName = "object-store";
const serviceName = "object-store";
const port = 9000;
/** Name of the Secret, in the Kiosk namespace, holding the Kiosk's own object-store credentials. */
const kioskCredentialsSecret = "kiosk-object-store";

/** What the Kiosk's pods get to reach an S3-compatible store: a Secret with their keys, and the env that reads it. */
export function s3StoreAccess(
  endpoint: string,
  accessKeyId: pulumi.Input<string>,
  secretAccessKey: pulumi.Input<string>,
): { readonly secret: KioskSecret; readonly env: k8s.types.input.core.v1.EnvVar[] } {
  const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: kioskCredentialsSecret, key } } });
  return {
    secret: { name: kioskCredentialsSecret, stringData: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } },
    env: [
      fromSecret("AWS_ACCESS_KEY_ID"),
      fromSecret("AWS_SECRET_ACCESS_KEY"),
      // AWS SDKs from 2023 on read the endpoint from here; see the README for the published images.
      { name: "AWS_ENDPOINT_URL_S3", value: endpoint },
    ],
  };
}

/**
 * An S3-compatible store (MinIO) standing in for the cloud bucket on a local cluster. The Kiosk's
 * pods get a user limited to the one bucket, never the root credentials; both are random and secret.
 */
export class LocalObjectStore extends pulumi.ComponentResource {
  readonly endpoint = `http://${serviceName}.${namespaceName}.svc.cluster.local:${port}`;
  readonly namespace = namespaceName;
  readonly port = port;
  readonly kioskSecret: KioskSecret;
  readonly kioskEnv: k8s.types.input.core.v1.EnvVar[];
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: LocalObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:local:LocalObjectStore", name, {}, opts);
    const child = { parent: this };
    const rootPassword = new random.RandomPassword(`${name}-root-password`, { length: 32, special: false }, child);
    const kioskPassword = new random.RandomPassword(`${name}-kiosk-password`, { length: 32, special: false }, child);
    const kioskUser = "kiosk";

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: namespaceName, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } } },
      child,
    );
    const inNamespace = { parent: this, dependsOn: [namespace] };
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: "object-store-credentials", namespace: namespaceName },
        stringData: { MINIO_ROOT_USER: "root", MINIO_ROOT_PASSWORD: rootPassword.result, KIOSK_USER: kioskUser, KIOSK_PASSWORD: kioskPassword.result },
      },
      inNamespace,
    );
    const labels = { "app.kubernetes.io/name": "object-store", "app.kubernetes.io/part-of": "deepcell-kiosk" };
    const volume = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      {
        metadata: { name: "object-store-data", namespace: namespaceName },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClassName, resources: { requests: { storage: `${args.storageGi}Gi` } } },
      },
      inNamespace,
    );
    const restricted = {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
    const server = new k8s.apps.v1.Deployment(
      `${name}-server`,
      {
        metadata: { name: "object-store", namespace: namespaceName, labels },
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: { fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "minio",
                  image: `${upstreamImages.minio.repository}:${upstreamImages.minio.tag}`,
                  args: ["server", "/data"],
                  env: [
                    { name: "MINIO_ROOT_USER", valueFrom: { secretKeyRef: { name: "object-store-credentials", key: "MINIO_ROOT_USER" } } },
                    { name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "object-store-credentials", key: "MINIO_ROOT_PASSWORD" } } },
                    { name: "HOME", value: "/tmp" },
                  ],
                  ports: [{ name: "s3", containerPort: port }],
                  readinessProbe: { httpGet: { path: "/minio/health/ready", port: "s3" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/minio/health/live", port: "s3" }, initialDelaySeconds: 10, periodSeconds: 20 },
                  securityContext: restricted,
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                  volumeMounts: [
                    { name: "data", mountPath: "/data" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "data", persistentVolumeClaim: { claimName: volume.metadata.name } },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
        },
      },
      { ...inNamespace, dependsOn: [namespace, credentials] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: serviceName, namespace: namespaceName, labels }, spec: { selector: labels, ports: [{ name: "s3", port, targetPort: "s3" }] } },
      { ...inNamespace, dependsOn: [server] },
    );

    // The bucket, its expiry rules (what lifecycle rules do in the clouds) and the Kiosk's user.
    const bucketPolicy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: [`arn:aws:s3:::${args.bucketName}`] },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [`arn:aws:s3:::${args.bucketName}/*`] },
      ],
    });
    const setup = [
      "set -eu",
      `mc alias set store http://${serviceName}:${port} "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"`,
      `mc mb --ignore-existing store/${args.bucketName}`,
      ...expiringBucketPrefixes.map((prefix) => `mc ilm rule ls store/${args.bucketName} | grep -q "${prefix}" || mc ilm rule add --prefix "${prefix}" --expire-days ${args.retentionDays} store/${args.bucketName}`),
      `printf '%s' '${bucketPolicy}' > /tmp/kiosk-bucket.json`,
      "mc admin policy create store kiosk-bucket /tmp/kiosk-bucket.json",
      'mc admin user add store "$KIOSK_USER" "$KIOSK_PASSWORD"',
      'mc admin policy attach store kiosk-bucket --user "$KIOSK_USER" || true',
    ].join("\n");
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: "object-store-credentials", key } } });
    const bucketSetup = new k8s.batch.v1.Job(
      `${name}-bucket`,
      {
        metadata: { name: "object-store-bucket", namespace: namespaceName, labels },
        spec: {
          // No TTL: a Job deleted by its TTL is missing at the next refresh and re-created by the next `up`.
          backoffLimit: 10,
          template: {
            metadata: { labels: { "app.kubernetes.io/name": "object-store-setup" } },
            spec: {
              restartPolicy: "OnFailure",
              automountServiceAccountToken: false,
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "setup",
                  image: `${upstreamImages.minioClient.repository}:${upstreamImages.minioClient.tag}`,
                  command: ["sh", "-c", setup],
                  env: [fromSecret("MINIO_ROOT_USER"), fromSecret("MINIO_ROOT_PASSWORD"), fromSecret("KIOSK_USER"), fromSecret("KIOSK_PASSWORD"), { name: "HOME", value: "/tmp" }],
                  securityContext: restricted,
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
        },
      },
      { ...inNamespace, dependsOn: [service] },
    );

    const access = s3StoreAccess(this.endpoint, kioskUser, kioskPassword.result);
    this.kioskSecret = access.secret;
    this.kioskEnv = access.env;
    this.ready = [bucketSetup];
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
