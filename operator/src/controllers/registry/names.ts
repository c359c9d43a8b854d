// Names and labels of everything a Registry owns. Labels are how the reconciler
// finds (and prunes) what it applied earlier, so they live in one place.
import type { Registry } from '../../api/types.js';
import { REGISTRY_PORT } from './config.js';

export const MANAGED_BY = 'berth-operator';
export const REGISTRY_LABEL = 'berth.dev/registry';
export const CONFIG_HASH_ANNOTATION = 'berth.dev/config-hash';

export function registryNames(name: string) {
  return {
    deployment: name,
    service: name,
    pdb: name,
    config: `${name}-config`,
    signingKeys: `${name}-signing-keys`,
    /** The admin identity: username, password and its hash. */
    admin: `${name}-admin`,
    /** The access policy file; written by the AccessPolicy reconciler, mounted here. */
    policy: `${name}-policy`,
    tls: `${name}-tls`,
    data: `${name}-data`,
    minio: `${name}-minio`,
    minioCredentials: `${name}-minio-credentials`,
    minioBucketJob: `${name}-minio-bucket`,
    /** The managed PostgreSQL (metadata.managed): StatefulSet and Service, its credentials and its volume. */
    postgres: `${name}-postgres`,
    postgresCredentials: `${name}-postgres-credentials`,
    postgresData: `${name}-postgres-data`,
    /** containerd host configuration for the nodes, and the DaemonSet that installs it (node-access.ts). */
    nodeAccess: `${name}-node-access`,
    /** The registry pods' own ServiceAccount (with a cluster issuer: their token reads the JWKS and asks for TokenReviews). */
    serviceAccount: name,
    /** The kubelet's CredentialProviderConfig for ServiceAccount-token pulls. */
    credentialProvider: `${name}-credential-provider`,
    /** containerd's hosts.toml per upstream (spec.mirror), and the DaemonSet that installs them on nodes. */
    containerdHosts: `${name}-containerd-hosts`,
  };
}

/** The `app.kubernetes.io/name` of the registry's own pods. */
export const REGISTRY_COMPONENT = 'berth-registry';

/** Labels on every owned object: the selector for pruning. */
export function ownedLabels(reg: Registry, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': reg.metadata.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [REGISTRY_LABEL]: reg.metadata.name,
  };
}

export function pruneSelector(reg: Registry): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},${REGISTRY_LABEL}=${reg.metadata.name}`;
}

/** Pod selector labels (a stable subset: a Deployment's selector is immutable). */
export function selectorLabels(reg: Registry, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component, 'app.kubernetes.io/instance': reg.metadata.name };
}

export function ownerReference(reg: Registry) {
  return {
    apiVersion: reg.apiVersion,
    kind: reg.kind,
    name: reg.metadata.name,
    uid: reg.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function serviceHost(reg: Registry): string {
  return `${registryNames(reg.metadata.name).service}.${reg.metadata.namespace}.svc`;
}

/** The Service's in-cluster names as image references spell them (with the port unless it is 443). */
export function serviceImageHosts(reg: Registry): string[] {
  const svc = registryNames(reg.metadata.name).service;
  const ns = reg.metadata.namespace;
  const port = reg.spec.service?.port ?? REGISTRY_PORT;
  return [`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`].map((n) => (port === 443 ? n : `${n}:${port}`));
}
