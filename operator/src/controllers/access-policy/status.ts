// Status of an AccessPolicy: Ready, Synced and Degraded, computed from what the
// last pass achieved. Messages name namespaces and reasons, never credentials.
import { setConditions, type ConditionInput } from '../../api/conditions.js';
import type { AccessPolicy, AccessPolicyStatus } from '../../api/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';

export interface SyncOutcome {
  selected: number;
  synced: number;
  failures: Array<{ namespace: string; reason: string; message?: string }>;
  /** A rotation is under way (new secrets minted, not yet in every namespace). */
  rotating: boolean;
  registryFound: boolean;
  /**
   * Namespaces whose credential entered the registry's policy less than the
   * propagation delay ago: the kubelet may not have delivered the policy file to
   * the registry pods yet, so a pull with it can still be refused.
   */
  propagating?: { namespaces: number; until: string };
}

const cond = (type: string, ok: boolean, reason: string, message: string): ConditionInput => ({ type, status: ok ? 'True' : 'False', reason, message });

export function accessPolicyConditions(o: SyncOutcome, registryName: string): ConditionInput[] {
  if (!o.registryFound) {
    const msg = `Registry ${registryName} not found`;
    return [cond('Ready', false, 'RegistryNotFound', msg), cond('Synced', false, 'RegistryNotFound', msg), cond('Degraded', true, 'RegistryNotFound', msg)];
  }
  const failed = o.failures.length;
  const names = o.failures.slice(0, 5).map((f) => `${f.namespace} (${f.reason})`).join(', ') + (failed > 5 ? `, and ${failed - 5} more` : '');
  const synced = failed === 0 && o.synced === o.selected
    ? cond('Synced', true, o.rotating ? 'Rotating' : 'AllSynced', `pull secrets current in ${o.synced} of ${o.selected} namespaces${o.rotating ? '; a rotation is under way' : ''}`)
    : cond('Synced', false, failed ? 'SyncFailed' : 'Pending', `pull secrets current in ${o.synced} of ${o.selected} namespaces${failed ? `; failed: ${names}` : ''}`);
  const degraded = failed
    ? cond('Degraded', true, 'SyncFailed', `${failed} namespace(s) failed: ${names}`)
    : cond('Degraded', false, 'AsExpected', 'no failures');
  let ready = synced.status === 'True'
    ? cond('Ready', true, 'Synced', synced.message)
    : cond('Ready', false, synced.reason, synced.message);
  if (ready.status === 'True' && o.propagating) {
    ready = cond('Ready', false, 'Propagating', `new credentials in ${o.propagating.namespaces} namespace(s) reach the registry pods by ${o.propagating.until}`);
  }
  return [ready, synced, degraded];
}

/** At most this many failed namespaces are listed in status (the CRD's maxItems). */
const MAX_LISTED_FAILURES = 50;

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The status after a pass; `nextRotation` in epoch ms (Infinity: nothing to rotate). */
export function policyStatus(policy: AccessPolicy, registryName: string, outcome: SyncOutcome, rotation: { lastRotationTime?: string; nextRotation?: number }, at: Date): AccessPolicyStatus {
  const generation = policy.metadata.generation;
  const conditions = setConditions(policy.status?.conditions, accessPolicyConditions(outcome, registryName), generation, at);
  if (!outcome.registryFound) return { ...policy.status, observedGeneration: generation, conditions };
  const next = rotation.nextRotation ?? Infinity;
  return {
    observedGeneration: generation,
    namespaceCount: outcome.selected,
    syncedNamespaceCount: outcome.synced,
    failedNamespaces: outcome.failures.slice(0, MAX_LISTED_FAILURES),
    ...(rotation.lastRotationTime ? { lastRotationTime: rotation.lastRotationTime } : {}),
    ...(Number.isFinite(next) ? { nextRotationTime: rfc3339(next) } : {}),
    conditions,
  };
}

/** The message of a SyncFailed event, when the failed namespaces (or their reasons) changed since the last status. */
export function newFailuresMessage(previous: AccessPolicyStatus | undefined, failures: SyncOutcome['failures']): string | undefined {
  if (!failures.length) return undefined;
  const listed = (list: SyncOutcome['failures']) => canonicalJson(list.slice(0, MAX_LISTED_FAILURES).map((f) => [f.namespace, f.reason]));
  if (listed(previous?.failedNamespaces ?? []) === listed(failures)) return undefined;
  return `${failures.length} namespace(s) failed: ${failures.slice(0, 5).map((f) => `${f.namespace} (${f.reason})`).join(', ')}`;
}
