// Status conditions (metav1.Condition) and the reasons the operator uses.
// Reasons are constants so that tests, docs and alerts can rely on them.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export const ConditionType = {
  Ready: 'Ready',
  StorageReady: 'StorageReady',
  MetadataReady: 'MetadataReady',
  /** spec.mirror: whether the registry reaches every upstream (asked through its admin API). */
  UpstreamsReachable: 'UpstreamsReachable',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
} as const;

export const Reason = {
  // Ready
  Available: 'Available',
  DeploymentUnavailable: 'DeploymentUnavailable',
  StorageNotReady: 'StorageNotReady',
  MetadataNotReady: 'MetadataNotReady',
  TLSSecretMissing: 'TLSSecretMissing',
  TrustKeySecretMissing: 'TrustKeySecretMissing',
  InvalidSpec: 'InvalidSpec',
  // StorageReady
  VolumeClaimBound: 'VolumeClaimBound',
  VolumeClaimPending: 'VolumeClaimPending',
  CredentialsFound: 'CredentialsFound',
  SecretMissing: 'SecretMissing',
  MinioReady: 'MinioReady',
  MinioUnavailable: 'MinioUnavailable',
  BucketPending: 'BucketPending',
  // MetadataReady (also CredentialsFound and SecretMissing, for the database URL's Secret)
  Embedded: 'Embedded',
  CASecretMissing: 'CASecretMissing',
  PostgresReady: 'PostgresReady',
  PostgresUnavailable: 'PostgresUnavailable',
  // UpstreamsReachable
  AllReachable: 'AllReachable',
  UpstreamUnreachable: 'UpstreamUnreachable',
  RegistryNotAnswering: 'RegistryNotAnswering',
  // Progressing
  RollingOut: 'RollingOut',
  RolloutComplete: 'RolloutComplete',
  // Degraded
  AsExpected: 'AsExpected',
  ReplicasUnavailable: 'ReplicasUnavailable',
  RolloutStalled: 'RolloutStalled',
} as const;

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Merges `next` into the existing conditions: lastTransitionTime changes only when
 * the status flips, so it tells how long a condition has held.
 */
export function setConditions(existing: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  const previous = new Map((existing ?? []).map((c) => [c.type, c]));
  const merged = next.map((c) => {
    const old = previous.get(c.type);
    return {
      ...c,
      observedGeneration: generation,
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  });
  // Keep conditions other controllers or versions wrote, in their original order.
  const ours = new Set(next.map((c) => c.type));
  return [...merged, ...(existing ?? []).filter((c) => !ours.has(c.type))];
}

export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
