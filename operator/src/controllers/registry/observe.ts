// What the Registry's workloads and the user's Secrets report, read for the
// status conditions: nothing is assumed.
import type { Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject, SecretObject } from '../../kube/types.js';
import { adminTarget, readUpstreams, RegistryUnreachableError } from '../repository/admin-client.js';
import { caSecretKey, metadataChoice, urlSecretKey } from './metadata.js';
import { bucketJobName } from './minio.js';
import { registryNames } from './names.js';
import { DEFAULT_TRUST_KEY } from './security.js';
import type { Observed, ObservedWorkload } from './status.js';

/** What the workloads and the user's Secrets report, for the status conditions. */
export async function observe(client: KubeClient, reg: Registry, registryUrls?: ReadonlyMap<string, string>): Promise<Observed> {
  const ns = reg.metadata.namespace!;
  const names = registryNames(reg.metadata.name);
  const observed: Observed = { deployment: await client.getOptional<KubeObject & ObservedWorkload>('apps/v1', 'Deployment', names.deployment, ns) };
  const { filesystem, s3, minio } = reg.spec.storage;
  if (filesystem) {
    const pvc = await client.getOptional<KubeObject & { status?: { phase?: string } }>('v1', 'PersistentVolumeClaim', names.data, ns);
    observed.volumeClaimPhase = pvc?.status?.phase;
  }
  if (s3) {
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', s3.secretRef.name, ns);
    const keys = [s3.secretRef.accessKeyKey ?? 'accessKey', s3.secretRef.secretKeyKey ?? 'secretKey'];
    observed.s3CredentialsFound = !!secret && keys.every((k) => !!secret.data?.[k]);
  }
  if (minio) {
    const statefulSet = await client.getOptional<KubeObject & ObservedWorkload>('apps/v1', 'StatefulSet', names.minio, ns);
    const job = await client.getOptional<KubeObject & { status?: { succeeded?: number } }>('batch/v1', 'Job', bucketJobName(reg), ns);
    observed.minio = { statefulSet, bucketJobSucceeded: (job?.status?.succeeded ?? 0) > 0 };
  }
  const metadata = metadataChoice(reg);
  if (metadata.kind === 'postgres') {
    const hasKey = async (ref: { name: string; key: string }) => !!(await client.getOptional<SecretObject>('v1', 'Secret', ref.name, ns))?.data?.[ref.key];
    const ca = caSecretKey(metadata);
    observed.metadataSecrets = { urlFound: await hasKey(urlSecretKey(reg, metadata)!), ...(ca ? { caFound: await hasKey(ca) } : {}) };
  }
  if (metadata.kind === 'managed') {
    observed.managedPostgres = { statefulSet: await client.getOptional<KubeObject & ObservedWorkload>('apps/v1', 'StatefulSet', names.postgres, ns) };
  }
  if (reg.spec.tls?.secretRef) {
    const secret = await client.getOptional<SecretObject>('v1', 'Secret', reg.spec.tls.secretRef.name, ns);
    observed.tlsSecretFound = !!secret?.data?.['tls.crt'] && !!secret.data['tls.key'];
  }
  const trustKeys = reg.spec.security?.trust?.keys ?? [];
  if (trustKeys.length) {
    const missing: string[] = [];
    for (const k of trustKeys) {
      const key = k.secretRef.key ?? DEFAULT_TRUST_KEY;
      const secret = await client.getOptional<SecretObject>('v1', 'Secret', k.secretRef.name, ns);
      if (!secret?.data?.[key]) missing.push(`Secret ${k.secretRef.name} key ${key} (trust key ${k.name})`);
    }
    observed.trustKeysMissing = missing;
  }
  if (reg.spec.mirror?.upstreams?.length) {
    if ((observed.deployment?.status?.availableReplicas ?? 0) < 1) observed.upstreams = { error: 'no registry replica is available to ask' };
    else {
      try {
        observed.upstreams = { reports: await readUpstreams(await adminTarget(client, reg, registryUrls)) };
      } catch (err) {
        if (!(err instanceof RegistryUnreachableError)) throw err;
        observed.upstreams = { error: err.message };
      }
    }
  }
  return observed;
}
