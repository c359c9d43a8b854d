// The Registry reconciler: read the Registry and the inputs that must survive
// across reconciles (keys, credentials, certificate), compute the desired
// objects, apply them with server-side apply, prune the rest, then observe the
// workloads and write status once. Level-triggered and idempotent: running it
// twice in a row changes nothing the second time.
import { setConditions, findCondition, ConditionType } from '../../api/conditions.js';
import { parseDurationSeconds } from '../../api/duration.js';
import { API_VERSION, type Registry, type RegistryStatus, type Repository } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { splitKey, type KubeObject, type SecretObject } from '../../kube/types.js';
import { applyAll } from '../../runtime/apply.js';
import { requeueAfter, type Cache, type ReconcileResult, type Reconciler } from '../../runtime/controller.js';
import { TerminalError, isTerminal } from '../../runtime/errors.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../runtime/logger.js';
import { writeStatus } from '../../runtime/status.js';
import { desired, OWNED_KINDS, serviceDnsNames, type DesiredInputs, type DesiredState } from './desired.js';
import { repositoriesBlock } from '../repository/settings.js';
import { adminCredentialFromSecret, generateAdminCredential } from './admin-credential.js';
import { bucketJobName, generateMinioCredentials, minioCredentialsFromSecret } from './minio.js';
import { pruneSelector, registryNames } from './names.js';
import { planSigningKeys, signingKeysFromSecret, type SigningKeyPlan } from './signing-keys.js';
import { computeConditions, invalidSpecConditions, type Observed, type ObservedWorkload } from './status.js';
import { keyPairFromSecret, planSelfSignedTls, type TlsPlan } from './tls.js';

export interface RegistryReconcilerDeps {
  client: KubeClient;
  events: EventRecorder;
  /** Every Repository, from the controller's cache (synced before any reconcile: an empty one would drop every setting and roll the pods). */
  repositories: Cache<Repository>;
  now?: () => Date;
}

/** How often to look again while waiting on something no watch reports (a user's Secret). */
const WAIT_RECHECK_MS = 10_000;

export function registryReconciler(deps: RegistryReconcilerDeps): Reconciler {
  const { client, events } = deps;
  const now = deps.now ?? (() => new Date());

  async function prepareInputs(reg: Registry, repositories: Repository[], at: Date): Promise<{ inputs: DesiredInputs; keyPlan?: SigningKeyPlan; tlsPlan?: TlsPlan }> {
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
    let tlsPlan: TlsPlan | undefined;
    if (reg.spec.tls?.selfSigned) {
      const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.tls, ns);
      tlsPlan = planSelfSignedTls(keyPairFromSecret(secret), serviceDnsNames(reg), at);
    }
    let minioCredentials;
    if (reg.spec.storage.minio) {
      const secret = await client.getOptional<SecretObject>('v1', 'Secret', names.minioCredentials, ns);
      minioCredentials = minioCredentialsFromSecret(secret) ?? generateMinioCredentials();
    }
    let admin;
    if (reg.spec.auth?.enabled ?? true) {
      admin = adminCredentialFromSecret(await client.getOptional<SecretObject>('v1', 'Secret', names.admin, ns)) ?? await generateAdminCredential();
    }
    // Invalid Repository specs are left out here and reported on the Repository itself.
    const { entries } = repositoriesBlock(reg.metadata.name, repositories.filter((r) => r.metadata.namespace === ns));
    return { inputs: { signingKeys: keyPlan?.keys ?? [], selfSignedTls: tlsPlan?.pair, minioCredentials, admin, repositories: entries }, keyPlan, tlsPlan };
  }

  async function observe(reg: Registry): Promise<Observed> {
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
    if (reg.spec.tls?.secretRef) {
      const secret = await client.getOptional<SecretObject>('v1', 'Secret', reg.spec.tls.secretRef.name, ns);
      observed.tlsSecretFound = !!secret?.data?.['tls.crt'] && !!secret.data['tls.key'];
    }
    return observed;
  }

  async function recordChanges(reg: Registry, state: DesiredState, keyPlan: SigningKeyPlan | undefined, tlsPlan: TlsPlan | undefined, pruned: KubeObject[]) {
    if (keyPlan?.change === 'created') await events.record(reg, 'Normal', 'SigningKeyCreated', `created token-signing key ${keyPlan.keys[0].kid}`);
    if (keyPlan?.change === 'rotated') {
      await events.record(reg, 'Normal', 'SigningKeyRotated', `rotated token-signing key to ${keyPlan.keys[0].kid}; ${keyPlan.keys[1].kid} still verifies`);
    }
    if (tlsPlan && tlsPlan.change !== 'none') await events.record(reg, 'Normal', 'CertificateIssued', `self-signed serving certificate ${tlsPlan.change}`);
    if (reg.status?.configHash && reg.status.configHash !== state.configHash) {
      await events.record(reg, 'Normal', 'ConfigChanged', `registry config changed (${reg.status.configHash} → ${state.configHash}); rolling the pods`);
    }
    for (const obj of pruned) await events.record(reg, 'Normal', 'Pruned', `deleted ${obj.kind} ${obj.metadata.name}, no longer needed`);
  }

  return async (key: string, log: Logger): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const reg = await client.getOptional<Registry>(API_VERSION, 'Registry', name, namespace!);
    // Gone or going: the garbage collector removes everything we own through ownerReferences.
    if (!reg || reg.metadata.deletionTimestamp) return;
    const at = now();
    const generation = reg.metadata.generation;

    let prepared: Awaited<ReturnType<typeof prepareInputs>>;
    let state: DesiredState;
    try {
      prepared = await prepareInputs(reg, deps.repositories.list(), at);
      state = desired(reg, prepared.inputs);
    } catch (err) {
      if (isTerminal(err)) {
        const conditions = setConditions(reg.status?.conditions, invalidSpecConditions(err.message), generation, at);
        await writeStatus(client, reg, { ...reg.status, observedGeneration: generation, conditions });
        await events.record(reg, 'Warning', 'InvalidSpec', err.message);
      }
      throw err;
    }

    const { pruned } = await applyAll(client, state.objects, {
      namespace: namespace!,
      labelSelector: pruneSelector(reg),
      ownerUid: reg.metadata.uid!,
      kinds: Object.values(OWNED_KINDS),
    });
    await recordChanges(reg, state, prepared.keyPlan, prepared.tlsPlan, pruned);

    const observed = await observe(reg);
    const conditions = setConditions(reg.status?.conditions, computeConditions(reg, observed), generation, at);
    const status: RegistryStatus = {
      observedGeneration: generation,
      endpoint: state.endpoint,
      readyReplicas: observed.deployment?.status?.readyReplicas ?? 0,
      configHash: state.configHash,
      ...(prepared.keyPlan ? { signingKeyID: prepared.keyPlan.keys[0].kid } : {}),
      conditions,
    };
    await writeStatus(client, reg, status);

    const wasReady = findCondition(reg.status?.conditions, ConditionType.Ready);
    const ready = findCondition(conditions, ConditionType.Ready)!;
    if (wasReady && wasReady.status !== ready.status) {
      await events.record(reg, ready.status === 'True' ? 'Normal' : 'Warning', ready.status === 'True' ? 'Ready' : 'NotReady', ready.message);
    }
    log.debug('reconciled', { generation, configHash: state.configHash, ready: ready.status });

    const waits: number[] = [];
    if (prepared.keyPlan) waits.push(prepared.keyPlan.nextRotationAt.getTime() - at.getTime());
    if (prepared.tlsPlan) waits.push(prepared.tlsPlan.renewAt.getTime() - at.getTime());
    // Secrets the user owns are not watched: look again while waiting for them.
    if (observed.s3CredentialsFound === false || observed.tlsSecretFound === false) waits.push(WAIT_RECHECK_MS);
    return requeueAfter(Math.min(...waits));
  };
}
