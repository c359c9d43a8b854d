// desired() for each metadata index choice: the config block the registry's own
// renderer accepts, the files the pod mounts for it, how the pods roll, and the
// managed PostgreSQL's objects.
import { parseConfigYaml } from '#contract/config/load.js';
import type { RegistrySpec } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { desired, type DesiredInputs } from './desired.js';
import { registry } from './fixtures.test-support.js';
import { generatePostgresCredentials, postgresCredentialsFromSecret, type PostgresCredentials } from './postgres.js';

type Any = Record<string, any>;
const inputs: DesiredInputs = { signingKeys: [] };
const creds: PostgresCredentials = { username: 'berth', password: 'pw-AZ_9', database: 'berth' };
const managedInputs: DesiredInputs = { ...inputs, managedPostgres: { credentials: creds, defaultImage: 'postgres:15' } };
const s3 = { endpoint: 'https://s3.example.test', bucket: 'images', secretRef: { name: 's3-creds' } };
const cnpg = { secretRef: { name: 'db-app', key: 'uri' }, tls: { caSecretRef: { name: 'db-ca', key: 'ca.crt' } } };

const render = (spec: Partial<RegistrySpec>, given = inputs) => {
  const state = desired(registry(spec), given);
  const dep = state.objects.find((o) => o.kind === 'Deployment') as KubeObject & Any;
  const pod = dep.spec.template.spec;
  return {
    state,
    dep,
    // Parsed with the registry's own schema: what the registry would run with.
    metadata: parseConfigYaml(state.configYaml).metadata,
    mounts: Object.fromEntries(pod.containers[0].volumeMounts.map((m: Any) => [m.name, m.mountPath])) as Record<string, string>,
    volume: (name: string) => pod.volumes.find((v: Any) => v.name === name),
    names: state.objects.map((o) => `${o.kind}/${o.metadata.name}`),
  };
};

describe('metadata.embedded', () => {
  it('is the default, with SQLite beside the content on the filesystem data volume', () => {
    const r = render({});
    expect(r.metadata).toMatchObject({ engine: 'sqlite', sqlite: { path: '/var/lib/berth/_metadata/index.db' } });
    expect(r.mounts.data).toBe('/var/lib/berth');
    expect(r.volume('metadata')).toBeUndefined();
    expect(render({ metadata: { embedded: {} } }).state.configHash).toBe(r.state.configHash);
  });

  it('puts SQLite on an emptyDir with S3 storage, and replaces pods instead of overlapping them', () => {
    const r = render({ storage: { s3 } });
    expect(r.metadata).toMatchObject({ engine: 'sqlite', sqlite: { path: '/var/lib/berth-metadata/index.db' } });
    expect(r.volume('metadata')).toEqual({ name: 'metadata', emptyDir: {} });
    expect(r.mounts.metadata).toBe('/var/lib/berth-metadata');
    // One writer at a time: the new pod rebuilds the index from storage after the old one stopped writing.
    expect(r.dep.spec.strategy).toEqual({ type: 'Recreate' });
    expect(r.names.some((n) => n.includes('postgres'))).toBe(false);
  });
});

describe('metadata.postgres', () => {
  it('mounts only the URL key and the CA key, and names both files in the config', () => {
    const r = render({ replicas: 3, storage: { s3 }, metadata: { postgres: cnpg } });
    expect(r.metadata.engine).toBe('postgres');
    expect(r.metadata.postgres).toEqual({
      urlFile: '/etc/berth/metadata/url', tls: { caFile: '/etc/berth/metadata-ca/ca.crt', insecureSkipVerify: false },
      poolSize: 10, statementTimeoutSeconds: 10, connectTimeoutSeconds: 3,
    });
    expect(r.volume('metadata-url').secret).toEqual({ secretName: 'db-app', items: [{ key: 'uri', path: 'url' }], defaultMode: 0o440 });
    // The CA Secret of CloudNativePG also holds the CA's private key: only ca.crt reaches the pod.
    expect(r.volume('metadata-ca').secret).toEqual({ secretName: 'db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o440 });
    expect(r.mounts).toMatchObject({ 'metadata-url': '/etc/berth/metadata', 'metadata-ca': '/etc/berth/metadata-ca' });
    expect(r.volume('metadata')).toBeUndefined();
    expect(r.dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(r.state.configYaml).not.toMatch(/postgresql:\/\//);
  });

  it('defaults the keys to CloudNativePG\'s (uri, ca.crt), and skips verification only when asked', () => {
    const r = render({ storage: { s3 }, metadata: { postgres: { secretRef: { name: 'db-app' }, tls: { caSecretRef: { name: 'db-ca' } } } } });
    expect(r.volume('metadata-url').secret.items).toEqual([{ key: 'uri', path: 'url' }]);
    expect(r.volume('metadata-ca').secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    const insecure = render({ storage: { s3 }, metadata: { postgres: { secretRef: { name: 'db' }, tls: { insecureSkipVerify: true } } } });
    expect(insecure.metadata.postgres!.tls).toEqual({ insecureSkipVerify: true });
    expect(insecure.volume('metadata-ca')).toBeUndefined();
    const plain = render({ storage: { s3 }, metadata: { postgres: { secretRef: { name: 'db', key: 'dsn' } } } });
    expect(plain.metadata.postgres).toMatchObject({ urlFile: '/etc/berth/metadata/url', tls: { insecureSkipVerify: false } });
    expect(plain.metadata.postgres!.tls.caFile).toBeUndefined();
    expect(plain.volume('metadata-url').secret.items).toEqual([{ key: 'dsn', path: 'url' }]);
  });

  it('works with filesystem storage too, and a switch of engine rolls the pods', () => {
    const embedded = render({});
    const shared = render({ metadata: { postgres: cnpg } });
    expect(shared.metadata.engine).toBe('postgres');
    expect(shared.mounts.data).toBe('/var/lib/berth');
    expect(shared.state.configHash).not.toBe(embedded.state.configHash);
  });
});

describe('metadata.managed', () => {
  const r = render({ replicas: 3, storage: { minio: { managed: true } }, metadata: { managed: {} } }, { ...managedInputs, minioCredentials: { accessKey: 'a', secretKey: 'b' } });
  const find = (kind: string, name: string) => r.state.objects.find((o) => o.kind === kind && o.metadata.name === name) as KubeObject & Any;

  it('deploys credentials, a Service, a volume claim and a one-pod StatefulSet, all owned by the Registry', () => {
    expect(r.names).toEqual(expect.arrayContaining([
      'Secret/main-postgres-credentials', 'Service/main-postgres', 'PersistentVolumeClaim/main-postgres-data', 'StatefulSet/main-postgres',
    ]));
    for (const name of ['main-postgres-credentials', 'main-postgres', 'main-postgres-data']) {
      const o = r.state.objects.find((x) => x.metadata.name === name)!;
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', name: 'main', uid: 'uid-1234', controller: true })]);
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'berth-postgres', 'berth.dev/registry': 'main' });
    }
  });

  it('stores the credentials and the in-cluster URL the registry reads', () => {
    const secret = find('Secret', 'main-postgres-credentials');
    const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(data).toEqual({ username: 'berth', password: 'pw-AZ_9', database: 'berth', uri: 'postgresql://berth:pw-AZ_9@main-postgres.team.svc:5432/berth?sslmode=disable' });
    expect(postgresCredentialsFromSecret({ data: secret.data })).toEqual(creds);
    expect(r.volume('metadata-url').secret).toEqual({ secretName: 'main-postgres-credentials', items: [{ key: 'uri', path: 'url' }], defaultMode: 0o440 });
    expect(r.metadata.postgres).toMatchObject({ urlFile: '/etc/berth/metadata/url' });
    expect(r.state.configYaml).not.toContain('pw-AZ_9');
  });

  it('runs the official image unprivileged on a read-only root filesystem, on the claim', () => {
    const sts = find('StatefulSet', 'main-postgres');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('main-postgres');
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    const c = pod.containers[0];
    expect(c.image).toBe('postgres:15');
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.env.find((e: Any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'main-postgres-credentials', key: 'password' });
    expect(c.env.find((e: Any) => e.name === 'PGDATA').value).toBe('/var/lib/postgresql/data/pgdata');
    expect(c.readinessProbe.exec.command).toEqual(['pg_isready', '--host=127.0.0.1', '--port=5432', '--username=berth', '--dbname=berth']);
    expect(pod.volumes.find((v: Any) => v.name === 'data').persistentVolumeClaim).toEqual({ claimName: 'main-postgres-data' });
    expect(c.volumeMounts.map((m: Any) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
    expect(find('PersistentVolumeClaim', 'main-postgres-data').spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(find('Service', 'main-postgres').spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
  });

  it('takes the image, size, class and resources from the spec', () => {
    const spec = { image: 'mirror.example/postgres:15.8', size: '50Gi', storageClassName: 'fast', resources: { requests: { cpu: '1', memory: '1Gi' } } };
    const custom = render({ metadata: { managed: spec } }, managedInputs);
    const sts = custom.state.objects.find((o) => o.kind === 'StatefulSet') as KubeObject & Any;
    expect(sts.spec.template.spec.containers[0]).toMatchObject({ image: spec.image, resources: spec.resources });
    const pvc = custom.state.objects.find((o) => o.metadata.name === 'main-postgres-data') as KubeObject & Any;
    expect(pvc.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '50Gi' } } });
    expect(() => desired(registry({ metadata: { managed: {} } }), inputs)).toThrow(/managedPostgres/);
  });

  it('generates URL-safe credentials and reads back only complete ones', () => {
    const a = generatePostgresCredentials();
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generatePostgresCredentials().password).not.toBe(a.password);
    expect(postgresCredentialsFromSecret({ data: { username: 'YQ==', password: 'Yg==' } })).toBeUndefined();
    expect(postgresCredentialsFromSecret(undefined)).toBeUndefined();
  });
});

describe('an invalid metadata choice', () => {
  it('is a terminal spec error: none or several of embedded, postgres and managed', () => {
    const message = 'spec.metadata: set exactly one of embedded, postgres and managed';
    expect(() => desired(registry({ metadata: {} }), inputs)).toThrow(message);
    expect(() => desired(registry({ metadata: { embedded: {}, postgres: cnpg } }), inputs)).toThrow(expect.objectContaining({ name: 'TerminalError', message }));
  });

  it('is a terminal spec error with several replicas on embedded, as for a Registry stored before the CRD refused it', () => {
    expect(() => desired(registry({ replicas: 2, storage: { s3 } }), inputs)).toThrow(expect.objectContaining({
      name: 'TerminalError', message: expect.stringContaining('metadata.embedded is SQLite inside one pod and supports only replicas: 1'),
    }));
  });
});
