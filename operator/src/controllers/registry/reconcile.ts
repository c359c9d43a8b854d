// The Registry reconciler: read the Registry and the inputs that must survive
// across reconciles (keys, credentials, certificate), compute the desired
// objects, apply them with server-side apply, prune the rest, then observe the
// workloads and write status once. Level-triggered and idempotent: running it
// twice in a row changes nothing the second time.
import { setConditions, findCondition, ConditionType } from '../../api/conditions.js';
import { API_VERSION, type Registry, type Repository } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { splitKey, type KubeObject } from '../../kube/types.js';
import { applyAll } from '../../runtime/apply.js';
import { requeueAfter, type Cache, type ReconcileResult, type Reconciler } from '../../runtime/controller.js';
import { isTerminal } from '../../runtime/errors.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../runtime/logger.js';
import { writeStatus } from '../../runtime/status.js';
import { ClusterIssuerDiscovery } from './cluster-issuer.js';
import { desired, OWNED_KINDS, type DesiredState } from './desired.js';
import { prepareInputs, type PreparedInputs, type RegistryDefaults } from './inputs.js';
import { pruneSelector } from './names.js';
import { releaseTokenReviewBinding, syncTokenReviewBinding } from './token-review.js';
import { observe } from './observe.js';
import { computeConditions, invalidSpecConditions, type Observed } from './status.js';

export interface RegistryReconcilerDeps {
  client: KubeClient;
  events: EventRecorder;
  /** Every Repository, from the controller's cache (synced before any reconcile: an empty one would drop every setting and roll the pods). */
  repositories: Cache<Repository>;
  defaults: RegistryDefaults;
  /** Where to reach registries' admin APIs instead of their Services (an operator outside the cluster). */
  registryUrls?: ReadonlyMap<string, string>;
  now?: () => Date;
  /** Where the cluster's ServiceAccount issuer is read (shared so it is asked once per TTL). */
  discovery?: ClusterIssuerDiscovery;
}

/** How often to look again while waiting on something no watch reports (a user's Secret). */
const WAIT_RECHECK_MS = 10_000;
/** How often the UpstreamsReachable condition is refreshed. */
const UPSTREAMS_RECHECK_MS = 60_000;

export function registryReconciler(deps: RegistryReconcilerDeps): Reconciler {
  const { client, events } = deps;
  const now = deps.now ?? (() => new Date());
  const discovery = deps.discovery ?? new ClusterIssuerDiscovery(client);

  return async (key: string, log: Logger): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const found = await client.getOptional<Registry>(API_VERSION, 'Registry', name, namespace);
    if (!found) return;
    // Going: the garbage collector removes everything we own through ownerReferences; the TokenReview binding is cluster-scoped.
    if (found.metadata.deletionTimestamp) return releaseTokenReviewBinding(client, found);
    const at = now();

    let prepared: PreparedInputs;
    let state: DesiredState;
    try {
      prepared = await prepareInputs(client, found, deps.repositories.list(), deps.defaults, at, discovery);
      state = desired(found, prepared.inputs);
    } catch (err) {
      if (isTerminal(err)) await reportInvalidSpec(client, events, found, err.message, at);
      throw err;
    }

    const { pruned } = await applyAll(client, state.objects, {
      namespace: namespace!,
      labelSelector: pruneSelector(found),
      ownerUid: found.metadata.uid!,
      kinds: Object.values(OWNED_KINDS),
    });
    const reg = await syncTokenReviewBinding(client, found);
    await recordChanges(events, reg, state, prepared, pruned);
    const observed = await observe(client, reg, deps.registryUrls);
    const ready = await publishStatus(client, events, reg, state, prepared, observed, at);
    log.debug('reconciled', { generation: reg.metadata.generation, configHash: state.configHash, ready });
    return requeueAfter(nextCheckMs(prepared, observed, at));
  };
}

async function reportInvalidSpec(client: KubeClient, events: EventRecorder, reg: Registry, message: string, at: Date): Promise<void> {
  const generation = reg.metadata.generation;
  const conditions = setConditions(reg.status?.conditions, invalidSpecConditions(message), generation, at);
  await writeStatus(client, reg, { ...reg.status, observedGeneration: generation, conditions });
  await events.record(reg, 'Warning', 'InvalidSpec', message);
}

async function recordChanges(events: EventRecorder, reg: Registry, state: DesiredState, { keyPlan, tlsPlan }: PreparedInputs, pruned: KubeObject[]): Promise<void> {
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

/** Writes the status and records a Ready flip; returns the Ready status. */
async function publishStatus(client: KubeClient, events: EventRecorder, reg: Registry, state: DesiredState, { keyPlan }: PreparedInputs, observed: Observed, at: Date): Promise<string> {
  const generation = reg.metadata.generation;
  const conditions = setConditions(reg.status?.conditions, computeConditions(reg, observed), generation, at);
  await writeStatus(client, reg, {
    observedGeneration: generation,
    endpoint: state.endpoint,
    readyReplicas: observed.deployment?.status?.readyReplicas ?? 0,
    configHash: state.configHash,
    ...(keyPlan ? { signingKeyID: keyPlan.keys[0].kid } : {}),
    conditions,
  });
  const wasReady = findCondition(reg.status?.conditions, ConditionType.Ready);
  const ready = findCondition(conditions, ConditionType.Ready)!;
  if (wasReady && wasReady.status !== ready.status) {
    await events.record(reg, ready.status === 'True' ? 'Normal' : 'Warning', ready.status === 'True' ? 'Ready' : 'NotReady', ready.message);
  }
  return ready.status;
}

/** Time-based work: the next key rotation or certificate renewal, or a recheck while the user's Secrets (S3, TLS, database URL and CA) are missing. */
function nextCheckMs({ keyPlan, tlsPlan }: PreparedInputs, observed: Observed, at: Date): number {
  const waits: number[] = [];
  if (keyPlan) waits.push(keyPlan.nextRotationAt.getTime() - at.getTime());
  if (tlsPlan) waits.push(tlsPlan.renewAt.getTime() - at.getTime());
  // Secrets the user owns are not watched: look again while waiting for them.
  const metadataSecretMissing = observed.metadataSecrets && (!observed.metadataSecrets.urlFound || observed.metadataSecrets.caFound === false);
  if (observed.s3CredentialsFound === false || observed.tlsSecretFound === false || metadataSecretMissing || observed.trustKeysMissing?.length) waits.push(WAIT_RECHECK_MS);
  // Upstreams come and go without any watch telling: ask again on a period.
  if (observed.upstreams) waits.push(UPSTREAMS_RECHECK_MS);
  return Math.min(...waits);
}
