// The AccessPolicy reconciler. One pass, level-triggered: read the policy, the
// namespaces it selects (from the informer caches), the Registry's policy state;
// mint what is missing or due; write the registry's policy file FIRST (robots,
// and the ServiceAccounts granted their own tokens), then the pull secrets, then
// record which secrets are now in use (so old ones start expiring only once their
// successors are everywhere); patch ServiceAccounts; write the kubelet RBAC for
// token pulls; delete what no longer belongs; publish status. Nothing it logs,
// records or publishes contains a credential.
import { parseDurationSeconds } from '../../api/duration.js';
import { API_VERSION, type AccessPolicy, type AccessPolicyStatus, type Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { splitKey } from '../../kube/types.js';
import { requeueAfter, type ReconcileResult, type Reconciler } from '../../runtime/controller.js';
import { TerminalError } from '../../runtime/errors.js';
import type { EventRecorder } from '../../runtime/events.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import { createLogger, type Logger } from '../../runtime/logger.js';
import { writeStatus } from '../../runtime/status.js';
import { StepTimes } from '../../runtime/step-times.js';
import { clusterAudience, clusterIssuer } from '../registry/federation.js';
import { trustKeyNames } from '../registry/security.js';
import { pullPolicyRule } from '../pull-policy.js';
import { removePullSecrets } from './cleanup.js';
import { registryHosts } from './dockerconfig.js';
import { describeError } from './failures.js';
import { federatedProblem } from './federated-identities.js';
import { desiredKubeletRbac, liveKubeletRbac, removeKubeletRbac, syncKubeletRbac } from './kubelet-rbac.js';
import { DEFAULT_OVERLAP, DEFAULT_ROTATION_PERIOD, FINALIZER, secretName, wantsPullSecrets, wantsServiceAccountTokens } from './names.js';
import { OwnWrites } from './own-writes.js';
import {
  beginPass, planNamespaces, recordActivations, recordPlans, registryPolicies, saveState,
  type AccessPolicyCaches, type Pass, type PassContext, type RobotPass,
} from './pass.js';
import { propagating, pullSecretWrite, schedule } from './plan.js';
import { PolicyStateStore } from './policy-secret.js';
import { pullSecretsOf, writePullSecrets } from './pull-secrets.js';
import { syncServiceAccounts } from './service-accounts.js';
import { newFailuresMessage, policyStatus, type SyncOutcome, type TokenOutcome } from './status.js';
import { grantedNames } from './token-grants.js';

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

interface Context extends PassContext {
  events: EventRecorder;
  ownWrites: OwnWrites;
  now(): Date;
}

function duration(value: string, field: string): number {
  try {
    return parseDurationSeconds(value) * 1000;
  } catch (err) {
    throw new TerminalError(`spec.${field}: ${(err as Error).message}`);
  }
}

export function accessPolicyReconciler(deps: AccessPolicyReconcilerDeps): Reconciler {
  const ctx: Context = {
    ...deps,
    now: deps.now ?? (() => new Date()),
    limit: deps.concurrency ?? 32,
    remembered: new Map(),
    store: deps.store ?? new PolicyStateStore(deps.client, createLogger('warn', { controller: 'access-policy' })),
    ownWrites: deps.ownWrites ?? new OwnWrites(),
  };
  return async (key: string, log: Logger): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const found = await ctx.client.getOptional<AccessPolicy>(API_VERSION, 'AccessPolicy', name, namespace);
    if (!found) return;
    if (found.metadata.deletionTimestamp) {
      if (hasFinalizer(found, FINALIZER)) await finalize(ctx, found, log);
      return;
    }
    const policy = await addFinalizer(ctx.client, found, FINALIZER);
    const problem = federatedProblem(policy);
    if (problem) throw new TerminalError(problem);
    const at = ctx.now();
    const periods = {
      periodMs: duration(policy.spec.rotationPeriod ?? DEFAULT_ROTATION_PERIOD, 'rotationPeriod'),
      overlapMs: duration(policy.spec.overlap ?? DEFAULT_OVERLAP, 'overlap'),
    };
    const registry = await ctx.client.getOptional<Registry>(API_VERSION, 'Registry', policy.spec.registryRef.name, namespace);
    // Without the Registry there is nothing to sync; its watch brings us back when it appears.
    if (!registry) return reportRegistryMissing(ctx, policy, at);
    const invalid = pullPolicyProblem(policy, registry);
    const result = await sync(ctx, await beginPass(ctx, policy, registry, periods, at, log));
    if (!invalid) return result;
    // The pass rendered the policy file without this policy's rule: its credentials are refused until the spec is fixed.
    await ctx.events.record(policy, 'Warning', 'InvalidPullPolicy', invalid.message);
    throw invalid;
  };
}

/** Why the registry could not apply spec.pullPolicy (an unknown key, a bad duration), if it could not. */
function pullPolicyProblem(policy: AccessPolicy, registry: Registry): TerminalError | undefined {
  if (!policy.spec.pullPolicy) return undefined;
  try {
    pullPolicyRule(policy.spec.pullPolicy, trustKeyNames(registry));
    return undefined;
  } catch (err) {
    return err instanceof TerminalError ? err : new TerminalError((err as Error).message);
  }
}

/** Steps 1–8 of a pass over a policy whose Registry exists. */
async function sync(ctx: Context, pass: Pass): Promise<ReconcileResult | undefined> {
  const steps = new StepTimes();
  const robots = await steps.time('plan', () => planNamespaces(ctx, pass));
  await steps.time('policyFile', () => {
    // The registry's policy first: new secrets become valid before any pull secret holds them.
    recordPlans(ctx, pass, robots);
    return saveState(ctx, pass);
  });
  const { written, rotating, rotated } = await steps.time('pullSecrets', () => syncPullSecrets(ctx, pass, robots));
  await steps.time('serviceAccounts', () => syncServiceAccountsAndSave(ctx, pass, written, rotated));
  const tokens = await steps.time('kubeletRbac', () => syncKubeletAccess(ctx, pass));
  await steps.time('cleanup', () => removeStale(ctx, pass));
  const after = robots.map((r) => ({ secrets: pass.state.robots[r.robot].secrets, plan: r.plan }));
  const next = schedule(after, pass.timing);
  const fresh = propagating(after, pass.timing);
  const synced = await steps.time('status', () => publishStatus(ctx, pass, written, rotating, next.nextRotation, tokens, fresh));
  pass.log.debug('reconciled', { selected: pass.selection.selected.size, synced, failed: pass.failures.length, rotated, serviceAccounts: pass.grants?.length, ms: steps.ms });

  // Transient failures (conflicts, unavailable API) retry with backoff; a missing namespace waits for its event.
  const retryable = pass.failures.filter((f) => f.reason !== 'NamespaceNotFound' && f.reason !== 'SecretNameTaken');
  if (retryable.length) throw new Error(`${retryable.length} namespace(s) not synced; first: ${retryable[0].namespace} (${retryable[0].reason})`);
  if (tokens?.rbacError) throw new Error(`kubelet RBAC not written: ${tokens.rbacError}`);
  return requeueAfter(next.wake - pass.timing.now);
}

/** Writes each pull secret, then records which secrets are now in use. */
async function syncPullSecrets(ctx: Context, pass: Pass, robots: RobotPass[]) {
  const writes = robots.map((item) => ({ item, ...pullSecretWrite(item.robot, item.plan, item.minted?.password) }));
  const targets = writes.map(({ item, credential }) => ({ namespace: item.namespace, credential, live: item.live }));
  const { written, failures } = await writePullSecrets(ctx.client, pass.policy, registryHosts(pass.registry, pass.policy), targets, ctx.limit, ctx.ownWrites);
  pass.failures.push(...failures);
  const rotated = recordActivations(ctx, pass, writes, written);
  return { written, rotated, rotating: writes.some((w) => w.rotating) };
}

/** ServiceAccounts (opt-in) where the pull secret exists; then the state, which records them and the activations. */
async function syncServiceAccountsAndSave(ctx: Context, pass: Pass, written: Set<string>, rotated: number): Promise<void> {
  const { policy } = pass;
  const sync = { serviceAccounts: ctx.caches.serviceAccounts.list(), selected: pass.secretNamespaces, written, robots: pass.state.robots };
  pass.failures.push(...(await syncServiceAccounts(ctx.client, policy, sync, ctx.limit, ctx.ownWrites)));
  await saveState(ctx, pass);
  if (rotated > 0) await ctx.events.record(policy, 'Normal', 'Rotated', `new credentials in ${rotated} namespace(s); the previous ones stay valid for ${policy.spec.overlap ?? DEFAULT_OVERLAP}`);
}

/**
 * credentials: serviceAccountToken: the ClusterRole and binding that let nodes ask for the
 * registry's audience for the granted ServiceAccounts (removed when none is granted or tokens
 * are no longer asked for). Returns what the status reports about the grants.
 */
async function syncKubeletAccess(ctx: Context, pass: Pass): Promise<TokenOutcome | undefined> {
  const { policy, registry, grants } = pass;
  const audience = clusterAudience(registry);
  const want = grants ? desiredKubeletRbac(policy, audience, grantedNames(grants)) : [];
  const live = liveKubeletRbac(policy, ctx.caches.kubeletRoles.list(), ctx.caches.kubeletRoleBindings.list());
  let rbacError: string | undefined;
  try {
    await syncKubeletRbac(ctx.client, want, live, ctx.ownWrites);
  } catch (err) {
    rbacError = describeError(err).message;
  }
  if (!grants) return undefined;
  return {
    serviceAccounts: grants.length,
    namespaces: new Set(grants.map((g) => g.namespace)).size,
    names: grantedNames(grants),
    audience,
    clusterIssuer: !!clusterIssuer(registry),
    ...(rbacError ? { rbacError } : {}),
  };
}

/** Pull secrets in namespaces that no longer get one (their robots are already gone), and under a former name. */
async function removeStale(ctx: Context, pass: Pass): Promise<void> {
  const name = secretName(pass.policy);
  const stale = pass.ours.filter((s) => !pass.secretNamespaces.has(s.metadata.namespace!) || s.metadata.name !== name);
  pass.failures.push(...(await removePullSecrets(ctx.client, pass.policy, stale, ctx.caches.serviceAccounts.list(), ctx.limit)));
}

/** Status and a SyncFailed event when the failures changed; returns how many namespaces are synced. */
async function publishStatus(ctx: Context, pass: Pass, written: Set<string>, rotating: boolean, nextRotation: number, tokens: TokenOutcome | undefined,
  fresh?: { robots: number; until: number }): Promise<number> {
  const { policy, failures } = pass;
  failures.sort((a, b) => a.namespace.localeCompare(b.namespace));
  // Without pull secrets a selected namespace is done once the policy file names its ServiceAccounts.
  const done = wantsPullSecrets(policy) ? [...written] : [...pass.selection.selected];
  const synced = done.filter((ns) => !failures.some((f) => f.namespace === ns)).length;
  const outcome: SyncOutcome = {
    selected: pass.selection.selected.size, synced, failures, rotating, registryFound: true, pullSecrets: wantsPullSecrets(policy), tokens,
    ...(fresh ? { propagating: { namespaces: fresh.robots, until: new Date(fresh.until).toISOString().replace(/\.\d{3}Z$/, 'Z') } } : {}),
  };
  const status = policyStatus(policy, pass.registry.metadata.name, outcome, { lastRotationTime: pass.own.lastRotationTime, nextRotation }, pass.at);
  const failed = newFailuresMessage(policy.status, failures);
  if (failed) await ctx.events.record(policy, 'Warning', 'SyncFailed', failed);
  await publish(ctx, policy, status);
  return synced;
}

async function reportRegistryMissing(ctx: Context, policy: AccessPolicy, at: Date): Promise<void> {
  const registry = policy.spec.registryRef.name;
  const tokens = wantsServiceAccountTokens(policy) ? { serviceAccounts: 0, namespaces: 0, names: [], audience: '', clusterIssuer: false } : undefined;
  const outcome = { selected: 0, synced: 0, failures: [], rotating: false, registryFound: false, tokens };
  if (policy.status?.conditions?.find((c) => c.type === 'Degraded')?.reason !== 'RegistryNotFound') {
    await ctx.events.record(policy, 'Warning', 'RegistryNotFound', `Registry ${registry} not found in ${policy.metadata.namespace}`);
  }
  await publish(ctx, policy, policyStatus(policy, registry, outcome, {}, at));
}

async function publish(ctx: Context, policy: AccessPolicy, status: AccessPolicyStatus): Promise<void> {
  ctx.ownWrites.record(await writeStatus(ctx.client, policy, status));
}

/** Deleting: pull secrets and ServiceAccount entries everywhere, then the robots and grants in the policy file, then the kubelet RBAC, then the finalizer. */
async function finalize(ctx: Context, policy: AccessPolicy, log: Logger): Promise<void> {
  const ours = pullSecretsOf(policy, ctx.caches.pullSecrets.list());
  const failures = await removePullSecrets(ctx.client, policy, ours, ctx.caches.serviceAccounts.list(), ctx.limit);
  if (failures.length) throw new Error(`cleanup failed in ${failures.length} namespace(s): ${failures.slice(0, 3).map((f) => `${f.namespace} (${f.reason})`).join(', ')}`);
  const registry = await ctx.client.getOptional<Registry>(API_VERSION, 'Registry', policy.spec.registryRef.name, policy.metadata.namespace);
  if (registry) {
    const loaded = await ctx.store.load(registry);
    const state = structuredClone(loaded.state);
    for (const [name, robot] of Object.entries(state.robots)) if (robot.policy === policy.metadata.name) delete state.robots[name];
    delete state.policies[policy.metadata.name];
    const others = registryPolicies(ctx.caches.policies.list(), policy.metadata.namespace, registry.metadata.name).filter((p) => p.metadata.uid !== policy.metadata.uid);
    await ctx.store.save(registry, loaded, state, others, ctx.now().getTime());
  }
  const rbac = liveKubeletRbac(policy, ctx.caches.kubeletRoles.list(), ctx.caches.kubeletRoleBindings.list());
  if (wantsServiceAccountTokens(policy) || rbac.role || rbac.binding) await removeKubeletRbac(ctx.client, policy);
  await removeFinalizer(ctx.client, policy, FINALIZER);
  log.info('access policy cleaned up', { pullSecrets: ours.length });
}
