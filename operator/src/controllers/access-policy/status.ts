// Status of an AccessPolicy: Ready, Synced and Degraded, computed from what the
// last pass achieved. Messages name namespaces and reasons, never credentials.
import type { ConditionInput } from '../../api/conditions.js';

export interface SyncOutcome {
  selected: number;
  synced: number;
  failures: Array<{ namespace: string; reason: string; message?: string }>;
  /** A rotation is under way (new secrets minted, not yet in every namespace). */
  rotating: boolean;
  registryFound: boolean;
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
  const ready = synced.status === 'True'
    ? cond('Ready', true, 'Synced', synced.message)
    : cond('Ready', false, synced.reason, synced.message);
  return [ready, synced, degraded];
}
