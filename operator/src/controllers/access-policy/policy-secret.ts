// Reads and writes the `<registry>-policy` Secret and its robot shards
// (robot-shards.ts) with optimistic concurrency: several AccessPolicies (reconciled
// by parallel workers) share them, so every write carries the resourceVersion it was
// computed from and a conflict fails the reconcile, which retries from fresh state.
// The operator is the Secrets' only writer, so the copies it last wrote or read are
// kept and reused: a pass that changes nothing reads nothing, and a stale copy only
// costs one 409 and a re-read. Only the Secrets whose data changed are written: a new
// namespace rewrites one shard.
import { mapLimit } from '#contract/util/limit.js';
import type { AccessPolicy, Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { SecretObject } from '../../kube/types.js';
import { MANAGED_BY, REGISTRY_LABEL, registryNames } from '../registry/names.js';
import { nudgeRegistryPods, policyRevision } from './policy-delivery.js';
import { trustKeyNames } from '../registry/security.js';
import { ROBOT_SHARDS, robotShardSecretName } from './robot-shards.js';
import { policySecretsData, ShardDataCache, stateFromSecrets, type RegistryPolicyState } from './state.js';

export const POLICY_SECRET_COMPONENT = 'berth-registry-policy';

export interface LoadedState {
  state: RegistryPolicyState;
  /** The policy Secret, if it exists. */
  secret?: SecretObject;
  /** Each robot shard's Secret, in shard order (undefined: not created yet). */
  shards: Array<SecretObject | undefined>;
}

const sameData = (a: Record<string, string>, b: Record<string, string> | undefined) => Object.keys(a).every((k) => b?.[k] === a[k]);

export class PolicyStateStore {
  private readonly known = new Map<string, SecretObject>();
  private readonly rendered = new ShardDataCache();

  constructor(private readonly client: KubeClient, private readonly log: Logger) {}

  /**
   * Called for every observed change of a policy or shard Secret: forgets the kept copy
   * when the change is not our own write. Returns whether it was someone else's (or a deletion).
   */
  observe(obj: SecretObject): boolean {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const kept = this.known.get(key);
    if (kept && kept.metadata.resourceVersion === obj.metadata.resourceVersion) return false;
    this.known.delete(key);
    return true;
  }

  async load(reg: Registry): Promise<LoadedState> {
    const names = secretNames(reg);
    const [secret, ...shards] = await Promise.all([names.main, ...names.shards].map((name) => this.read(reg.metadata.namespace!, name)));
    return { state: stateFromSecrets(secret?.data, shards.map((s) => s?.data)), secret, shards };
  }

  private async read(namespace: string, name: string): Promise<SecretObject | undefined> {
    const key = `${namespace}/${name}`;
    const kept = this.known.get(key);
    if (kept) return kept;
    try {
      const secret = await this.client.get<SecretObject>('v1', 'Secret', name, namespace);
      this.known.set(key, secret);
      return secret;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return undefined;
    }
  }

  /**
   * Writes what changed: the robot shards first, then the policy Secret, so a robot
   * exists before a rule names it and a rule goes only after its robots.
   */
  async save(reg: Registry, loaded: LoadedState, state: RegistryPolicyState, policies: AccessPolicy[], now: number): Promise<LoadedState> {
    const names = secretNames(reg);
    const data = policySecretsData(state, policies, now, trustKeyNames(reg), { shards: this.rendered, key: `${reg.metadata.namespace}/${names.main}` });
    const emptyShard = policySecretsData({ robots: {}, policies: {} }, [], now).shards[0];
    const shards = await mapLimit(data.shards.map((d, i) => i), ROBOT_SHARDS, async (i) => {
      const live = loaded.shards[i];
      // A shard with no robots is not created: most Registries have a few robots, in a few shards.
      if (sameData(data.shards[i], live?.data) || (!live && sameData(data.shards[i], emptyShard))) return live;
      return this.write(reg, names.shards[i], data.shards[i], live);
    });
    const secret = sameData(data.main, loaded.secret?.data) ? loaded.secret : await this.write(reg, names.main, data.main, loaded.secret);
    const saved = { state, secret, shards };
    const revision = mountedRevision(saved);
    if (revision !== mountedRevision(loaded)) await nudgeRegistryPods(this.client, reg, revision, this.log);
    return saved;
  }

  private async write(reg: Registry, name: string, data: Record<string, string>, live: SecretObject | undefined): Promise<SecretObject> {
    const key = `${reg.metadata.namespace}/${name}`;
    const metadata = {
      name,
      namespace: reg.metadata.namespace,
      labels: { 'app.kubernetes.io/name': POLICY_SECRET_COMPONENT, 'app.kubernetes.io/managed-by': MANAGED_BY, [REGISTRY_LABEL]: reg.metadata.name },
      // Not the controller reference: the Registry reconciler must not prune what it did not render.
      ownerReferences: [{ apiVersion: reg.apiVersion, kind: reg.kind, name: reg.metadata.name, uid: reg.metadata.uid!, controller: false }],
    };
    // The resourceVersion makes the apply fail with 409 if anyone wrote in between.
    const resourceVersion = live?.metadata.resourceVersion;
    try {
      const secret = await this.client.apply<SecretObject>({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data, metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } }, { force: true });
      this.known.set(key, secret);
      return secret;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) this.known.delete(key);
      throw err;
    }
  }
}

function secretNames(reg: Registry): { main: string; shards: string[] } {
  const main = registryNames(reg.metadata.name).policy;
  return { main, shards: Array.from({ length: ROBOT_SHARDS }, (_, i) => robotShardSecretName(main, i)) };
}

/** The revision of everything the registry pods mount from these Secrets. */
function mountedRevision(loaded: Pick<LoadedState, 'secret' | 'shards'>): string {
  return policyRevision(loaded.secret?.data ?? {}, loaded.shards.map((s) => s?.data));
}
