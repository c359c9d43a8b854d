import { computeConditions, invalidSpecConditions, type Observed } from './status.js';
import { registry } from './fixtures.test-support.js';

const byType = (conds: ReturnType<typeof computeConditions>) => Object.fromEntries(conds.map((c) => [c.type, `${c.status}/${c.reason}`]));
const deployment = (generation: number, status: Record<string, unknown>) => ({ metadata: { generation }, status });

describe('computeConditions', () => {
  it('is not ready while the Deployment has no available replica', () => {
    const observed: Observed = { deployment: deployment(1, {}), volumeClaimPhase: 'Bound' };
    expect(byType(computeConditions(registry(), observed))).toEqual({
      Ready: 'False/DeploymentUnavailable', StorageReady: 'True/VolumeClaimBound', MetadataReady: 'True/Embedded', Progressing: 'True/RollingOut', Degraded: 'False/AsExpected',
    });
  });

  it('is ready once the rollout is complete and storage is ready', () => {
    const observed: Observed = {
      deployment: deployment(2, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }),
      volumeClaimPhase: 'Bound',
    };
    expect(byType(computeConditions(registry(), observed))).toEqual({
      Ready: 'True/Available', StorageReady: 'True/VolumeClaimBound', MetadataReady: 'True/Embedded', Progressing: 'False/RolloutComplete', Degraded: 'False/AsExpected',
    });
  });

  it('keeps Progressing while the Deployment controller has not seen the new generation', () => {
    const observed: Observed = {
      deployment: deployment(3, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      volumeClaimPhase: 'Bound',
    };
    expect(byType(computeConditions(registry(), observed)).Progressing).toBe('True/RollingOut');
  });

  it('reports storage first when the volume claim is pending', () => {
    const observed: Observed = { deployment: deployment(1, { availableReplicas: 1 }), volumeClaimPhase: 'Pending' };
    const c = computeConditions(registry(), observed);
    expect(byType(c).Ready).toBe('False/StorageNotReady');
    expect(c.find((x) => x.type === 'StorageReady')!.message).toBe('the data volume claim is Pending');
  });

  it('checks S3 credentials and managed MinIO', () => {
    const s3 = registry({ replicas: 2, storage: { s3: { endpoint: 'https://s3', bucket: 'bkt', secretRef: { name: 'creds' } } } });
    expect(byType(computeConditions(s3, { s3CredentialsFound: false })).StorageReady).toBe('False/SecretMissing');
    expect(byType(computeConditions(s3, { s3CredentialsFound: true })).StorageReady).toBe('True/CredentialsFound');
    const minio = registry({ storage: { minio: { managed: true } } });
    expect(byType(computeConditions(minio, { minio: { bucketJobSucceeded: false } })).StorageReady).toBe('False/MinioUnavailable');
    const sts = { metadata: { generation: 1 }, status: { readyReplicas: 1 } };
    expect(byType(computeConditions(minio, { minio: { statefulSet: sts, bucketJobSucceeded: false } })).StorageReady).toBe('False/BucketPending');
    expect(byType(computeConditions(minio, { minio: { statefulSet: sts, bucketJobSucceeded: true } })).StorageReady).toBe('True/MinioReady');
  });

  it('reports the metadata index from what is observable, and Ready waits for it', () => {
    const s3 = { endpoint: 'https://s3', bucket: 'bkt', secretRef: { name: 'creds' } };
    const available = deployment(1, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    const base: Observed = { deployment: available, s3CredentialsFound: true };
    const conds = (reg: ReturnType<typeof registry>, observed: Observed) => computeConditions(reg, { ...base, ...observed });

    const embedded = conds(registry({ storage: { s3 } }), {});
    expect(byType(embedded)).toMatchObject({ MetadataReady: 'True/Embedded', Ready: 'True/Available' });
    expect(embedded.find((c) => c.type === 'MetadataReady')!.message).toBe('SQLite on the pod\'s emptyDir, rebuilt from storage at start');

    const external = registry({ replicas: 3, storage: { s3 }, metadata: { postgres: { secretRef: { name: 'db-app', key: 'uri' }, tls: { caSecretRef: { name: 'db-ca' } } } } });
    const missing = conds(external, { metadataSecrets: { urlFound: false, caFound: true } });
    expect(byType(missing)).toMatchObject({ MetadataReady: 'False/SecretMissing', Ready: 'False/MetadataNotReady' });
    expect(missing.find((c) => c.type === 'Ready')!.message).toBe('Secret db-app with key uri not found');
    const noCa = conds(external, { metadataSecrets: { urlFound: true, caFound: false } });
    expect(noCa.find((c) => c.type === 'MetadataReady')).toMatchObject({ status: 'False', reason: 'CASecretMissing', message: 'Secret db-ca with key ca.crt not found' });
    expect(byType(conds(external, { metadataSecrets: { urlFound: true, caFound: true } }))).toMatchObject({ MetadataReady: 'True/CredentialsFound', Ready: 'True/Available' });

    const managed = registry({ replicas: 3, storage: { s3 }, metadata: { managed: {} } });
    expect(byType(conds(managed, {}))).toMatchObject({ MetadataReady: 'False/PostgresUnavailable', Ready: 'False/MetadataNotReady' });
    const sts = { metadata: { generation: 1 }, status: { readyReplicas: 0 } };
    expect(byType(conds(managed, { managedPostgres: { statefulSet: sts } })).MetadataReady).toBe('False/PostgresUnavailable');
    sts.status.readyReplicas = 1;
    expect(byType(conds(managed, { managedPostgres: { statefulSet: sts } }))).toMatchObject({ MetadataReady: 'True/PostgresReady', Ready: 'True/Available' });
    // Storage is reported first.
    expect(byType(conds(managed, { s3CredentialsFound: false })).Ready).toBe('False/StorageNotReady');
  });

  it('is not ready while the TLS Secret named in the spec is missing', () => {
    const reg = registry({ tls: { secretRef: { name: 'cert' } } });
    const available = deployment(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(byType(computeConditions(reg, { deployment: available, volumeClaimPhase: 'Bound', tlsSecretFound: false })).Ready).toBe('False/TLSSecretMissing');
    const keys = computeConditions(reg, { deployment: available, volumeClaimPhase: 'Bound', trustKeysMissing: ['Secret cosign key cosign.pub (trust key release)'] });
    expect(keys.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'TrustKeySecretMissing', message: 'trusted keys not found: Secret cosign key cosign.pub (trust key release)' });
    expect(byType(computeConditions(reg, { deployment: available, volumeClaimPhase: 'Bound', trustKeysMissing: [] })).Ready).toBe('True/Available');
    expect(byType(computeConditions(reg, { deployment: available, volumeClaimPhase: 'Bound', tlsSecretFound: true })).Ready).toBe('True/Available');
  });

  it('is degraded when a rollout stalls or replicas stay unavailable', () => {
    const stalled = deployment(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'deadline' }] });
    expect(byType(computeConditions(registry(), { deployment: stalled, volumeClaimPhase: 'Bound' })).Degraded).toBe('True/RolloutStalled');
    const short = deployment(1, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 2 });
    const reg = registry({ replicas: 3, storage: { s3: { endpoint: 'https://s3', bucket: 'bkt', secretRef: { name: 'c' } } } });
    const c = byType(computeConditions(reg, { deployment: short, s3CredentialsFound: true }));
    expect(c).toMatchObject({ Ready: 'True/Available', Degraded: 'True/ReplicasUnavailable' });
  });

  it('marks an invalid spec on Ready, Progressing and Degraded', () => {
    expect(invalidSpecConditions('bad').map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=False/InvalidSpec', 'Progressing=False/InvalidSpec', 'Degraded=True/InvalidSpec',
    ]);
  });
});

describe('UpstreamsReachable', () => {
  const ready = deployment(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
  const upstreams = (u: Observed['upstreams']) => byType(computeConditions(registry(), { deployment: ready, volumeClaimPhase: 'Bound', upstreams: u }));

  it('is absent without upstreams, and never holds Ready back', () => {
    expect(byType(computeConditions(registry(), { deployment: ready, volumeClaimPhase: 'Bound' })).UpstreamsReachable).toBeUndefined();
    const failing = upstreams({ reports: [{ host: 'docker.io', reachable: false, detail: 'GET /v2/ answered 503' }] });
    expect(failing).toMatchObject({ Ready: 'True/Available', UpstreamsReachable: 'False/UpstreamUnreachable' });
  });

  it('is True when every upstream answers, False naming each that does not, Unknown when the registry cannot be asked', () => {
    expect(upstreams({ reports: [{ host: 'docker.io', reachable: true, detail: 'GET /v2/ answered 401' }] }).UpstreamsReachable).toBe('True/AllReachable');
    const conds = computeConditions(registry(), {
      deployment: ready, volumeClaimPhase: 'Bound',
      upstreams: { reports: [{ host: 'docker.io', reachable: true, detail: 'GET /v2/ answered 200' }, { host: 'ghcr.io', reachable: false, detail: 'connect ECONNREFUSED' }] },
    });
    expect(conds.find((c) => c.type === 'UpstreamsReachable')).toMatchObject({ status: 'False', message: 'ghcr.io: connect ECONNREFUSED' });
    expect(upstreams({ error: 'no registry replica is available to ask' }).UpstreamsReachable).toBe('Unknown/RegistryNotAnswering');
  });
});
