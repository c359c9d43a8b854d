// A Registry's robots (one per AccessPolicy and namespace) spread over a fixed set of
// Secrets, since one Secret holds at most 1 MiB: about 2,700 robots with their state
// in one. Each robot belongs to the shard its name hashes to, so a robot never moves
// and a new namespace rewrites one shard of 1/ROBOT_SHARDS of the robots. The names
// are fixed, so the registry's Deployment mounts them all (a projected volume, each
// Secret optional) and does not change as namespaces come and go.
import { createHash } from 'node:crypto';
import type { RobotState } from './state.js';

/** 16 shards of at most 1 MiB: see docs/operator.md for the capacity this gives. */
export const ROBOT_SHARDS = 16;
/** Key of the robot file in each shard Secret (next to that shard's part of the state). */
export const ROBOT_FILE_KEY = 'robots.json';

/** The shard Secret's name, from the policy Secret's (`<registry>-policy`). */
export function robotShardSecretName(policySecret: string, shard: number): string {
  return `${policySecret}-robots-${shard}`;
}

/** Where shard `shard`'s robot file is mounted, next to the policy file. */
export function robotFileName(shard: number): string {
  return `robots-${shard}.json`;
}

// Every pass splits every robot: the hashes are kept (bounded; cleared when full).
const shards = new Map<string, number>();
const KEPT_SHARDS = 100_000;

export function shardOf(robot: string): number {
  let shard = shards.get(robot);
  if (shard === undefined) {
    if (shards.size >= KEPT_SHARDS) shards.clear();
    shard = createHash('sha256').update(robot).digest().readUInt32BE(0) % ROBOT_SHARDS;
    shards.set(robot, shard);
  }
  return shard;
}

/** The robots of each shard, in shard order. */
export function splitRobots(robots: Record<string, RobotState>): Array<Record<string, RobotState>> {
  const shards: Array<Record<string, RobotState>> = Array.from({ length: ROBOT_SHARDS }, () => ({}));
  for (const [name, robot] of Object.entries(robots)) shards[shardOf(name)][name] = robot;
  return shards;
}
