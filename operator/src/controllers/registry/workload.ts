// The registry's Deployment, Service and PodDisruptionBudget.
import type { Registry } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { paths, POLICY_FILE_KEY, REGISTRY_PORT } from './config.js';
import { ROBOT_FILE_KEY, ROBOT_SHARDS, robotFileName, robotShardSecretName } from '../access-policy/robot-shards.js';
import { metadataChoice, metadataVolumes } from './metadata.js';
import { clusterIssuer, issuerCaVolumes } from './federation.js';
import { mirrorVolumes } from './mirror.js';
import { CONFIG_HASH_ANNOTATION, REGISTRY_COMPONENT, ownedLabels, ownerReference, registryNames, selectorLabels } from './names.js';
import { securityVolumes } from './security.js';

/** The registry image runs as this unprivileged user (distroless "nonroot"). */
const NONROOT_UID = 65532;
/** How long a terminating pod keeps serving before SIGTERM (kube-proxy and peers catch up meanwhile). */
export const PRE_STOP_SECONDS = 5;

function meta(reg: Registry, name: string) {
  return { name, namespace: reg.metadata.namespace, labels: ownedLabels(reg, REGISTRY_COMPONENT), ownerReferences: [ownerReference(reg)] };
}

function volumes(reg: Registry) {
  const names = registryNames(reg.metadata.name);
  const { filesystem, s3, minio } = reg.spec.storage;
  const authEnabled = reg.spec.auth?.enabled ?? true;
  const list: Array<{ volume: Record<string, unknown>; mount: Record<string, unknown> }> = [
    { volume: { name: 'config', configMap: { name: names.config } }, mount: { name: 'config', mountPath: paths.configFile, subPath: 'config.yaml', readOnly: true } },
    // A read-only root filesystem still needs somewhere for temporary files.
    { volume: { name: 'tmp', emptyDir: {} }, mount: { name: 'tmp', mountPath: '/tmp' } },
  ];
  if (authEnabled) {
    list.push({ volume: { name: 'signing-keys', secret: { secretName: names.signingKeys, defaultMode: 0o440 } }, mount: { name: 'signing-keys', mountPath: paths.keysDir, readOnly: true } });
    // The policy file and every robot shard (controllers/access-policy/robot-shards.ts) in one projected volume,
    // each Secret optional: they exist once an AccessPolicy names this Registry and has robots in that shard;
    // until then the registry runs with an empty policy. Mounted as a directory (no subPath) so the kubelet's
    // updates reach the pod, all files swapped at once, and the registry reloads them.
    const sources = [
      { secret: { name: names.policy, optional: true, items: [{ key: POLICY_FILE_KEY, path: POLICY_FILE_KEY }] } },
      ...Array.from({ length: ROBOT_SHARDS }, (_, i) => ({ secret: { name: robotShardSecretName(names.policy, i), optional: true, items: [{ key: ROBOT_FILE_KEY, path: robotFileName(i) }] } })),
    ];
    list.push({ volume: { name: 'policy', projected: { sources, defaultMode: 0o440 } }, mount: { name: 'policy', mountPath: paths.policyDir, readOnly: true } });
  }
  if (reg.spec.tls) {
    const secretName = reg.spec.tls.secretRef?.name ?? names.tls;
    list.push({ volume: { name: 'tls', secret: { secretName, defaultMode: 0o440 } }, mount: { name: 'tls', mountPath: paths.tlsDir, readOnly: true } });
  }
  if (filesystem) {
    list.push({ volume: { name: 'data', persistentVolumeClaim: { claimName: names.data } }, mount: { name: 'data', mountPath: paths.dataDir } });
  }
  if (s3) {
    const items = [
      { key: s3.secretRef.accessKeyKey ?? 'accessKey', path: 'accessKey' },
      { key: s3.secretRef.secretKeyKey ?? 'secretKey', path: 'secretKey' },
    ];
    list.push({ volume: { name: 's3', secret: { secretName: s3.secretRef.name, items, defaultMode: 0o440 } }, mount: { name: 's3', mountPath: paths.s3Dir, readOnly: true } });
  }
  if (minio) {
    list.push({ volume: { name: 's3', secret: { secretName: names.minioCredentials, defaultMode: 0o440 } }, mount: { name: 's3', mountPath: paths.s3Dir, readOnly: true } });
  }
  list.push(...metadataVolumes(reg), ...mirrorVolumes(reg), ...securityVolumes(reg));
  list.push(...issuerCaVolumes(reg));
  return list;
}

export function registryDeployment(reg: Registry, configHash: string): KubeObject {
  const replicas = reg.spec.replicas ?? 1;
  const scheme = reg.spec.tls ? 'HTTPS' : 'HTTP';
  const selector = selectorLabels(reg, REGISTRY_COMPONENT);
  const mounts = volumes(reg);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http', scheme },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(reg, registryNames(reg.metadata.name).deployment),
    spec: {
      replicas,
      selector: { matchLabels: selector },
      // A ReadWriteOnce volume cannot be attached to the old and the new pod at once, and
      // an embedded index has one writer: a new pod rebuilds it from storage at start, so
      // writes the old pod took after that would be missing from it until the next scrub.
      strategy: reg.spec.storage.filesystem || metadataChoice(reg).kind === 'embedded'
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: ownedLabels(reg, REGISTRY_COMPONENT), annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
        spec: {
          // A cluster issuer needs the pods' own token (JWKS, TokenReview); otherwise none is mounted.
          ...(clusterIssuer(reg)
            ? { serviceAccountName: registryNames(reg.metadata.name).serviceAccount, automountServiceAccountToken: true }
            : { automountServiceAccountToken: false }),
          // Longer than the pre-stop wait plus the registry's drain timeout (30 s), so in-flight pushes finish.
          terminationGracePeriodSeconds: 45,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NONROOT_UID,
            runAsGroup: NONROOT_UID,
            fsGroup: NONROOT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(replicas > 1
            ? {
                topologySpreadConstraints: [
                  { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
                  { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
                ],
              }
            : {}),
          containers: [
            {
              name: 'registry',
              image: reg.spec.image ?? 'ghcr.io/berth-dev/berth-registry:v0.1.0',
              imagePullPolicy: reg.spec.imagePullPolicy ?? 'IfNotPresent',
              command: ['berth-registry', '--config', paths.configFile],
              ports: [{ name: 'http', containerPort: REGISTRY_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/readyz', 5, 3),
              livenessProbe: probe('/healthz', 10, 6),
              // A deleted pod stays in the nodes' Service rules for a moment; it keeps serving until
              // they are updated, and only then gets SIGTERM (stop listening, drain). Without this a
              // rollout refused pulls (connection refused, no route to host) on a real node.
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              resources: reg.spec.resources ?? { requests: { cpu: '100m', memory: '128Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts.map((m) => m.mount),
            },
          ],
          volumes: mounts.map((m) => m.volume),
        },
      },
    },
  };
}

export function registryService(reg: Registry): KubeObject {
  const svc = reg.spec.service ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(reg, registryNames(reg.metadata.name).service),
    spec: {
      type: svc.type ?? 'ClusterIP',
      selector: selectorLabels(reg, REGISTRY_COMPONENT),
      ports: [{ name: 'http', port: svc.port ?? REGISTRY_PORT, targetPort: 'http', protocol: 'TCP', ...(svc.nodePort ? { nodePort: svc.nodePort } : {}) }],
    },
  };
}

/** Only with more than one replica: a PDB on a single replica would block node drains forever. */
export function registryPdb(reg: Registry): KubeObject | undefined {
  if ((reg.spec.replicas ?? 1) <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(reg, registryNames(reg.metadata.name).pdb),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(reg, REGISTRY_COMPONENT) } },
  };
}

export function dataVolumeClaim(reg: Registry): KubeObject | undefined {
  const fs = reg.spec.storage.filesystem;
  if (!fs) return undefined;
  const pvc = fs.persistentVolumeClaim ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(reg, registryNames(reg.metadata.name).data),
    spec: {
      accessModes: pvc.accessModes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: pvc.size ?? '10Gi' } },
      ...(pvc.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
    },
  };
}
