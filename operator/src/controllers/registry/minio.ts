// The operator-managed MinIO (storage.minio.managed): a single-node StatefulSet,
// its headless Service, generated root credentials, and a Job that creates the
// bucket. The registry reads the same credentials Secret as its S3 keys.
import { createHash, randomBytes } from 'node:crypto';
import type { Registry } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { MINIO_PORT, minioEndpoint } from './config.js';
import { ownedLabels, ownerReference, registryNames, selectorLabels } from './names.js';

const COMPONENT = 'berth-minio';
const NONROOT_UID = 1000;

export interface MinioCredentials {
  accessKey: string;
  secretKey: string;
}

export function generateMinioCredentials(): MinioCredentials {
  return { accessKey: `berth-${randomBytes(6).toString('hex')}`, secretKey: randomBytes(30).toString('base64url') };
}

export function minioCredentialsFromSecret(secret: { data?: Record<string, string> } | undefined): MinioCredentials | undefined {
  const a = secret?.data?.accessKey;
  const s = secret?.data?.secretKey;
  if (!a || !s) return undefined;
  return { accessKey: Buffer.from(a, 'base64').toString('utf8'), secretKey: Buffer.from(s, 'base64').toString('utf8') };
}

function meta(reg: Registry, name: string) {
  return { name, namespace: reg.metadata.namespace, labels: ownedLabels(reg, COMPONENT), ownerReferences: [ownerReference(reg)] };
}

/** Job names carry a hash of their inputs: a Job's pod template is immutable, so new inputs need a new Job. */
export function bucketJobName(reg: Registry): string {
  const bucket = reg.spec.storage.minio?.bucket ?? 'berth';
  const hash = createHash('sha256').update(`${bucket}|${minioEndpoint(reg)}|${reg.spec.storage.minio?.clientImage ?? ''}`).digest('hex').slice(0, 8);
  return `${registryNames(reg.metadata.name).minioBucketJob}-${hash}`;
}

export function minioObjects(reg: Registry, creds: MinioCredentials): KubeObject[] {
  const minio = reg.spec.storage.minio;
  if (!minio) return [];
  const names = registryNames(reg.metadata.name);
  const selector = selectorLabels(reg, COMPONENT);
  const credEnv = (userVar: string, passVar: string) => [
    { name: userVar, valueFrom: { secretKeyRef: { name: names.minioCredentials, key: 'accessKey' } } },
    { name: passVar, valueFrom: { secretKeyRef: { name: names.minioCredentials, key: 'secretKey' } } },
  ];
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  const podSecurity = { runAsNonRoot: true, runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID, fsGroup: NONROOT_UID, seccompProfile: { type: 'RuntimeDefault' } };
  const probe = (path: string) => ({ httpGet: { path, port: 'api' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
  const bucket = minio.bucket ?? 'berth';

  const credentials: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(reg, names.minioCredentials),
    type: 'Opaque',
    data: { accessKey: Buffer.from(creds.accessKey).toString('base64'), secretKey: Buffer.from(creds.secretKey).toString('base64') },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(reg, names.minio),
    spec: {
      clusterIP: 'None',
      selector,
      ports: [{ name: 'api', port: MINIO_PORT, targetPort: 'api', protocol: 'TCP' }],
      // The bucket Job must resolve the pod before it is ready.
      publishNotReadyAddresses: true,
    },
  };
  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(reg, names.minio),
    spec: {
      serviceName: names.minio,
      replicas: 1,
      selector: { matchLabels: selector },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      template: {
        metadata: { labels: ownedLabels(reg, COMPONENT) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [
            {
              name: 'minio',
              image: minio.image ?? 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z',
              args: ['server', '/data', '--address', `:${MINIO_PORT}`],
              env: [...credEnv('MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD'), { name: 'MINIO_BROWSER', value: 'off' }],
              ports: [{ name: 'api', containerPort: MINIO_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/minio/health/ready'),
              livenessProbe: probe('/minio/health/live'),
              resources: minio.resources ?? { requests: { cpu: '100m', memory: '256Mi' } },
              securityContext: restricted,
              volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: minio.size ?? '20Gi' } },
            ...(minio.storageClassName ? { storageClassName: minio.storageClassName } : {}),
          },
        },
      ],
    },
  };
  const bucketJob: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(reg, bucketJobName(reg)),
    spec: {
      backoffLimit: 20,
      template: {
        metadata: { labels: ownedLabels(reg, `${COMPONENT}-bucket`) },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [
            {
              name: 'create-bucket',
              image: minio.clientImage ?? 'quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z',
              command: ['/bin/sh', '-c'],
              // Wait for MinIO, then create the bucket; --ignore-existing makes reruns harmless.
              args: [`until mc alias set berth "$MINIO_URL" "$ACCESS_KEY" "$SECRET_KEY"; do sleep 2; done && mc mb --ignore-existing "berth/${bucket}"`],
              env: [{ name: 'MINIO_URL', value: minioEndpoint(reg) }, { name: 'HOME', value: '/tmp' }, ...credEnv('ACCESS_KEY', 'SECRET_KEY')],
              securityContext: restricted,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              resources: { requests: { cpu: '10m', memory: '32Mi' } },
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
  return [credentials, service, statefulSet, bucketJob];
}
