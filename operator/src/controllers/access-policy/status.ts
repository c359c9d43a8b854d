// Status of an AccessPolicy: Ready, Synced and Degraded, computed from what the
// last pass achieved. Messages name namespaces and reasons, never credentials.
import { setConditions, type ConditionInput } from '../../api/conditions.js';
import type { AccessPolicy, AccessPolicyStatus } from '../../api/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';

/** credentials: serviceAccountToken: what a pass granted. */
export interface TokenOutcome {
  /** ServiceAccounts granted, and the namespaces they are in. */
  serviceAccounts: number;
  namespaces: number;
  /** Their distinct names: the kubelet RBAC's resourceNames. */
  names: string[];
  audience: string;
  /** Whether the Registry accepts the cluster's ServiceAccount tokens (spec.auth.federation.cluster). */
  clusterIssuer: boolean;
  /** Why the kubelet RBAC could not be written, if it could not. */
  rbacError?: string;
}

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
  /** credentials includes pullSecret (the default when unset). */
  pullSecrets?: boolean;
  /** Set when credentials includes serviceAccountToken. */
  tokens?: TokenOutcome;
}

export const TOKENS_CONDITION = 'ServiceAccountTokensReady';

const cond = (type: string, ok: boolean, reason: string, message: string): ConditionInput => ({ type, status: ok ? 'True' : 'False', reason, message });

function list(items: string[], max: number): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, and ${items.length - max} more` : '');
}

export function tokensCondition(t: TokenOutcome, selected: number, registryName: string): ConditionInput {
  if (t.rbacError) return cond(TOKENS_CONDITION, false, 'RBACFailed', `the kubelet RBAC could not be written: ${t.rbacError}`);
  if (!t.clusterIssuer) return cond(TOKENS_CONDITION, false, 'ClusterIssuerNotConfigured', `Registry ${registryName} does not accept ServiceAccount tokens: set its spec.auth.federation.cluster`);
  if (t.serviceAccounts === 0) return cond(TOKENS_CONDITION, false, 'NoServiceAccounts', `none of the named ServiceAccounts exists in the ${selected} selected namespace(s)`);
  return cond(TOKENS_CONDITION, true, 'Granted',
    `${t.serviceAccounts} ServiceAccount(s) in ${t.namespaces} namespace(s) pull with their own token (audience ${t.audience}); nodes may request it for ${list(t.names, 10)}`);
}

export function accessPolicyConditions(o: SyncOutcome, registryName: string): ConditionInput[] {
  if (!o.registryFound) {
    const msg = `Registry ${registryName} not found`;
    const conditions = [cond('Ready', false, 'RegistryNotFound', msg), cond('Synced', false, 'RegistryNotFound', msg), cond('Degraded', true, 'RegistryNotFound', msg)];
    return o.tokens ? [...conditions, cond(TOKENS_CONDITION, false, 'RegistryNotFound', msg)] : conditions;
  }
  const failed = o.failures.length;
  const names = list(o.failures.map((f) => `${f.namespace} (${f.reason})`), 5);
  const what = o.pullSecrets ?? true ? 'pull secrets' : 'credentials (no pull secrets: serviceAccountToken only)';
  const synced = failed === 0 && o.synced === o.selected
    ? cond('Synced', true, o.rotating ? 'Rotating' : 'AllSynced', `${what} current in ${o.synced} of ${o.selected} namespaces${o.rotating ? '; a rotation is under way' : ''}`)
    : cond('Synced', false, failed ? 'SyncFailed' : 'Pending', `${what} current in ${o.synced} of ${o.selected} namespaces${failed ? `; failed: ${names}` : ''}`);
  const tokens = o.tokens ? tokensCondition(o.tokens, o.selected, registryName) : undefined;
  const degraded = failed
    ? cond('Degraded', true, 'SyncFailed', `${failed} namespace(s) failed: ${names}`)
    : tokens?.reason === 'RBACFailed'
      ? cond('Degraded', true, 'RBACFailed', tokens.message)
      : cond('Degraded', false, 'AsExpected', 'no failures');
  const blocking = synced.status !== 'True' ? synced : tokens && tokens.status !== 'True' ? tokens : undefined;
  let ready = blocking
    ? cond('Ready', false, blocking.reason, blocking.message)
    : cond('Ready', true, 'Synced', tokens ? `${synced.message}; ${tokens.message}` : synced.message);
  if (ready.status === 'True' && o.propagating) {
    ready = cond('Ready', false, 'Propagating', `new credentials in ${o.propagating.namespaces} namespace(s) reach the registry pods by ${o.propagating.until}`);
  }
  return tokens ? [ready, synced, degraded, tokens] : [ready, synced, degraded];
}

/** At most this many failed namespaces are listed in status (the CRD's maxItems). */
const MAX_LISTED_FAILURES = 50;

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The status after a pass; `nextRotation` in epoch ms (Infinity: nothing to rotate). */
export function policyStatus(policy: AccessPolicy, registryName: string, outcome: SyncOutcome, rotation: { lastRotationTime?: string; nextRotation?: number }, at: Date): AccessPolicyStatus {
  const generation = policy.metadata.generation;
  // A policy that no longer asks for ServiceAccount tokens no longer reports on them.
  const previous = outcome.tokens ? policy.status?.conditions : policy.status?.conditions?.filter((c) => c.type !== TOKENS_CONDITION);
  const conditions = setConditions(previous, accessPolicyConditions(outcome, registryName), generation, at);
  if (!outcome.registryFound) return { ...policy.status, observedGeneration: generation, conditions };
  const next = rotation.nextRotation ?? Infinity;
  return {
    observedGeneration: generation,
    namespaceCount: outcome.selected,
    syncedNamespaceCount: outcome.synced,
    ...(outcome.tokens ? { serviceAccountCount: outcome.tokens.serviceAccounts } : {}),
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
