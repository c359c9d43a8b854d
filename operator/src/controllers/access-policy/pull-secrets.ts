// The kubernetes.io/dockerconfigjson Secret in each selected namespace. Written
// with server-side apply once we know the name is ours; a Secret of that name
// that someone else made is never taken over.
import { forEachLimit } from '#contract/util/limit.js';
import type { AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import type { KubeObject, SecretObject } from '../../kube/types.js';
import { renderDockerConfig, type Credential } from './dockerconfig.js';
import { describeError, type Failure } from './failures.js';
import { POLICY_ANNOTATION, POLICY_UID_LABEL, policyKey, pullSecretLabels, secretName } from './names.js';
import type { OwnWrites } from './own-writes.js';

export const DOCKER_CONFIG_KEY = '.dockerconfigjson';

export function desiredPullSecret(policy: AccessPolicy, namespace: string, hosts: string[], cred: Credential): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName(policy),
      namespace,
      labels: pullSecretLabels(policy),
      annotations: { [POLICY_ANNOTATION]: policyKey(policy) },
    },
    type: 'kubernetes.io/dockerconfigjson',
    data: { [DOCKER_CONFIG_KEY]: Buffer.from(renderDockerConfig(hosts, cred), 'utf8').toString('base64') },
  };
}

/** Whether `live` already carries every field we set (fields others added are theirs to keep). */
export function upToDate(live: SecretObject | undefined, want: SecretObject): boolean {
  if (!live) return false;
  const labels = live.metadata.labels ?? {};
  const annotations = live.metadata.annotations ?? {};
  return live.type === want.type
    && Object.entries(want.metadata.labels ?? {}).every(([k, v]) => labels[k] === v)
    && Object.entries(want.metadata.annotations ?? {}).every(([k, v]) => annotations[k] === v)
    && live.data?.[DOCKER_CONFIG_KEY] === want.data![DOCKER_CONFIG_KEY];
}

/** The pull secrets labelled with this policy's UID, in any namespace and under any name. */
export function pullSecretsOf(policy: AccessPolicy, secrets: SecretObject[]): SecretObject[] {
  return secrets.filter((s) => s.metadata.labels?.[POLICY_UID_LABEL] === policy.metadata.uid);
}

export function isOurs(obj: KubeObject, policy: AccessPolicy): boolean {
  return obj.metadata.labels?.[POLICY_UID_LABEL] === policy.metadata.uid || obj.metadata.annotations?.[POLICY_ANNOTATION] === policyKey(policy);
}

export class SecretNameTaken extends Error {
  override name = 'SecretNameTaken';
}

/** Creates the Secret, or applies it when it already exists and is ours. */
export async function writePullSecret(client: KubeClient, policy: AccessPolicy, want: SecretObject, knownOurs: boolean): Promise<SecretObject> {
  if (!knownOurs) {
    try {
      return await client.create<SecretObject>(want);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get<SecretObject>('v1', 'Secret', want.metadata.name, want.metadata.namespace);
      if (!isOurs(existing, policy)) throw new SecretNameTaken(`a Secret named ${want.metadata.name} that this policy did not create already exists`);
    }
  }
  return client.apply<SecretObject>(want, { force: true });
}

export interface PullSecretTarget {
  namespace: string;
  credential: Credential;
  /** The Secret as last seen, if any. */
  live?: SecretObject;
}

/** Writes every pull secret not yet up to date: the namespaces whose Secret now holds its credential, and the failures. */
export async function writePullSecrets(client: KubeClient, policy: AccessPolicy, hosts: string[], targets: PullSecretTarget[], limit: number, ownWrites: OwnWrites): Promise<{ written: Set<string>; failures: Failure[] }> {
  const written = new Set<string>();
  const failures: Failure[] = [];
  await forEachLimit(targets, limit, async ({ namespace, credential, live }) => {
    const want = desiredPullSecret(policy, namespace, hosts, credential);
    try {
      if (!upToDate(live, want)) ownWrites.record(await writePullSecret(client, policy, want, !!live && isOurs(live, policy)));
      written.add(namespace);
    } catch (err) {
      failures.push({ namespace, ...describeError(err) });
    }
  });
  return { written, failures };
}
