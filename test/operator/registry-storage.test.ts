// Object-storage Registries: several replicas over S3 (PDB, topology spread,
// waiting for the user's credentials Secret) and the operator-managed MinIO.
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { patchStatus } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { condition, createRegistry, patchRegistrySpec, waitForGone, waitForObject, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;

const fx = withOperator('storage', { identity: 'storage-op' });
let client: KubeClient;
let ns: string;
beforeAll(() => ({ client, ns } = fx));

describe('S3 storage', () => {
  const name = 'shared';

  it('runs several replicas with a PDB and topology spread, and waits for the credentials Secret', async () => {
    // Several replicas share one metadata index: a PostgreSQL whose URL is in a Secret.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { uri: 'postgresql://berth:pw@db:5432/berth' } });
    await createRegistry(client, ns, name, {
      replicas: 3,
      storage: { s3: { endpoint: 'https://s3.example.test', bucket: 'images', secretRef: { name: 's3-creds' } } },
      metadata: { postgres: { secretRef: { name: 'db' } } },
    });
    let reg = await waitForStatus(client, ns, name, 'StorageReady=False', (r) => condition(r, 'StorageReady')?.status === 'False');
    expect(condition(reg, 'StorageReady')!.reason).toBe('SecretMissing');
    const pdb = await waitForObject<KubeObject & Any>(client, 'policy/v1', 'PodDisruptionBudget', name, ns);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(dep.spec.template.spec.volumes.find((v: Any) => v.name === 's3').secret.secretName).toBe('s3-creds');

    // Nothing watches the user's Secret: the reconciler re-checks on a timer while it waits.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-creds', namespace: ns }, stringData: { accessKey: 'AK', secretKey: 'SK' } });
    reg = await waitForStatus(client, ns, name, 'StorageReady=True', (r) => condition(r, 'StorageReady')?.status === 'True');
    expect(condition(reg, 'StorageReady')!.reason).toBe('CredentialsFound');
  });

  it('reports Degraded when replicas stay unavailable after the rollout', async () => {
    const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);
    await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      observedGeneration: dep.metadata.generation, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2,
    });
    const reg = await waitForStatus(client, ns, name, 'Degraded=True', (r) => condition(r, 'Degraded')?.status === 'True');
    expect(condition(reg, 'Degraded')!.reason).toBe('ReplicasUnavailable');
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(reg.status!.readyReplicas).toBe(2);
  });

  it('drops the PDB when scaled down to one replica', async () => {
    await patchRegistrySpec(client, ns, name, { replicas: 1 });
    await waitForGone(client, 'policy/v1', 'PodDisruptionBudget', name, ns);
    const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);
    expect(dep.spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });
});

describe('TLS from a Secret', () => {
  it('waits for the Secret named in tls.secretRef', async () => {
    await createRegistry(client, ns, 'tls', { storage: { filesystem: {} }, tls: { secretRef: { name: 'tls-cert' } } });
    await waitForObject(client, 'v1', 'PersistentVolumeClaim', 'tls-data', ns);
    await patchStatus(client, `/api/v1/namespaces/${ns}/persistentvolumeclaims/tls-data`, { phase: 'Bound' });
    const reg = await waitForStatus(client, ns, 'tls', 'TLS Secret missing', (r) => condition(r, 'Ready')?.reason === 'TLSSecretMissing');
    expect(condition(reg, 'Ready')!.message).toContain('tls-cert');
    const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', 'tls', ns);
    expect(dep.spec.template.spec.volumes.find((v: Any) => v.name === 'tls').secret.secretName).toBe('tls-cert');
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-cert', namespace: ns }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } });
    // Found on the next timed re-check; now only the (never running) pods are missing.
    await waitForStatus(client, ns, 'tls', 'TLS Secret found', (r) => condition(r, 'Ready')?.reason === 'DeploymentUnavailable');
  });
});

describe('managed MinIO', () => {
  const name = 'private';

  it('creates MinIO with credentials, headless Service and bucket Job, shared with the registry', async () => {
    await createRegistry(client, ns, name, { storage: { minio: { managed: true, bucket: 'blobs' } } });
    const reg = await waitForStatus(client, ns, name, 'StorageReady=False', (r) => condition(r, 'StorageReady')?.reason === 'MinioUnavailable');
    expect(condition(reg, 'Ready')!.reason).toBe('StorageNotReady');
    const creds = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-minio-credentials`, ns);
    expect(Object.keys(creds.data).sort()).toEqual(['accessKey', 'secretKey']);
    const svc = await client.get<KubeObject & Any>('v1', 'Service', `${name}-minio`, ns);
    expect(svc.spec.clusterIP).toBe('None');
    const sts = await client.get<KubeObject & Any>('apps/v1', 'StatefulSet', `${name}-minio`, ns);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    const jobs = await client.list<KubeObject & Any>('batch/v1', 'Job', { namespace: ns, labelSelector: `berth.dev/registry=${name}` });
    expect(jobs.items).toHaveLength(1);
    expect(jobs.items[0].spec.template.spec.containers[0].args[0]).toContain('berth/blobs');
    const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', `${name}-config`, ns);
    expect(cm.data['config.yaml']).toContain(`endpoint: http://${name}-minio.${ns}.svc:9000`);
    const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);
    expect(dep.spec.template.spec.volumes.find((v: Any) => v.name === 's3').secret.secretName).toBe(`${name}-minio-credentials`);
  });

  it('keeps the generated credentials across reconciles and follows MinIO readiness', async () => {
    const before = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-minio-credentials`, ns);
    await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}-minio`, { replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    await waitForStatus(client, ns, name, 'bucket pending', (r) => condition(r, 'StorageReady')?.reason === 'BucketPending');
    const after = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-minio-credentials`, ns);
    expect(after.data).toEqual(before.data);
  });

  it('renames the bucket Job when the bucket changes (a Job template is immutable)', async () => {
    const old = (await client.list<KubeObject>('batch/v1', 'Job', { namespace: ns, labelSelector: `berth.dev/registry=${name}` })).items[0];
    await patchRegistrySpec(client, ns, name, { storage: { minio: { managed: true, bucket: 'other' } } });
    await waitForGone(client, 'batch/v1', 'Job', old.metadata.name, ns);
    const jobs = await client.list<KubeObject & Any>('batch/v1', 'Job', { namespace: ns, labelSelector: `berth.dev/registry=${name}` });
    expect(jobs.items.map((j) => j.spec.template.spec.containers[0].args[0])).toEqual([expect.stringContaining('berth/other')]);
  });
});
