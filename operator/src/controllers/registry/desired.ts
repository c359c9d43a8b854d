// desired(registry, inputs) → every object the Registry should own. Pure: all
// randomness (keys, credentials, certificates) arrives in `inputs`, prepared by
// the reconciler from what already exists, so the same inputs always give the
// same objects and the function is unit-tested without a cluster.
import { createHash } from 'node:crypto';
import type { Registry } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import type { KeyPair } from '../../crypto/self-signed-cert.js';
import { REGISTRY_PORT, renderRegistryConfig } from './config.js';
import type { RepositorySettingsEntry } from '../repository/settings.js';
import { adminSecretData, type AdminCredential } from './admin-credential.js';
import { clusterIssuerObjects } from './federation.js';
import { minioObjects, type MinioCredentials } from './minio.js';
import { nodeAccessObjects, type NodeAccessInputs } from './node-access.js';
import { containerdHosts, containerdInstaller } from './mirror.js';
import { ownedLabels, ownerReference, registryNames, serviceHost } from './names.js';
import { managedPostgresObjects, type PostgresCredentials } from './postgres.js';
import { SIGNING_KEYS_ANNOTATION, type SigningKey } from './signing-keys.js';
import { dataVolumeClaim, registryDeployment, registryPdb, registryService } from './workload.js';

export interface DesiredInputs {
  /** Newest first; empty when auth is disabled. */
  signingKeys: SigningKey[];
  /** The self-signed serving certificate, when tls.selfSigned. */
  selfSignedTls?: KeyPair;
  /** Root credentials of the managed MinIO, when storage.minio. */
  minioCredentials?: MinioCredentials;
  /** The managed PostgreSQL's credentials and the image it runs unless the spec names one, when metadata.managed. */
  managedPostgres?: { credentials: PostgresCredentials; defaultImage: string };
  /** The admin identity (operator and break-glass), when auth is enabled. */
  admin?: AdminCredential;
  /** Settings of the Registry's valid Repository objects, in a stable order. */
  repositories?: RepositorySettingsEntry[];
  /** When node access is on: the ClusterIP, CA and settings the nodes' host configuration needs. */
  nodeAccess?: NodeAccessInputs;
  /** The cluster's ServiceAccount issuer, when spec.auth.federation.cluster is set. */
  clusterIssuerUrl?: string;
  /** The registry as nodes reach it (`http(s)://<ClusterIP>:<port>`), once its Service has a ClusterIP: containerd's mirror host. */
  serviceEndpoint?: string;
}

export interface DesiredState {
  objects: KubeObject[];
  configYaml: string;
  configHash: string;
  endpoint: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function desired(reg: Registry, inputs: DesiredInputs): DesiredState {
  const names = registryNames(reg.metadata.name);
  const meta = (name: string, component = 'berth-registry') => ({
    name,
    namespace: reg.metadata.namespace,
    labels: ownedLabels(reg, component),
    ownerReferences: [ownerReference(reg)],
  });
  const configYaml = renderRegistryConfig(reg, {
    signingKeyIds: inputs.signingKeys.map((k) => k.kid),
    adminPasswordHash: inputs.admin?.passwordHash,
    repositories: inputs.repositories,
    clusterIssuerUrl: inputs.clusterIssuerUrl,
  });
  // The hash covers everything the pods read at start-up, so any change rolls them.
  const hash = createHash('sha256').update(configYaml);
  if (inputs.selfSignedTls) hash.update(inputs.selfSignedTls.certPem);
  const configHash = hash.digest('hex').slice(0, 16);

  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.config), data: { 'config.yaml': configYaml } },
  ];
  if (inputs.signingKeys.length > 0) {
    const index = inputs.signingKeys.map(({ kid, createdAt }) => ({ kid, createdAt }));
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...meta(names.signingKeys), annotations: { [SIGNING_KEYS_ANNOTATION]: JSON.stringify(index) } },
      type: 'Opaque',
      data: Object.fromEntries(inputs.signingKeys.map((k) => [`${k.kid}.pem`, b64(k.privateKeyPem)])),
    });
  }
  if (inputs.admin && (reg.spec.auth?.enabled ?? true)) {
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(names.admin), type: 'Opaque', data: adminSecretData(inputs.admin) });
  }
  if (reg.spec.tls?.selfSigned && inputs.selfSignedTls) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(names.tls),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(inputs.selfSignedTls.certPem), 'tls.key': b64(inputs.selfSignedTls.keyPem) },
    });
  }
  const pvc = dataVolumeClaim(reg);
  if (pvc) objects.push(pvc);
  if (reg.spec.storage.minio) {
    if (!inputs.minioCredentials) throw new Error('desired: storage.minio needs minioCredentials');
    objects.push(...minioObjects(reg, inputs.minioCredentials));
  }
  if (reg.spec.metadata?.managed) {
    if (!inputs.managedPostgres) throw new Error('desired: metadata.managed needs managedPostgres');
    objects.push(...managedPostgresObjects(reg, inputs.managedPostgres.credentials, inputs.managedPostgres.defaultImage));
  }
  objects.push(...clusterIssuerObjects(reg));
  const hosts = containerdHosts(reg, inputs.serviceEndpoint);
  if (hosts) {
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.containerdHosts, 'berth-containerd-hosts'), data: hosts });
    const installer = containerdInstaller(reg, names.containerdHosts);
    if (installer) objects.push(installer);
  }
  objects.push(registryDeployment(reg, configHash), registryService(reg));
  const pdb = registryPdb(reg);
  if (pdb) objects.push(pdb);
  if (inputs.nodeAccess) objects.push(...nodeAccessObjects(reg, inputs.nodeAccess));

  return { objects, configYaml, configHash, endpoint: `${serviceHost(reg)}:${reg.spec.service?.port ?? REGISTRY_PORT}` };
}

/** DNS names the serving certificate must cover. */
export function serviceDnsNames(reg: Registry): string[] {
  const svc = registryNames(reg.metadata.name).service;
  const ns = reg.metadata.namespace;
  return [`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`, svc];
}

/** Every kind desired() can produce, by the role its watch has: the reconciler prunes across all of them. */
export const OWNED_KINDS = {
  configMaps: { apiVersion: 'v1', kind: 'ConfigMap' },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
  services: { apiVersion: 'v1', kind: 'Service' },
  volumeClaims: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulSets: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonSets: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  jobs: { apiVersion: 'batch/v1', kind: 'Job' },
  disruptionBudgets: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  serviceAccounts: { apiVersion: 'v1', kind: 'ServiceAccount' },
} as const;
