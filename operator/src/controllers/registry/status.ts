// Status conditions computed from what the cluster reports about the owned
// workloads, never from what the operator hopes happened. Pure, so every branch
// is unit-tested.
import { ConditionType, Reason, type ConditionInput } from '../../api/conditions.js';
import type { Registry } from '../../api/types.js';
import { caSecretKey, metadataChoice, urlSecretKey } from './metadata.js';

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

export interface ObservedWorkload {
  metadata: { generation?: number };
  status?: WorkloadStatus;
}

export interface Observed {
  deployment?: ObservedWorkload;
  /** storage.filesystem: phase of the data PVC. */
  volumeClaimPhase?: string;
  /** storage.s3: whether the credentials Secret exists with both keys. */
  s3CredentialsFound?: boolean;
  /** storage.minio. */
  minio?: { statefulSet?: ObservedWorkload; bucketJobSucceeded: boolean };
  /** tls.secretRef: whether the Secret exists with tls.crt and tls.key (pods cannot start without it). */
  tlsSecretFound?: boolean;
  /** metadata.postgres: whether the URL Secret (and the CA Secret, when named) exist with their keys. */
  metadataSecrets?: { urlFound: boolean; caFound?: boolean };
  /** spec.mirror.upstreams: what the registry's admin API says of each, or why it could not be asked. */
  upstreams?: { reports: Array<{ host: string; reachable: boolean; detail: string }> } | { error: string };
  /** spec.security.trust.keys: the keys whose Secret (or key in it) is missing, as "Secret <name> key <key>" (pods cannot start without them). */
  trustKeysMissing?: string[];
  /** metadata.managed: the PostgreSQL StatefulSet. */
  managedPostgres?: { statefulSet?: ObservedWorkload };
}

function cond(type: string, ok: boolean, reason: string, message: string): ConditionInput {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

export function storageCondition(reg: Registry, observed: Observed): ConditionInput {
  const { filesystem, s3, minio } = reg.spec.storage;
  if (filesystem) {
    const phase = observed.volumeClaimPhase;
    return phase === 'Bound'
      ? cond(ConditionType.StorageReady, true, Reason.VolumeClaimBound, 'the data volume claim is bound')
      : cond(ConditionType.StorageReady, false, Reason.VolumeClaimPending, `the data volume claim is ${phase ?? 'missing'}`);
  }
  if (s3) {
    return observed.s3CredentialsFound
      ? cond(ConditionType.StorageReady, true, Reason.CredentialsFound, `S3 bucket ${s3.bucket} at ${s3.endpoint}`)
      : cond(ConditionType.StorageReady, false, Reason.SecretMissing,
        `Secret ${s3.secretRef.name} with keys ${s3.secretRef.accessKeyKey ?? 'accessKey'} and ${s3.secretRef.secretKeyKey ?? 'secretKey'} not found`);
  }
  if (minio) {
    const ready = observed.minio?.statefulSet?.status?.readyReplicas ?? 0;
    if (ready < 1) return cond(ConditionType.StorageReady, false, Reason.MinioUnavailable, 'the MinIO pod is not ready');
    if (!observed.minio?.bucketJobSucceeded) return cond(ConditionType.StorageReady, false, Reason.BucketPending, `bucket ${minio.bucket ?? 'berth'} not created yet`);
    return cond(ConditionType.StorageReady, true, Reason.MinioReady, `MinIO is ready with bucket ${minio.bucket ?? 'berth'}`);
  }
  return cond(ConditionType.StorageReady, false, Reason.InvalidSpec, 'no storage configured');
}

export function metadataCondition(reg: Registry, observed: Observed): ConditionInput {
  const choice = metadataChoice(reg);
  const type = ConditionType.MetadataReady;
  if (choice.kind === 'embedded') {
    const where = reg.spec.storage.filesystem ? 'on the data volume' : 'on the pod\'s emptyDir, rebuilt from storage at start';
    return cond(type, true, Reason.Embedded, `SQLite ${where}`);
  }
  if (choice.kind === 'managed') {
    return (observed.managedPostgres?.statefulSet?.status?.readyReplicas ?? 0) >= 1
      ? cond(type, true, Reason.PostgresReady, 'the managed PostgreSQL is ready')
      : cond(type, false, Reason.PostgresUnavailable, 'the managed PostgreSQL pod is not ready');
  }
  const url = urlSecretKey(reg, choice)!;
  if (!observed.metadataSecrets?.urlFound) return cond(type, false, Reason.SecretMissing, `Secret ${url.name} with key ${url.key} not found`);
  const ca = caSecretKey(choice);
  if (ca && !observed.metadataSecrets.caFound) return cond(type, false, Reason.CASecretMissing, `Secret ${ca.name} with key ${ca.key} not found`);
  return cond(type, true, Reason.CredentialsFound, `PostgreSQL URL from Secret ${url.name}, key ${url.key}`);
}

export function computeConditions(reg: Registry, observed: Observed): ConditionInput[] {
  const want = reg.spec.replicas ?? 1;
  const dep = observed.deployment;
  const s: WorkloadStatus = dep?.status ?? {};
  const available = s.availableReplicas ?? 0;
  const storage = storageCondition(reg, observed);
  const metadata = metadataCondition(reg, observed);

  const caughtUp = !!dep && (s.observedGeneration ?? 0) >= (dep.metadata.generation ?? 1);
  const rolledOut = caughtUp && (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && available === want;
  const progressing = rolledOut
    ? cond(ConditionType.Progressing, false, Reason.RolloutComplete, `${want} of ${want} replicas updated and available`)
    : cond(ConditionType.Progressing, true, Reason.RollingOut, `${s.updatedReplicas ?? 0} of ${want} replicas updated, ${available} available`);

  const stalled = s.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  const failure = s.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  let degraded: ConditionInput;
  if (stalled) degraded = cond(ConditionType.Degraded, true, Reason.RolloutStalled, stalled.message ?? 'the rollout exceeded its progress deadline');
  else if (failure) degraded = cond(ConditionType.Degraded, true, Reason.ReplicasUnavailable, failure.message ?? 'replicas could not be created');
  else if (caughtUp && !rolledOut && (s.updatedReplicas ?? 0) === want && available < want && available > 0) {
    degraded = cond(ConditionType.Degraded, true, Reason.ReplicasUnavailable, `${available} of ${want} replicas available`);
  } else degraded = cond(ConditionType.Degraded, false, Reason.AsExpected, 'no failures observed');

  let ready: ConditionInput;
  if (storage.status !== 'True') ready = cond(ConditionType.Ready, false, Reason.StorageNotReady, storage.message);
  else if (metadata.status !== 'True') ready = cond(ConditionType.Ready, false, Reason.MetadataNotReady, metadata.message);
  else if (observed.tlsSecretFound === false) {
    ready = cond(ConditionType.Ready, false, Reason.TLSSecretMissing, `Secret ${reg.spec.tls?.secretRef?.name} with tls.crt and tls.key not found`);
  } else if (observed.trustKeysMissing?.length) {
    ready = cond(ConditionType.Ready, false, Reason.TrustKeySecretMissing, `trusted keys not found: ${observed.trustKeysMissing.join('; ')}`);
  } else if (available < 1) ready = cond(ConditionType.Ready, false, Reason.DeploymentUnavailable, `0 of ${want} replicas available`);
  else ready = cond(ConditionType.Ready, true, Reason.Available, `${available} of ${want} replicas available`);

  const upstreams = upstreamsCondition(observed);
  return upstreams ? [ready, storage, metadata, progressing, degraded, upstreams] : [ready, storage, metadata, progressing, degraded];
}

/** Only with spec.mirror upstreams: True when the registry reaches each, Unknown while it cannot be asked. It never holds Ready back: cached content is served either way. */
export function upstreamsCondition(observed: Observed): ConditionInput | undefined {
  const u = observed.upstreams;
  if (!u) return undefined;
  const type = ConditionType.UpstreamsReachable;
  if ('error' in u) return { type, status: 'Unknown', reason: Reason.RegistryNotAnswering, message: u.error };
  const failing = u.reports.filter((r) => !r.reachable);
  if (!failing.length) return cond(type, true, Reason.AllReachable, `${u.reports.length} of ${u.reports.length} upstreams answer`);
  return cond(type, false, Reason.UpstreamUnreachable, failing.map((r) => `${r.host}: ${r.detail}`).join('; '));
}

/** Conditions for a spec the operator cannot act on. */
export function invalidSpecConditions(message: string): ConditionInput[] {
  return [
    cond(ConditionType.Ready, false, Reason.InvalidSpec, message),
    cond(ConditionType.Progressing, false, Reason.InvalidSpec, message),
    cond(ConditionType.Degraded, true, Reason.InvalidSpec, message),
  ];
}
