// The inputs desired() needs that must survive across reconciles: signing keys
// (rotated on schedule), the self-signed certificate, MinIO, managed PostgreSQL
// and admin credentials, read back from the Secrets that hold them or generated when
// missing; plus the settings of the Registry's Repositories.
import { parseDurationSeconds } from '../../api/duration.js';
import type { Registry, Repository } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { SecretObject } from '../../kube/types.js';
import { TerminalError } from '../../runtime/errors.js';
import { repositoriesBlock } from '../repository/settings.js';
import { adminCredentialFromSecret, generateAdminCredential } from './admin-credential.js';
import type { ClusterIssuerDiscovery } from './cluster-issuer.js';
import { serviceDnsNames, type DesiredInputs } from './desired.js';
import { clusterIssuer } from './federation.js';
import { generateMinioCredentials, minioCredentialsFromSecret } from './minio.js';
import { registryNames } from './names.js';
import { trustKeyNames } from './security.js';
import { generatePostgresCredentials, postgresCredentialsFromSecret } from './postgres.js';
import { planSigningKeys, signingKeysFromSecret, type SigningKeyPlan } from './signing-keys.js';
import { nodeAccessEnabled, serviceClusterIP, type NodeAccessInputs, type NodeAccessSettings } from './node-access.js';
import { keyPairFromSecret, planSelfSignedTls, type TlsPlan } from './tls.js';
import { clusterIPEndpoint, mirrorDialsClusterIP, nodesDialClusterIP } from './cluster-ip.js';

export interface PreparedInputs {
  inputs: DesiredInputs;
  /** Set when auth is enabled. */
  keyPlan?: SigningKeyPlan;
  /** Set for tls.selfSigned. */
  tlsPlan?: TlsPlan;
}

/** Operator-wide defaults for what a Registry's spec leaves unset. */
export interface RegistryDefaults {
  /** Image of the managed PostgreSQL (--postgres-image). */
  postgresImage: string;
  /** Node access (--node-access-image, --node-certs-dir); without it no node configuration is installed. */
  nodeAccess?: NodeAccessSettings;
}

/** The inputs of desired(): what exists is reused, what is missing generated, what is due planned for rotation. */
export async function prepareInputs(client: KubeClient, reg: Registry, repositories: Repository[], defaults: RegistryDefaults, at: Date, discovery: ClusterIssuerDiscovery): Promise<PreparedInputs> {
  const ns = reg.metadata.namespace!;
  const names = registryNames(reg.metadata.name);
  let keyPlan: SigningKeyPlan | undefined;
  if (reg.spec.auth?.enabled ?? true) {
    let period: number;
    try {
      period = parseDurationSeconds(reg.spec.auth?.signingKeyRotationPeriod ?? '720h');
    } catch (err) {
      throw new TerminalError(`spec.auth.signingKeyRotationPeriod: ${(err as Error).message}`);
    }
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.signingKeys, ns);
    keyPlan = planSigningKeys(signingKeysFromSecret(secret), period, at);
  }
  const nodeAccessOn = nodeAccessEnabled(reg, defaults.nodeAccess);
  // Nodes dial the ClusterIP (node access, containerd's mirror hosts): the certificate must name it.
  const clusterIP = nodesDialClusterIP(reg, nodeAccessOn) ? await serviceClusterIP(client, reg) : undefined;
  let tlsPlan: TlsPlan | undefined;
  if (reg.spec.tls?.selfSigned) {
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.tls, ns);
    tlsPlan = planSelfSignedTls(keyPairFromSecret(secret), serviceDnsNames(reg), at, clusterIP ? [clusterIP] : []);
  }
  let nodeAccess: NodeAccessInputs | undefined;
  if (nodeAccessOn && clusterIP) {
    let caPem = tlsPlan?.pair.certPem;
    if (reg.spec.tls?.secretRef) {
      const secret = await client.getOptional<SecretObject>('v1', 'Secret', reg.spec.tls.secretRef.name, ns);
      const ca = secret?.data?.['ca.crt'] ?? secret?.data?.['tls.crt'];
      caPem = ca ? Buffer.from(ca, 'base64').toString('utf8') : undefined;
    }
    nodeAccess = { ...defaults.nodeAccess!, clusterIP, caPem };
  }
  let minioCredentials;
  if (reg.spec.storage.minio) {
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.minioCredentials, ns);
    minioCredentials = minioCredentialsFromSecret(secret) ?? generateMinioCredentials();
  }
  let managedPostgres;
  if (reg.spec.metadata?.managed) {
    // The password is set when the database is first initialised: it must be kept, never regenerated.
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.postgresCredentials, ns);
    managedPostgres = { credentials: postgresCredentialsFromSecret(secret) ?? generatePostgresCredentials(), defaultImage: defaults.postgresImage };
  }
  let admin;
  if (reg.spec.auth?.enabled ?? true) {
    admin = adminCredentialFromSecret(await client.getOptional<SecretObject>('v1', 'Secret', names.admin, ns)) ?? await generateAdminCredential();
  }
  const serviceEndpoint = mirrorDialsClusterIP(reg) && clusterIP ? clusterIPEndpoint(reg, clusterIP) : undefined;
  // A Repository spec that cannot be rendered as written is rendered fail-closed and reported on the Repository itself.
  const { entries } = repositoriesBlock(reg.metadata.name, repositories.filter((r) => r.metadata.namespace === ns), trustKeyNames(reg));
  const cluster = clusterIssuer(reg);
  const clusterIssuerUrl = cluster ? cluster.issuer ?? await discovery.issuer() : undefined;
  return { inputs: { signingKeys: keyPlan?.keys ?? [], selfSignedTls: tlsPlan?.pair, minioCredentials, managedPostgres, admin, repositories: entries, nodeAccess, clusterIssuerUrl, serviceEndpoint }, keyPlan, tlsPlan };
}
