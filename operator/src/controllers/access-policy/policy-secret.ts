// Reads and writes the `<registry>-policy` Secret with optimistic concurrency:
// several AccessPolicies (reconciled by parallel workers) share it, so every
// write carries the resourceVersion it was computed from and a conflict simply
// fails the reconcile, which retries from the fresh state.
import type { AccessPolicy, Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { MANAGED_BY, REGISTRY_LABEL, registryNames } from '../registry/names.js';
import type { SecretObject } from './pull-secrets.js';
import { secretData, stateFromSecret, type RegistryPolicyState } from './state.js';

export interface LoadedState {
  state: RegistryPolicyState;
  secret?: SecretObject;
}

export async function loadState(client: KubeClient, reg: Registry): Promise<LoadedState> {
  try {
    const secret = await client.get<SecretObject>('v1', 'Secret', registryNames(reg.metadata.name).policy, reg.metadata.namespace);
    return { state: stateFromSecret(secret.data), secret };
  } catch (err) {
    if (isNotFound(err)) return { state: stateFromSecret(undefined) };
    throw err;
  }
}

/** Writes the state and the rendered policy file if either changed; returns the Secret as stored. */
export async function saveState(client: KubeClient, reg: Registry, loaded: LoadedState, state: RegistryPolicyState, policies: AccessPolicy[], now: number): Promise<LoadedState> {
  const data = secretData(state, policies, now);
  const old = loaded.secret?.data ?? {};
  if (Object.keys(data).every((k) => old[k] === data[k])) return { state, secret: loaded.secret };
  const metadata = {
    name: registryNames(reg.metadata.name).policy,
    namespace: reg.metadata.namespace,
    labels: { 'app.kubernetes.io/name': 'berth-registry-policy', 'app.kubernetes.io/managed-by': MANAGED_BY, [REGISTRY_LABEL]: reg.metadata.name },
    // Not the controller reference: the Registry reconciler must not prune what it did not render.
    ownerReferences: [{ apiVersion: reg.apiVersion, kind: reg.kind, name: reg.metadata.name, uid: reg.metadata.uid!, controller: false }],
  };
  // The resourceVersion makes the apply fail with 409 if another pass wrote in between.
  const resourceVersion = loaded.secret?.metadata.resourceVersion;
  const secret = await client.apply<SecretObject>({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data, metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } }, { force: true });
  return { state, secret };
}
