// The `<registry>-policy` Secret: `policy.yaml`, the file the registry reads
// (robots with hashes only, and one rule per AccessPolicy), and `state.json.gz`,
// what the operator must remember across restarts (secret ids, digests,
// activation and expiry times, handled rotation requests). The Registry's pods
// mount only `policy.yaml`. Both keys are recomputed as a whole from the state
// and every AccessPolicy of the Registry, never appended to.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PolicyFile } from '#contract/auth/policy-file.js';
import type { PullPolicy } from '#contract/config/security.js';
import type { AccessPolicy } from '../../api/types.js';
import { pullPolicyRule } from '../pull-policy.js';
import { POLICY_FILE_KEY } from '../registry/config.js';
import { STATE_KEY } from './names.js';
import type { StoredSecret } from './credentials.js';
import { federatedEntries } from './federated-identities.js';
import { grantMatchers, type ServiceAccountGrant } from './token-grants.js';

export interface RobotState {
  policy: string;
  namespace: string;
  secrets: StoredSecret[];
  /** ServiceAccounts in the namespace whose imagePullSecrets we added our entry to (and so may remove it from). */
  serviceAccounts?: string[];
}

export interface PolicyState {
  /** The last `berth.dev/rotate` value acted on, and when. */
  rotateToken?: string;
  rotateRequestedAt?: string;
  lastRotationTime?: string;
  /** credentials: serviceAccountToken: the ServiceAccounts granted, by name and uid, as of the last pass. */
  serviceAccountTokens?: ServiceAccountGrant[];
}

export interface RegistryPolicyState {
  robots: Record<string, RobotState>;
  policies: Record<string, PolicyState>;
}

export function emptyState(): RegistryPolicyState {
  return { robots: {}, policies: {} };
}

export function stateFromSecret(data: Record<string, string> | undefined): RegistryPolicyState {
  const raw = data?.[STATE_KEY];
  if (!raw) return emptyState();
  try {
    const doc = JSON.parse(gunzipSync(Buffer.from(raw, 'base64')).toString('utf8')) as Partial<RegistryPolicyState>;
    return { robots: doc.robots ?? {}, policies: doc.policies ?? {} };
  } catch {
    // Unreadable state: start over; robots get fresh secrets, pull secrets are rewritten.
    return emptyState();
  }
}

const byName = <T>(o: Record<string, T>) => Object.keys(o).sort().map((k) => [k, o[k]] as const);

/** The pull policy a rule carries; undefined when the spec has none; null when it is invalid (its problem is reported by its own pass). */
function rulePullPolicy(policy: AccessPolicy, trustKeys: readonly string[]): PullPolicy | undefined | null {
  if (!policy.spec.pullPolicy) return undefined;
  try {
    return pullPolicyRule(policy.spec.pullPolicy, trustKeys);
  } catch {
    return null;
  }
}

/**
 * The registry's policy file for every live policy of the Registry. A policy whose
 * pullPolicy the registry could not apply gets no rule at all: its credentials are
 * refused rather than let through without the policy.
 */
export function renderPolicyFile(state: RegistryPolicyState, policies: AccessPolicy[], now: number, trustKeys: readonly string[] = []): PolicyFile {
  const live = new Map(policies.map((p) => [p.metadata.name, p]));
  const robots: NonNullable<PolicyFile['robots']> = [];
  const subjects = new Map<string, string[]>();
  for (const [name, robot] of byName(state.robots)) {
    if (!live.has(robot.policy)) continue;
    const secrets = robot.secrets
      .filter((s) => !s.expiresAt || Date.parse(s.expiresAt) > now)
      .map((s) => (s.expiresAt ? { hash: s.hash, expiresAt: s.expiresAt } : { hash: s.hash }));
    robots.push({ name, secrets });
    subjects.set(robot.policy, [...(subjects.get(robot.policy) ?? []), name]);
  }
  const rules: NonNullable<PolicyFile['rules']> = [];
  for (const [name, policy] of [...live].sort(([a], [b]) => a.localeCompare(b))) {
    const s = subjects.get(name) ?? [];
    // Robots, the ServiceAccounts granted their own tokens, and CI identities: one rule, the same grant.
    const federated = [...grantMatchers(state.policies[name]?.serviceAccountTokens ?? []), ...federatedEntries(policy)];
    if (!s.length && !federated.length) continue;
    const pullPolicy = rulePullPolicy(policy, trustKeys);
    if (pullPolicy === null) continue;
    rules.push({
      name: `accesspolicy/${policy.metadata.namespace}/${name}`,
      ...(s.length ? { subjects: s } : {}),
      ...(federated.length ? { federated } : {}),
      repositories: policy.spec.repositories,
      actions: policy.spec.actions,
      ...(pullPolicy ? { pullPolicy } : {}),
    });
  }
  return { robots, rules };
}

export function secretData(state: RegistryPolicyState, policies: AccessPolicy[], now: number, trustKeys: readonly string[] = []): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    [POLICY_FILE_KEY]: b64(JSON.stringify(renderPolicyFile(state, policies, now, trustKeys)) + '\n'),
    [STATE_KEY]: gzipSync(JSON.stringify(state)).toString('base64'),
  };
}
