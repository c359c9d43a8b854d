// The registry's policy volume as the kubelet projects it from the operator's
// Secrets: the policy file from `<registry>-policy` and a robot file from each robot
// shard that exists, swapped in all at once through a `..data` symlink. Tests that
// run the registry outside a cluster mirror the Secrets into such a directory, and
// read the stored state and the rendered files from here.
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRobotFile } from '#contract/auth/policy-file.js';
import { policyRevision } from '../../operator/src/controllers/access-policy/policy-delivery.js';
import { POLICY_SECRET_COMPONENT } from '../../operator/src/controllers/access-policy/policy-secret.js';
import { ROBOT_FILE_KEY, ROBOT_SHARDS, robotFileName, robotShardSecretName } from '../../operator/src/controllers/access-policy/robot-shards.js';
import { stateFromSecrets, type RegistryPolicyState } from '../../operator/src/controllers/access-policy/state.js';
import { POLICY_FILE_KEY } from '../../operator/src/controllers/registry/config.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { SecretObject } from '../../operator/src/kube/types.js';

export interface PolicySecrets {
  main?: SecretObject;
  /** In shard order; undefined where the shard was not created. */
  shards: Array<SecretObject | undefined>;
}

const text = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8'));

export async function policySecrets(client: KubeClient, registry: string, namespace: string): Promise<PolicySecrets> {
  const { items } = await client.list<SecretObject>('v1', 'Secret', { namespace, labelSelector: `app.kubernetes.io/name=${POLICY_SECRET_COMPONENT},berth.dev/registry=${registry}` });
  const byName = new Map(items.map((s) => [s.metadata.name, s]));
  const main = `${registry}-policy`;
  return { main: byName.get(main), shards: Array.from({ length: ROBOT_SHARDS }, (_, i) => byName.get(robotShardSecretName(main, i))) };
}

/** The files the registry pods see, by name (only those whose Secret exists). */
export function mountedFiles(secrets: PolicySecrets): Record<string, string> {
  const files: Record<string, string> = {};
  const policy = text(secrets.main?.data?.[POLICY_FILE_KEY]);
  if (policy !== undefined) files[POLICY_FILE_KEY] = policy;
  secrets.shards.forEach((s, i) => {
    const robots = text(s?.data?.[ROBOT_FILE_KEY]);
    if (robots !== undefined) files[robotFileName(i)] = robots;
  });
  return files;
}

/** The names of the robots in the robot files (each file validated as the registry does). */
export function robotNames(secrets: PolicySecrets): string[] {
  return Object.entries(mountedFiles(secrets)).filter(([name]) => name !== POLICY_FILE_KEY)
    .flatMap(([name, file]) => parseRobotFile(file, name).robots.map((r) => r.name)).sort();
}

/** The operator's rotation state, from the policy Secret and the shards. */
export function storedState(secrets: PolicySecrets): RegistryPolicyState {
  return stateFromSecrets(secrets.main?.data, secrets.shards.map((s) => s?.data));
}

/** The revision the operator annotates the registry pods with. */
export function mountedRevision(secrets: PolicySecrets): string {
  return policyRevision(secrets.main?.data ?? {}, secrets.shards.map((s) => s?.data));
}

/** The config's paths of the policy file and robot files, moved into `dir`. */
export function relocate(auth: { policyFile?: string; robotFiles?: string[] }, dir: string): void {
  auth.policyFile = join(dir, POLICY_FILE_KEY);
  auth.robotFiles = Array.from({ length: ROBOT_SHARDS }, (_, i) => join(dir, robotFileName(i)));
}

/** A directory updated the way the kubelet updates a projected volume: every file swapped at once. */
export class ProjectedDir {
  private generation = 0;
  private last = '';
  private lastFiles: Record<string, string> = {};

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes `files` (and removes the others); false when they are what is there already. */
  write(files: Record<string, string>): boolean {
    const key = JSON.stringify(files);
    if (key === this.last) return false;
    const version = `..v${this.generation++}`;
    mkdirSync(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, version, name), content);
    let previous: string | undefined;
    try {
      previous = readlinkSync(join(this.dir, '..data'));
    } catch {
      previous = undefined;
    }
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    for (const name of new Set([...Object.keys(files), ...Object.keys(this.lastFiles)])) {
      const link = join(this.dir, name);
      if (name in files) {
        if (!(name in this.lastFiles)) symlinkSync(join('..data', name), link);
      } else {
        rmSync(link, { force: true });
      }
    }
    if (previous) rmSync(join(this.dir, previous), { recursive: true, force: true });
    this.last = key;
    this.lastFiles = files;
    return true;
  }
}
