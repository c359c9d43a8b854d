// The `<registry>-policy` Secret: `policy.yaml`, the file the registry reads (one
// rule per AccessPolicy, granting that policy's robots by their name prefix), and
// `state.json.gz`, what the operator must remember across restarts about the
// policies (handled rotation requests, grants). The robots (hashes only) and their
// state (secret ids, digests, activation and expiry times) live in the robot shards
// (robot-shards.ts), `robots.json` and `state.json.gz` each. The Registry's pods mount
// only the files. Every key is recomputed as a whole from the state and every
// AccessPolicy of the Registry, never appended to.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PolicyFile, RobotFile } from '#contract/auth/policy-file.js';
import type { PullPolicy } from '#contract/config/security.js';
import type { AccessPolicy } from '../../api/types.js';
import { pullPolicyRule } from '../pull-policy.js';
import { POLICY_FILE_KEY } from '../registry/config.js';
import { robotPrefix, STATE_KEY } from './names.js';
import { ROBOT_FILE_KEY, splitRobots } from './robot-shards.js';
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

/** The state of the policy Secret and the robot shards' Secrets, as one (robots from before sharding included). */
export function stateFromSecrets(main: Record<string, string> | undefined, shards: ReadonlyArray<Record<string, string> | undefined>): RegistryPolicyState {
  const state = stateFromSecret(main);
  for (const shard of shards) Object.assign(state.robots, stateFromSecret(shard).robots);
  return state;
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

/** The robots of live policies, with their unexpired secrets (hashes only), by name. */
export function renderRobots(robots: Record<string, RobotState>, policies: AccessPolicy[], now: number): NonNullable<RobotFile['robots']> {
  const live = new Set(policies.map((p) => p.metadata.name));
  return byName(robots).filter(([, robot]) => live.has(robot.policy)).map(([name, robot]) => ({
    name,
    secrets: robot.secrets
      .filter((s) => !s.expiresAt || Date.parse(s.expiresAt) > now)
      .map((s) => (s.expiresAt ? { hash: s.hash, expiresAt: s.expiresAt } : { hash: s.hash })),
  }));
}

/**
 * The registry's policy file for every live policy of the Registry: rules only, the
 * robots are in the robot files. A policy whose pullPolicy the registry could not
 * apply gets no rule at all: its credentials are refused rather than let through
 * without the policy.
 */
export function renderPolicyFile(state: RegistryPolicyState, policies: AccessPolicy[], trustKeys: readonly string[] = []): PolicyFile {
  const withRobots = new Set(Object.values(state.robots).map((r) => r.policy));
  const rules: NonNullable<PolicyFile['rules']> = [];
  for (const policy of [...policies].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const name = policy.metadata.name;
    // Robots, the ServiceAccounts granted their own tokens, and CI identities: one rule, the same grant.
    const robotPrefixes = withRobots.has(name) ? [robotPrefix(name)] : [];
    const federated = [...grantMatchers(state.policies[name]?.serviceAccountTokens ?? []), ...federatedEntries(policy)];
    if (!robotPrefixes.length && !federated.length) continue;
    const pullPolicy = rulePullPolicy(policy, trustKeys);
    if (pullPolicy === null) continue;
    rules.push({
      name: `accesspolicy/${policy.metadata.namespace}/${name}`,
      ...(robotPrefixes.length ? { robotPrefixes } : {}),
      ...(federated.length ? { federated } : {}),
      repositories: policy.spec.repositories,
      actions: policy.spec.actions,
      ...(pullPolicy ? { pullPolicy } : {}),
    });
  }
  return { rules };
}

export interface PolicySecretsData {
  /** The `<registry>-policy` Secret: the policy file and the policies' state. */
  main: Record<string, string>;
  /** Each robot shard's Secret, in shard order: its robot file and its robots' state. */
  shards: Array<Record<string, string>>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const gzipped = (state: RegistryPolicyState) => gzipSync(JSON.stringify(state)).toString('base64');

/** One shard's Secret data: its robot file and its robots' state. */
function shardData(robots: Record<string, RobotState>, policies: AccessPolicy[], now: number): Record<string, string> {
  return {
    [ROBOT_FILE_KEY]: b64(JSON.stringify({ robots: renderRobots(robots, policies, now) }) + '\n'),
    [STATE_KEY]: gzipped({ robots, policies: {} }),
  };
}

/**
 * Each shard's data as last rendered, with what it was rendered from: a pass that
 * changes one robot renders and compresses one shard, not all of them. Rendered data
 * stays valid until the shard's robots or the live policies change, or one of its
 * secrets expires (expired secrets leave the robot file).
 */
export class ShardDataCache {
  private readonly kept = new Map<string, { from: string; validUntil: number; data: Record<string, string> }>();

  data(key: string, robots: Record<string, RobotState>, policies: AccessPolicy[], now: number): Record<string, string> {
    const from = `${policies.map((p) => p.metadata.name).sort().join(',')}\n${JSON.stringify(robots)}`;
    const kept = this.kept.get(key);
    if (kept && kept.from === from && now < kept.validUntil) return kept.data;
    const data = shardData(robots, policies, now);
    this.kept.set(key, { from, validUntil: nextExpiry(robots, now), data });
    return data;
  }
}

function nextExpiry(robots: Record<string, RobotState>, now: number): number {
  let next = Infinity;
  for (const robot of Object.values(robots)) {
    for (const s of robot.secrets) {
      const at = s.expiresAt ? Date.parse(s.expiresAt) : Infinity;
      if (at > now && at < next) next = at;
    }
  }
  return next;
}

/** Every Secret's data; `cache` (with a key per Registry) spares re-rendering the shards that did not change. */
export function policySecretsData(state: RegistryPolicyState, policies: AccessPolicy[], now: number, trustKeys: readonly string[] = [],
  cache?: { shards: ShardDataCache; key: string }): PolicySecretsData {
  return {
    main: {
      [POLICY_FILE_KEY]: b64(JSON.stringify(renderPolicyFile(state, policies, trustKeys)) + '\n'),
      [STATE_KEY]: gzipped({ robots: {}, policies: state.policies }),
    },
    shards: splitRobots(state.robots).map((robots, i) => (cache ? cache.shards.data(`${cache.key}/${i}`, robots, policies, now) : shardData(robots, policies, now))),
  };
}
