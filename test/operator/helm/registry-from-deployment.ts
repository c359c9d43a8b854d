// A registry process started as the Deployment's pod would run it: the pod's volumes
// materialized under `root` (PodSandbox stands in for the kubelet), and the config
// the operator rendered, with its paths moved below `root`. The data volume stays
// across restarts, as a rollout keeps the PVC; the mounted config and Secrets are
// read afresh.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { PodSandbox, type PodTemplateSpec } from './pod-sandbox.js';

/** The config the operator rendered for Registry `name` (its `<name>-config` ConfigMap). */
export async function renderedConfig(client: KubeClient, namespace: string, name = 'main'): Promise<RegistryConfig> {
  const cm = await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', `${name}-config`, namespace);
  return yaml.load(cm.data['config.yaml']) as RegistryConfig;
}

export async function startRegistryFromDeployment(client: KubeClient, namespace: string, root: string, port: number, name = 'main'): Promise<{ registry: RegistryProcess; config: RegistryConfig }> {
  const deployment = await client.get<KubeObject & { spec: { template: PodTemplateSpec } }>('apps/v1', 'Deployment', name, namespace);
  rmSync(join(root, 'etc'), { recursive: true, force: true });
  const sandbox = await PodSandbox.materialize(client, namespace, deployment.spec.template, root);
  const config = sandbox.relocate(await renderedConfig(client, namespace, name));
  mkdirSync(sandbox.hostPath(config.storage.filesystem!.root), { recursive: true });
  return { registry: await startRegistryProcess({ config, port, dir: root }), config };
}
