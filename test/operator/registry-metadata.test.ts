// The metadata index choices on the real control plane: embedded SQLite (on the
// data volume, or on an emptyDir beside object storage), a PostgreSQL the user runs
// (URL and CA from Secrets, MetadataReady following them), and the managed
// PostgreSQL (its objects owned by the Registry, its readiness observed, pruned
// when the Registry switches away).
import { parseConfigYaml } from '#contract/config/load.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Registry } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { patchStatus } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { condition, createRegistry, eventReasons, patchRegistrySpec, REGISTRY_API, waitForGone, waitForObject, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;

const fx = withOperator('metadata', { identity: 'metadata-op' });
let client: KubeClient;
let ns: string;
beforeAll(async () => {
  ({ client, ns } = fx);
  await secret('s3-creds', { accessKey: 'AK', secretKey: 'SK' });
});

const s3 = { s3: { endpoint: 'https://s3.example.test', bucket: 'images', secretRef: { name: 's3-creds' } } };
const secret = (name: string, stringData: Record<string, string>) => client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData });
const deployment = (name: string) => client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);
const volume = (d: KubeObject & Any, name: string) => d.spec.template.spec.volumes.find((v: Any) => v.name === name);
/** The rendered config, parsed by the registry's own loader. */
async function config(name: string): Promise<RegistryConfig> {
  const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', `${name}-config`, ns);
  return parseConfigYaml(cm.data['config.yaml']);
}
const metadataReady = (reason: string) => (r: Registry) => condition(r, 'MetadataReady')?.reason === reason;

describe('metadata.embedded', () => {
  it('is the default: SQLite on the filesystem data volume', async () => {
    const created = await createRegistry(client, ns, 'disk', { storage: { filesystem: {} } });
    expect(created.spec.metadata).toEqual({ embedded: {} });
    const reg = await waitForStatus(client, ns, 'disk', 'MetadataReady', metadataReady('Embedded'));
    expect(condition(reg, 'MetadataReady')).toMatchObject({ status: 'True', message: 'SQLite on the data volume', observedGeneration: reg.metadata.generation });
    expect((await config('disk')).metadata).toMatchObject({ engine: 'sqlite', sqlite: { path: '/var/lib/berth/_metadata/index.db' } });
  });

  it('puts SQLite on an emptyDir beside S3 storage, and replaces the pod rather than overlapping two', async () => {
    await createRegistry(client, ns, 'solo', { storage: s3 });
    const reg = await waitForStatus(client, ns, 'solo', 'MetadataReady', metadataReady('Embedded'));
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'False', reason: 'DeploymentUnavailable' });
    expect((await config('solo')).metadata).toMatchObject({ engine: 'sqlite', sqlite: { path: '/var/lib/berth-metadata/index.db' } });
    const d = await deployment('solo');
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(volume(d, 'metadata')).toEqual({ name: 'metadata', emptyDir: {} });
    expect(d.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'metadata', mountPath: '/var/lib/berth-metadata' });
  });
});

describe('metadata.postgres (a CloudNativePG cluster\'s Secrets)', () => {
  const name = 'shared';

  it('renders the URL and CA files for three replicas, and waits for the URL Secret', async () => {
    await createRegistry(client, ns, name, {
      replicas: 3,
      storage: s3,
      metadata: { postgres: { secretRef: { name: 'pg-app' }, tls: { caSecretRef: { name: 'pg-ca' } } } },
    });
    const reg = await waitForStatus(client, ns, name, 'MetadataReady=False', metadataReady('SecretMissing'));
    expect(reg.spec.metadata!.postgres).toEqual({ secretRef: { name: 'pg-app', key: 'uri' }, tls: { caSecretRef: { name: 'pg-ca', key: 'ca.crt' }, insecureSkipVerify: false } });
    expect(condition(reg, 'MetadataReady')).toMatchObject({ status: 'False', message: 'Secret pg-app with key uri not found', observedGeneration: reg.metadata.generation });
    expect(condition(reg, 'StorageReady')?.status).toBe('True');
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'False', reason: 'MetadataNotReady' });

    expect((await config(name)).metadata).toMatchObject({
      engine: 'postgres', postgres: { urlFile: '/etc/berth/metadata/url', tls: { caFile: '/etc/berth/metadata-ca/ca.crt', insecureSkipVerify: false } },
    });
    const d = await deployment(name);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.strategy.type).toBe('RollingUpdate');
    expect(volume(d, 'metadata-url').secret).toMatchObject({ secretName: 'pg-app', items: [{ key: 'uri', path: 'url' }] });
    expect(volume(d, 'metadata-ca').secret).toMatchObject({ secretName: 'pg-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  });

  it('follows the Secrets as they appear: the URL, then the CA', async () => {
    // The names and keys CloudNativePG gives a cluster's app user and its CA.
    await secret('pg-app', { uri: `postgresql://app:pw@pg-rw.${ns}:5432/app`, username: 'app', password: 'pw' });
    let reg = await waitForStatus(client, ns, name, 'CA Secret missing', metadataReady('CASecretMissing'));
    expect(condition(reg, 'MetadataReady')!.message).toBe('Secret pg-ca with key ca.crt not found');
    await secret('pg-ca', { 'ca.crt': '-----BEGIN CERTIFICATE-----\n', 'ca.key': '-----BEGIN EC PRIVATE KEY-----\n' });
    reg = await waitForStatus(client, ns, name, 'MetadataReady=True', metadataReady('CredentialsFound'));
    expect(condition(reg, 'MetadataReady')).toMatchObject({ status: 'True', message: 'PostgreSQL URL from Secret pg-app, key uri' });
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'False', reason: 'DeploymentUnavailable' });
    const dep = await deployment(name);
    await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      observedGeneration: dep.metadata.generation, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3,
    });
    await waitForStatus(client, ns, name, 'Ready', (r) => condition(r, 'Ready')?.status === 'True');
  });
});

describe('metadata.managed', () => {
  const name = 'owned';
  const objects = [
    ['v1', 'Secret', `${name}-postgres-credentials`],
    ['v1', 'Service', `${name}-postgres`],
    ['v1', 'PersistentVolumeClaim', `${name}-postgres-data`],
    ['apps/v1', 'StatefulSet', `${name}-postgres`],
  ] as const;

  it('deploys PostgreSQL with generated credentials, a Service and a volume, all owned by the Registry', async () => {
    const created = await createRegistry(client, ns, name, { replicas: 2, storage: s3, metadata: { managed: {} } });
    const reg = await waitForStatus(client, ns, name, 'MetadataReady=False', metadataReady('PostgresUnavailable'));
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'False', reason: 'MetadataNotReady' });
    for (const [apiVersion, kind, objectName] of objects) {
      const o = await client.get(apiVersion, kind, objectName, ns);
      expect(o.metadata.ownerReferences).toEqual([{ apiVersion: REGISTRY_API, kind: 'Registry', name, uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth-operator', 'app.kubernetes.io/name': 'berth-postgres', 'berth.dev/registry': name });
    }
    const creds = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-postgres-credentials`, ns);
    const uri = Buffer.from(creds.data.uri, 'base64').toString();
    const password = Buffer.from(creds.data.password, 'base64').toString();
    expect(uri).toBe(`postgresql://berth:${password}@${name}-postgres.${ns}.svc:5432/berth?sslmode=disable`);
    const sts = await client.get<KubeObject & Any>('apps/v1', 'StatefulSet', `${name}-postgres`, ns);
    expect(sts.spec.template.spec.containers[0].image).toBe('postgres:15');
    expect(sts.spec.template.spec.volumes.find((v: Any) => v.name === 'data').persistentVolumeClaim.claimName).toBe(`${name}-postgres-data`);
    expect((await config(name)).metadata).toMatchObject({ engine: 'postgres', postgres: { urlFile: '/etc/berth/metadata/url' } });
    expect(volume(await deployment(name), 'metadata-url').secret).toMatchObject({ secretName: `${name}-postgres-credentials`, items: [{ key: 'uri', path: 'url' }] });
  });

  it('keeps the credentials across reconciles and follows the StatefulSet\'s readiness', async () => {
    const before = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-postgres-credentials`, ns);
    await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}-postgres`, { replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    await waitForStatus(client, ns, name, 'MetadataReady=True', metadataReady('PostgresReady'));
    await patchRegistrySpec(client, ns, name, { logLevel: 'debug' });
    await waitForStatus(client, ns, name, 'reconciled after a spec change', (r) => r.metadata.generation === 2 && metadataReady('PostgresReady')(r));
    const after = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-postgres-credentials`, ns);
    expect(after.data).toEqual(before.data);
  });

  it('prunes the database, its volume, Service and credentials when the Registry switches to embedded', async () => {
    await patchRegistrySpec(client, ns, name, { replicas: 1, metadata: { managed: null, embedded: {} } });
    for (const [apiVersion, kind, objectName] of objects) await waitForGone(client, apiVersion, kind, objectName, ns);
    const reg = await waitForStatus(client, ns, name, 'MetadataReady=Embedded', metadataReady('Embedded'));
    expect(reg.spec.metadata).toEqual({ embedded: {} });
    expect((await config(name)).metadata).toMatchObject({ engine: 'sqlite', sqlite: { path: '/var/lib/berth-metadata/index.db' } });
    const d = await deployment(name);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(volume(d, 'metadata-url')).toBeUndefined();
    expect(await eventReasons(client, ns, name)).toContain('Pruned');
  });

  it('comes back on a switch to managed, from an operator-wide default image', async () => {
    await patchRegistrySpec(client, ns, name, { metadata: { embedded: null, managed: { size: '2Gi' } } });
    const sts = await waitForObject<KubeObject & Any>(client, 'apps/v1', 'StatefulSet', `${name}-postgres`, ns);
    expect(sts.spec.template.spec.containers[0].image).toBe('postgres:15');
    const pvc = await waitForObject<KubeObject & Any>(client, 'v1', 'PersistentVolumeClaim', `${name}-postgres-data`, ns);
    expect(pvc.spec.resources.requests.storage).toBe('2Gi');
    const d = await waitForObject<KubeObject & Any>(client, 'apps/v1', 'Deployment', name, ns, (x) => (x as Any).spec.strategy.type === 'RollingUpdate');
    expect(volume(d, 'metadata')).toBeUndefined();
  });
});
