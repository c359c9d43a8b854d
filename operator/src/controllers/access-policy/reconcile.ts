// The AccessPolicy reconciler. One pass, level-triggered: read the policy, the
// namespaces it selects (from the informer caches), the Registry's policy state;
// mint what is missing or due; write the registry's policy file FIRST, then the
// pull secrets, then record which secrets are now in use (so old ones start
// expiring only once their successors are everywhere); patch ServiceAccounts;
// delete what no longer belongs; publish status. Nothing it logs, records or
// publishes contains a credential.
import { forEachLimit, mapLimit } from '#contract/util/limit.js';
import { setConditions } from '../../api/conditions.js';
import { parseDurationSeconds } from '../../api/duration.js';
import { API_VERSION, type AccessPolicy, type AccessPolicyStatus, type Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { splitKey, type KubeObject, type SecretObject } from '../../kube/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';
import { requeueAfter, type Cache, type ReconcileResult, type Reconciler } from '../../runtime/controller.js';
import { TerminalError } from '../../runtime/errors.js';
import type { EventRecorder } from '../../runtime/events.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { Logger } from '../../runtime/logger.js';
import { writeStatus } from '../../runtime/status.js';
import { removePullSecrets } from './cleanup.js';
import { mintSecret, type Minted } from './credentials.js';
import { describeError, type Failure } from './failures.js';
import { readDockerConfig, registryHosts, type Credential } from './dockerconfig.js';
import {
  DEFAULT_OVERLAP, DEFAULT_ROTATION_PERIOD, FINALIZER, POLICY_UID_LABEL, ROTATE_ANNOTATION, robotName, secretName,
} from './names.js';
import { activate, liveIsCurrent, newestActive, planRobot, type RobotPlan } from './plan.js';
import { PolicyStateStore } from './policy-secret.js';
import { OwnWrites } from './own-writes.js';
import { DOCKER_CONFIG_KEY, desiredPullSecret, isOurs, upToDate, writePullSecret } from './pull-secrets.js';
import { selectNamespaces } from './selector.js';
import { applyPullSecrets, nextPullSecrets, wantsServiceAccount, type ServiceAccountObject } from './service-accounts.js';
import type { RobotState } from './state.js';
import { accessPolicyConditions, type SyncOutcome } from './status.js';

/** What the AccessPolicy reconciler reads from its controller's informer caches. */
export interface AccessPolicyCaches {
  policies: Cache<AccessPolicy>;
  namespaces: Cache<KubeObject>;
  /** Pull secrets of every policy, in every namespace. */
  pullSecrets: Cache<SecretObject>;
  serviceAccounts: Cache<ServiceAccountObject>;
  registries: Cache<Registry>;
  /** The Registries' `<registry>-policy` Secrets. */
  policySecrets: Cache<SecretObject>;
}

export interface AccessPolicyReconcilerDeps {
  client: KubeClient;
  events: EventRecorder;
  caches: AccessPolicyCaches;
  /** How long a new secret waits in the registry's policy before pull secrets switch to it. */
  propagationMs: number;
  /** Parallel API calls per pass. */
  concurrency?: number;
  now?: () => Date;
  /** Shared with the controller, which invalidates it when the policy Secret changes. */
  store?: PolicyStateStore;
  /** Shared with the controller, which skips the watch events of these writes. */
  ownWrites?: OwnWrites;
}


function duration(value: string, field: string): number {
  try {
    return parseDurationSeconds(value) * 1000;
  } catch (err) {
    throw new TerminalError(`spec.${field}: ${(err as Error).message}`);
  }
}

export function accessPolicyReconciler(deps: AccessPolicyReconcilerDeps): Reconciler {
  const { client, events, caches } = deps;
  const now = deps.now ?? (() => new Date());
  const limit = deps.concurrency ?? 32;
  /** Plaintext of minted secrets not yet written into their pull secret (never persisted anywhere else). */
  const remembered = new Map<string, { id: string; password: string }>();
  const store = deps.store ?? new PolicyStateStore(client);
  const ownWrites = deps.ownWrites ?? new OwnWrites();

  async function publish(policy: AccessPolicy, status: AccessPolicyStatus): Promise<void> {
    ownWrites.record(await writeStatus(client, policy, status));
  }

  function registryPolicies(namespace: string, registry: string, fresh?: AccessPolicy): AccessPolicy[] {
    const list = caches.policies.list().filter((p) => p.metadata.namespace === namespace && p.spec.registryRef.name === registry && p.metadata.name !== fresh?.metadata.name);
    return fresh ? [...list, fresh] : list;
  }

  const removeFrom = (policy: AccessPolicy, stale: SecretObject[]) => removePullSecrets(client, policy, stale, caches.serviceAccounts.list(), limit);

  async function finalize(policy: AccessPolicy, log: Logger): Promise<void> {
    const ours = caches.pullSecrets.list().filter((s) => s.metadata.labels?.[POLICY_UID_LABEL] === policy.metadata.uid);
    const failures = await removeFrom(policy, ours);
    if (failures.length) throw new Error(`cleanup failed in ${failures.length} namespace(s): ${failures.slice(0, 3).map((f) => `${f.namespace} (${f.reason})`).join(', ')}`);
    const reg = await client.getOptional<Registry>(API_VERSION, 'Registry', policy.spec.registryRef.name, policy.metadata.namespace);
    if (reg) {
      const loaded = await store.load(reg);
      const state = structuredClone(loaded.state);
      for (const [name, robot] of Object.entries(state.robots)) if (robot.policy === policy.metadata.name) delete state.robots[name];
      delete state.policies[policy.metadata.name];
      const others = registryPolicies(policy.metadata.namespace!, reg.metadata.name).filter((p) => p.metadata.uid !== policy.metadata.uid);
      await store.save(reg, loaded, state, others, now().getTime());
    }
    await removeFinalizer(client, policy, FINALIZER);
    log.info('access policy cleaned up', { pullSecrets: ours.length });
  }

  return async (key: string, log: Logger): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    let policy = await client.getOptional<AccessPolicy>(API_VERSION, 'AccessPolicy', name, namespace);
    if (!policy) return;
    if (policy.metadata.deletionTimestamp) {
      if (hasFinalizer(policy, FINALIZER)) await finalize(policy, log);
      return;
    }
    policy = await addFinalizer(client, policy, FINALIZER);

    const at = now();
    const t = at.getTime();
    const generation = policy.metadata.generation;
    const periodMs = duration(policy.spec.rotationPeriod ?? DEFAULT_ROTATION_PERIOD, 'rotationPeriod');
    const overlapMs = duration(policy.spec.overlap ?? DEFAULT_OVERLAP, 'overlap');
    const reg = await client.getOptional<Registry>(API_VERSION, 'Registry', policy.spec.registryRef.name, namespace);
    if (!reg) {
      const outcome: SyncOutcome = { selected: 0, synced: 0, failures: [], rotating: false, registryFound: false };
      const conditions = setConditions(policy.status?.conditions, accessPolicyConditions(outcome, policy.spec.registryRef.name), generation, at);
      if (policy.status?.conditions?.find((c) => c.type === 'Degraded')?.reason !== 'RegistryNotFound') {
        await events.record(policy, 'Warning', 'RegistryNotFound', `Registry ${policy.spec.registryRef.name} not found in ${namespace}`);
      }
      await publish(policy, { ...policy.status, observedGeneration: generation, conditions });
      return; // the Registry watch brings us back when it appears
    }

    const selection = selectNamespaces(policy, caches.namespaces.list());
    const policies = registryPolicies(namespace!, reg.metadata.name, policy);
    let loaded = await store.load(reg);
    const state = structuredClone(loaded.state);
    const own = (state.policies[name] ??= {});
    const token = policy.metadata.annotations?.[ROTATE_ANNOTATION];
    if (token && token !== own.rotateToken) {
      own.rotateToken = token;
      own.rotateRequestedAt = at.toISOString();
      log.info('rotation requested', { token });
    }
    const rotateRequestedAt = own.rotateRequestedAt ? Date.parse(own.rotateRequestedAt) : undefined;
    const hosts = registryHosts(reg, policy);
    const wantedName = secretName(policy);
    const ours = caches.pullSecrets.list().filter((s) => s.metadata.labels?.[POLICY_UID_LABEL] === policy!.metadata.uid);
    const cachedIn = new Map(ours.filter((s) => s.metadata.name === wantedName).map((s) => [s.metadata.namespace!, s]));

    // Per-step durations, logged at debug level (where a slow pass spends its time).
    const ms: Record<string, number> = {};
    let lapStart = performance.now();
    const lap = (step: string) => {
      const n = performance.now();
      ms[step] = Math.round(n - lapStart);
      lapStart = n;
    };

    // 1. Plan every selected namespace (reads only the caches unless a pull secret looks out of date).
    interface Item { ns: string; robot: string; plan: RobotPlan; live?: SecretObject; minted?: Minted }
    const items: Item[] = await mapLimit([...selection.selected].sort(), limit, async (ns) => {
      const robot = robotName(name, ns);
      const stored = state.robots[robot]?.secrets ?? [];
      let live = cachedIn.get(ns);
      let cred = readDockerConfig(live?.data?.[DOCKER_CONFIG_KEY], robot);
      // The cache may trail our own last write: confirm with the API before replacing a credential.
      if (stored.length > 0 && !liveIsCurrent(stored, cred)) {
        live = await client.getOptional<SecretObject>('v1', 'Secret', wantedName, ns);
        cred = live && isOurs(live, policy!) ? readDockerConfig(live.data?.[DOCKER_CONFIG_KEY], robot) : undefined;
      }
      const plan = planRobot({ username: robot, secrets: stored, live: cred, remembered: remembered.get(robot), now: t, periodMs, overlapMs, propagationMs: deps.propagationMs, rotateRequestedAt });
      const minted = plan.kind === 'mint' ? await mintSecret(at) : undefined;
      return { ns, robot, plan, live, minted };
    });

    lap('plan');
    // 2. The registry's policy first: new secrets become valid before any pull secret holds them.
    for (const [robot, r] of Object.entries(state.robots)) if (r.policy === name && !selection.selected.has(r.namespace)) delete state.robots[robot];
    for (const item of items) {
      let secrets = item.plan.secrets;
      if (item.minted && item.plan.kind === 'mint' && item.plan.immediate) {
        // Nothing valid to protect: active from the start, so a new namespace costs one state write.
        secrets = activate([...secrets, item.minted.stored], item.minted.stored.id, t, overlapMs);
      } else if (item.minted) {
        secrets = [...secrets, item.minted.stored];
        remembered.set(item.robot, { id: item.minted.stored.id, password: item.minted.password });
      }
      state.robots[item.robot] = { ...state.robots[item.robot], policy: name, namespace: item.ns, secrets };
    }
    const live = new Set(policies.map((p) => p.metadata.name));
    for (const [robot, r] of Object.entries(state.robots)) if (!live.has(r.policy)) delete state.robots[robot];
    for (const p of Object.keys(state.policies)) if (!live.has(p)) delete state.policies[p];
    loaded = await store.save(reg, loaded, state, policies, t);

    lap('policyFile');
    // 3. Pull secrets.
    const failures: Failure[] = selection.missing.map((ns) => ({ namespace: ns, reason: 'NamespaceNotFound', message: 'listed in spec.namespaces.names but does not exist' }));
    let rotating = false;
    const writes = items.map((item) => {
      const { plan, minted } = item;
      let credential: Credential | undefined;
      let activateId: string | undefined;
      if (plan.kind === 'keep') {
        credential = plan.credential;
        if (plan.secrets.some((s) => !s.activatedAt)) rotating = true;
      } else if (plan.kind === 'switch') {
        credential = plan.credential;
        activateId = plan.id;
      } else if (plan.immediate) {
        credential = { username: item.robot, password: minted!.password };
      } else {
        credential = plan.keep;
        rotating = true;
      }
      return { item, credential: credential!, activateId };
    });
    const written = new Set<string>();
    await forEachLimit(writes, limit, async (w) => {
      const want = desiredPullSecret(policy!, w.item.ns, hosts, w.credential);
      try {
        if (!upToDate(w.item.live, want)) ownWrites.record(await writePullSecret(client, policy!, want, !!w.item.live && isOurs(w.item.live, policy!)));
        written.add(w.item.ns);
      } catch (err) {
        failures.push({ namespace: w.item.ns, ...describeError(err) });
      }
    });

    lap('pullSecrets');
    // 4. Record what the pull secrets now hold; predecessors start their overlap now.
    let rotated = 0;
    for (const w of writes) {
      if (!w.activateId || !written.has(w.item.ns)) continue;
      const robot = state.robots[w.item.robot];
      robot.secrets = activate(robot.secrets, w.activateId, t, overlapMs);
      remembered.delete(w.item.robot);
      if (w.item.plan.kind === 'switch' && w.item.plan.rotation) rotated++;
    }
    if (rotated > 0) own.lastRotationTime = at.toISOString();

    // 5. ServiceAccounts (opt-in): only where our Secret exists. Entries are removed only from
    // ServiceAccounts we recorded adding them to (the list is atomic, so its managedFields owner
    // changes with every writer and cannot tell us); namespaces we are leaving are handled in step 6.
    const leaving = new Set(ours.filter((s) => !selection.selected.has(s.metadata.namespace!)).map((s) => s.metadata.namespace!));
    const saWork: Array<{ sa: ServiceAccountObject; list: Array<{ name?: string }>; robot: RobotState; want: boolean }> = [];
    for (const sa of caches.serviceAccounts.list()) {
      const ns = sa.metadata.namespace!;
      if (leaving.has(ns) || !selection.selected.has(ns)) continue;
      const robot = state.robots[robotName(name, ns)];
      const recorded = robot.serviceAccounts?.includes(sa.metadata.name) ?? false;
      const want = written.has(ns) && wantsServiceAccount(policy, sa.metadata.name);
      if (!want && !recorded) continue;
      const list = nextPullSecrets(sa, policy, want, recorded);
      if (list) saWork.push({ sa, list, robot, want });
      else if (!want) robot.serviceAccounts = robot.serviceAccounts!.filter((n) => n !== sa.metadata.name);
    }
    await forEachLimit(saWork, limit, async ({ sa, list, robot, want }) => {
      try {
        ownWrites.record(await applyPullSecrets(client, policy!, sa, list));
        const others = (robot.serviceAccounts ?? []).filter((n) => n !== sa.metadata.name);
        robot.serviceAccounts = want ? [...others, sa.metadata.name].sort() : others;
      } catch (err) {
        if (!isNotFound(err)) failures.push({ namespace: sa.metadata.namespace!, ...describeError(err) });
      }
    });
    for (const robot of Object.values(state.robots)) if (robot.serviceAccounts?.length === 0) delete robot.serviceAccounts;
    loaded = await store.save(reg, loaded, state, policies, t);
    if (rotated > 0) await events.record(policy, 'Normal', 'Rotated', `new credentials in ${rotated} namespace(s); the previous ones stay valid for ${policy.spec.overlap ?? DEFAULT_OVERLAP}`);

    lap('serviceAccounts');
    // 6. Namespaces that stopped matching (their robots are already gone) and renamed secrets.
    const stale = ours.filter((s) => !selection.selected.has(s.metadata.namespace!) || s.metadata.name !== wantedName);
    failures.push(...(await removeFrom(policy, stale)));

    lap('cleanup');
    // 7. Status, events, and when to look again.
    let nextRotation = Infinity;
    let wake = Infinity;
    for (const item of items) {
      const robot = state.robots[item.robot];
      const newest = newestActive(robot.secrets);
      if (newest) {
        let due = Date.parse(newest.createdAt) + periodMs;
        if (rotateRequestedAt !== undefined && rotateRequestedAt > Date.parse(newest.createdAt)) due = Math.min(due, rotateRequestedAt);
        nextRotation = Math.min(nextRotation, due);
      }
      for (const s of robot.secrets) {
        if (s.expiresAt) wake = Math.min(wake, Date.parse(s.expiresAt));
        if (!s.activatedAt) wake = Math.min(wake, Date.parse(s.createdAt) + deps.propagationMs);
      }
      if (item.plan.kind === 'keep' && item.plan.wakeAt !== undefined) wake = Math.min(wake, item.plan.wakeAt);
    }
    // A due time already past means a rotation is under way: its pending secrets' readiness wakes us.
    if (nextRotation > t) wake = Math.min(wake, nextRotation);
    failures.sort((a, b) => a.namespace.localeCompare(b.namespace));
    const outcome: SyncOutcome = {
      selected: selection.selected.size,
      synced: [...written].filter((ns) => !failures.some((f) => f.namespace === ns)).length,
      failures,
      rotating,
      registryFound: true,
    };
    const conditions = setConditions(policy.status?.conditions, accessPolicyConditions(outcome, reg.metadata.name), generation, at);
    const status: AccessPolicyStatus = {
      observedGeneration: generation,
      namespaceCount: outcome.selected,
      syncedNamespaceCount: outcome.synced,
      failedNamespaces: failures.slice(0, 50),
      ...(own.lastRotationTime ? { lastRotationTime: own.lastRotationTime } : {}),
      ...(Number.isFinite(nextRotation) ? { nextRotationTime: new Date(nextRotation).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      conditions,
    };
    const failedBefore = canonicalJson((policy.status?.failedNamespaces ?? []).map((f) => [f.namespace, f.reason]));
    const failedNow = canonicalJson(failures.slice(0, 50).map((f) => [f.namespace, f.reason]));
    if (failures.length && failedBefore !== failedNow) {
      await events.record(policy, 'Warning', 'SyncFailed', `${failures.length} namespace(s) failed: ${failures.slice(0, 5).map((f) => `${f.namespace} (${f.reason})`).join(', ')}`);
    }
    await publish(policy, status);
    lap('status');
    log.debug('reconciled', { selected: outcome.selected, synced: outcome.synced, failed: failures.length, rotated, ms });

    // Transient failures (conflicts, unavailable API) retry with backoff; a missing namespace waits for its event.
    const retryable = failures.filter((f) => f.reason !== 'NamespaceNotFound' && f.reason !== 'SecretNameTaken');
    if (retryable.length) throw new Error(`${retryable.length} namespace(s) not synced; first: ${retryable[0].namespace} (${retryable[0].reason})`);
    return requeueAfter(wake - t);
  };
}
