// One AccessPolicy pass: what it read (the selection, the Registry's policy
// state), the per-namespace robot plans, and the edits those plans make to the
// state. The state is a working copy; the reconciler saves it to the policy
// Secret between the steps that depend on it being stored.
import { mapLimit } from '#contract/util/limit.js';
import type { AccessPolicy, Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject, SecretObject } from '../../kube/types.js';
import type { Cache } from '../../runtime/controller.js';
import type { Logger } from '../../runtime/logger.js';
import { mintSecret, type Minted } from './credentials.js';
import { readDockerConfig, type Credential } from './dockerconfig.js';
import type { Failure } from './failures.js';
import type { RbacObject } from './kubelet-rbac.js';
import { ROTATE_ANNOTATION, robotName, secretName, wantsPullSecrets, wantsServiceAccountTokens } from './names.js';
import { activate, liveIsCurrent, planRobot, type PullSecretWrite, type RobotPlan, type RotationTiming } from './plan.js';
import type { LoadedState, PolicyStateStore } from './policy-secret.js';
import { DOCKER_CONFIG_KEY, isOurs, pullSecretsOf } from './pull-secrets.js';
import { selectNamespaces, type Selection } from './selector.js';
import type { ServiceAccountObject } from './service-accounts.js';
import type { PolicyState, RegistryPolicyState } from './state.js';
import { selectServiceAccounts, type ServiceAccountGrant } from './token-grants.js';

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
  /** The kubelet RBAC of every policy with ServiceAccount tokens (cluster-scoped). */
  kubeletRoles: Cache<RbacObject>;
  kubeletRoleBindings: Cache<RbacObject>;
}

/** What lives across passes. */
export interface PassContext {
  client: KubeClient;
  caches: AccessPolicyCaches;
  store: PolicyStateStore;
  /** Plaintext of minted secrets not yet written into their pull secret (never persisted anywhere else). */
  remembered: Map<string, { id: string; password: string }>;
  /** Parallel API calls per pass. */
  limit: number;
  /** How long a new secret waits in the registry's policy before pull secrets switch to it. */
  propagationMs: number;
}

export interface Pass {
  policy: AccessPolicy;
  registry: Registry;
  at: Date;
  timing: RotationTiming;
  selection: Selection;
  /** The selected namespaces that get a pull secret: all of them with credentials pullSecret, none otherwise. */
  secretNamespaces: Set<string>;
  /** credentials: serviceAccountToken: the ServiceAccounts granted (undefined when not asked for). */
  grants?: ServiceAccountGrant[];
  /** The Registry's AccessPolicies, this one as just read. */
  policies: AccessPolicy[];
  loaded: LoadedState;
  state: RegistryPolicyState;
  own: PolicyState;
  /** Every pull secret of this policy, wherever and however named. */
  ours: SecretObject[];
  failures: Failure[];
  log: Logger;
}

/** One selected namespace: its robot, the plan, the pull secret as read, and a secret minted for it. */
export interface RobotPass {
  namespace: string;
  robot: string;
  plan: RobotPlan;
  live?: SecretObject;
  minted?: Minted;
}

/** The AccessPolicies of one Registry, with `fresh` in place of its cached copy. */
export function registryPolicies(policies: AccessPolicy[], namespace: string | undefined, registry: string | undefined, fresh?: AccessPolicy): AccessPolicy[] {
  const list = policies.filter((p) => p.metadata.namespace === namespace && p.spec.registryRef.name === registry && p.metadata.name !== fresh?.metadata.name);
  return fresh ? [...list, fresh] : list;
}

export async function beginPass(ctx: PassContext, policy: AccessPolicy, registry: Registry, periods: { periodMs: number; overlapMs: number }, at: Date, log: Logger): Promise<Pass> {
  const selection = selectNamespaces(policy, ctx.caches.namespaces.list());
  const policies = registryPolicies(ctx.caches.policies.list(), policy.metadata.namespace, registry.metadata.name, policy);
  const loaded = await ctx.store.load(registry);
  const state = structuredClone(loaded.state);
  const own = (state.policies[policy.metadata.name] ??= {});
  const token = policy.metadata.annotations?.[ROTATE_ANNOTATION];
  if (token && token !== own.rotateToken) {
    own.rotateToken = token;
    own.rotateRequestedAt = at.toISOString();
    log.info('rotation requested', { token });
  }
  const rotateRequestedAt = own.rotateRequestedAt ? Date.parse(own.rotateRequestedAt) : undefined;
  const secretNamespaces = wantsPullSecrets(policy) ? selection.selected : new Set<string>();
  const grants = wantsServiceAccountTokens(policy) ? selectServiceAccounts(policy, selection.selected, ctx.caches.serviceAccounts.list()) : undefined;
  return {
    policy, registry, at, selection, secretNamespaces, grants, policies, loaded, state, own, log,
    timing: { now: at.getTime(), ...periods, propagationMs: ctx.propagationMs, rotateRequestedAt },
    ours: pullSecretsOf(policy, ctx.caches.pullSecrets.list()),
    failures: selection.missing.map((ns) => ({ namespace: ns, reason: 'NamespaceNotFound', message: 'listed in spec.namespaces.names but does not exist' })),
  };
}

/** Plans every selected namespace (reads only the caches unless a pull secret looks out of date) and mints what the plans need. */
export async function planNamespaces(ctx: PassContext, pass: Pass): Promise<RobotPass[]> {
  const { policy, state } = pass;
  const name = secretName(policy);
  const cachedIn = new Map(pass.ours.filter((s) => s.metadata.name === name).map((s) => [s.metadata.namespace!, s]));
  return mapLimit([...pass.secretNamespaces].sort(), ctx.limit, async (ns) => {
    const robot = robotName(policy.metadata.name, ns);
    const stored = state.robots[robot]?.secrets ?? [];
    let live = cachedIn.get(ns);
    let cred = cachedCredential(live, robot);
    // The cache may trail our own last write: confirm with the API before replacing a credential.
    if (stored.length > 0 && !liveIsCurrent(stored, cred)) {
      live = await ctx.client.getOptional<SecretObject>('v1', 'Secret', name, ns);
      cred = live && isOurs(live, policy) ? readDockerConfig(live.data?.[DOCKER_CONFIG_KEY], robot) : undefined;
    }
    const plan = planRobot({ username: robot, secrets: stored, live: cred, remembered: ctx.remembered.get(robot), ...pass.timing });
    const minted = plan.kind === 'mint' ? await mintSecret(pass.at) : undefined;
    return { namespace: ns, robot, plan, live, minted };
  });
}

// The credential each cached pull secret holds: read (base64, JSON) once per version of
// the Secret rather than on every pass over every namespace. Informer objects are
// replaced, never changed, so the object is the key.
const credentials = new WeakMap<SecretObject, { robot: string; credential?: Credential }>();

function cachedCredential(live: SecretObject | undefined, robot: string): Credential | undefined {
  if (!live) return undefined;
  const kept = credentials.get(live);
  if (kept?.robot === robot) return kept.credential;
  const credential = readDockerConfig(live.data?.[DOCKER_CONFIG_KEY], robot);
  credentials.set(live, { robot, credential });
  return credential;
}

/**
 * Puts the plans and the ServiceAccount grants into the state, and drops robots of
 * namespaces that no longer get a pull secret and of policies that are gone.
 */
export function recordPlans(ctx: PassContext, pass: Pass, robots: RobotPass[]): void {
  const { state, timing } = pass;
  const name = pass.policy.metadata.name;
  if (pass.grants?.length) pass.own.serviceAccountTokens = pass.grants;
  else delete pass.own.serviceAccountTokens;
  for (const [robot, r] of Object.entries(state.robots)) if (r.policy === name && !pass.secretNamespaces.has(r.namespace)) delete state.robots[robot];
  for (const item of robots) {
    let secrets = item.plan.secrets;
    if (item.minted && item.plan.kind === 'mint' && item.plan.immediate) {
      // Nothing valid to protect: active from the start, so a new namespace costs one state write.
      secrets = activate([...secrets, item.minted.stored], item.minted.stored.id, timing.now, timing.overlapMs);
    } else if (item.minted) {
      secrets = [...secrets, item.minted.stored];
      ctx.remembered.set(item.robot, { id: item.minted.stored.id, password: item.minted.password });
    }
    state.robots[item.robot] = { ...state.robots[item.robot], policy: name, namespace: item.namespace, secrets };
  }
  const live = new Set(pass.policies.map((p) => p.metadata.name));
  for (const [robot, r] of Object.entries(state.robots)) if (!live.has(r.policy)) delete state.robots[robot];
  for (const p of Object.keys(state.policies)) if (!live.has(p)) delete state.policies[p];
}

/** Marks the secrets now in their pull secrets active (their predecessors' overlap starts); returns how many robots rotated. */
export function recordActivations(ctx: PassContext, pass: Pass, writes: Array<{ item: RobotPass } & PullSecretWrite>, written: Set<string>): number {
  let rotated = 0;
  for (const { item, activateId } of writes) {
    if (!activateId || !written.has(item.namespace)) continue;
    const robot = pass.state.robots[item.robot];
    robot.secrets = activate(robot.secrets, activateId, pass.timing.now, pass.timing.overlapMs);
    ctx.remembered.delete(item.robot);
    if (item.plan.kind === 'switch' && item.plan.rotation) rotated++;
  }
  if (rotated > 0) pass.own.lastRotationTime = pass.at.toISOString();
  return rotated;
}

/** Stores the state and the policy file rendered from it (a no-op when neither changed). */
export async function saveState(ctx: PassContext, pass: Pass): Promise<void> {
  pass.loaded = await ctx.store.save(pass.registry, pass.loaded, pass.state, pass.policies, pass.timing.now);
}
