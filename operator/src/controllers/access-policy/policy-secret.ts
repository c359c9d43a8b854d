// Reads and writes the `<registry>-policy` Secret with optimistic concurrency:
// several AccessPolicies (reconciled by parallel workers) share it, so every
// write carries the resourceVersion it was computed from and a conflict fails the
// reconcile, which retries from fresh state. The operator is the Secret's only
// writer, so the copy it last wrote or read is kept and reused: a pass that
// changes nothing reads nothing, and a stale copy only costs one 409 and a re-read.
import type { AccessPolicy, Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { SecretObject } from '../../kube/types.js';
import { MANAGED_BY, REGISTRY_LABEL, registryNames } from '../registry/names.js';
import { nudgeRegistryPods, policyRevision } from './policy-delivery.js';
import { trustKeyNames } from '../registry/security.js';
import { secretData, stateFromSecret, type RegistryPolicyState } from './state.js';

export const POLICY_SECRET_COMPONENT = 'berth-registry-policy';

export interface LoadedState {
  state: RegistryPolicyState;
  secret?: SecretObject;
}

export class PolicyStateStore {
  private readonly known = new Map<string, SecretObject>();

  constructor(private readonly client: KubeClient, private readonly log: Logger) {}

  private key(reg: Registry): string {
    return `${reg.metadata.namespace}/${registryNames(reg.metadata.name).policy}`;
  }

  /**
   * Called for every observed change of a policy Secret: forgets the kept copy when the
   * change is not our own write. Returns whether it was someone else's (or a deletion).
   */
  observe(obj: SecretObject): boolean {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const kept = this.known.get(key);
    if (kept && kept.metadata.resourceVersion === obj.metadata.resourceVersion) return false;
    this.known.delete(key);
    return true;
  }

  async load(reg: Registry): Promise<LoadedState> {
    let secret = this.known.get(this.key(reg));
    if (!secret) {
      try {
        secret = await this.client.get<SecretObject>('v1', 'Secret', registryNames(reg.metadata.name).policy, reg.metadata.namespace);
        this.known.set(this.key(reg), secret);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return { state: stateFromSecret(secret?.data), secret };
  }

  /** Writes the state and the rendered policy file if either changed. */
  async save(reg: Registry, loaded: LoadedState, state: RegistryPolicyState, policies: AccessPolicy[], now: number): Promise<LoadedState> {
    const data = secretData(state, policies, now, trustKeyNames(reg));
    const old = loaded.secret?.data ?? {};
    if (Object.keys(data).every((k) => old[k] === data[k])) return { state, secret: loaded.secret };
    const metadata = {
      name: registryNames(reg.metadata.name).policy,
      namespace: reg.metadata.namespace,
      labels: { 'app.kubernetes.io/name': POLICY_SECRET_COMPONENT, 'app.kubernetes.io/managed-by': MANAGED_BY, [REGISTRY_LABEL]: reg.metadata.name },
      // Not the controller reference: the Registry reconciler must not prune what it did not render.
      ownerReferences: [{ apiVersion: reg.apiVersion, kind: reg.kind, name: reg.metadata.name, uid: reg.metadata.uid!, controller: false }],
    };
    // The resourceVersion makes the apply fail with 409 if anyone wrote in between.
    const resourceVersion = loaded.secret?.metadata.resourceVersion;
    try {
      const secret = await this.client.apply<SecretObject>({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data, metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } }, { force: true });
      this.known.set(this.key(reg), secret);
      const revision = policyRevision(data);
      if (revision !== policyRevision(old)) await nudgeRegistryPods(this.client, reg, revision, this.log);
      return { state, secret };
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) this.known.delete(this.key(reg));
      throw err;
    }
  }
}
