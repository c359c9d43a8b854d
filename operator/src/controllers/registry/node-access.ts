// Node access: how a node's container runtime pulls `main.registry.svc:5000/…`.
// containerd resolves image names with the node's DNS, which does not know
// Service names, and refuses a self-signed certificate. So the operator renders
// containerd registry host configuration (hosts.toml: that name is served at the
// Service's ClusterIP, which kube-proxy routes on every node; plus the registry's
// CA when it serves TLS) into a ConfigMap, and a DaemonSet of the operator image
// installs it into each node's certs.d directory, under every in-cluster name of
// the Service. The names pull secrets carry and the README uses stay the names
// images are pulled by. See docs/node-access.md.
import { createHash } from 'node:crypto';
import type { Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { REGISTRY_PORT } from './config.js';
import { ownedLabels, ownerReference, registryNames, selectorLabels } from './names.js';
import { registryService } from './workload.js';

const COMPONENT = 'berth-node-access';
export const NODE_ACCESS_HASH_ANNOTATION = 'berth.dev/node-access-hash';
/** Keys of the ConfigMap the agent (operator/src/node-agent) reads. */
export const NODE_ACCESS_FILES = { hosts: 'hosts', hostsToml: 'hosts.toml', ca: 'ca.crt' } as const;
/** Where the DaemonSet mounts the ConfigMap and the node's certs.d. */
const SOURCE_DIR = '/etc/berth/node-access';
const TARGET_DIR = '/host/certs.d';
export const NODE_AGENT_PORT = 8081;

/** Operator-wide settings (chart values nodeAccess.*); node access is off without them. */
export interface NodeAccessSettings {
  /** The image the DaemonSet runs: the operator's own (it carries the agent). */
  image: string;
  /** containerd's registry `config_path` on the nodes. */
  certsDir: string;
}

/** What the reconciler found out for one Registry. */
export interface NodeAccessInputs extends NodeAccessSettings {
  clusterIP: string;
  /** PEM of the CA that signs the serving certificate, when the registry serves TLS. */
  caPem?: string;
}

export function nodeAccessEnabled(reg: Registry, settings: NodeAccessSettings | undefined): settings is NodeAccessSettings {
  return !!settings && (reg.spec.nodeAccess?.enabled ?? true);
}

/** Every in-cluster name of the Service, as image references spell it (the pull secrets' hosts). */
export function serviceHostNames(reg: Registry): string[] {
  const svc = registryNames(reg.metadata.name).service;
  const ns = reg.metadata.namespace;
  const port = reg.spec.service?.port ?? REGISTRY_PORT;
  return [`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`].map((n) => (port === 443 ? n : `${n}:${port}`));
}

/**
 * containerd hosts.toml: every name above is served at the ClusterIP. The same
 * endpoint is both the `server` and a `[host]` entry: containerd 1.6 refuses a
 * file without a host table, newer ones accept both.
 */
export function hostsToml(reg: Registry, inputs: NodeAccessInputs): string {
  const url = `${reg.spec.tls ? 'https' : 'http'}://${inputs.clusterIP}:${reg.spec.service?.port ?? REGISTRY_PORT}`;
  const ca = inputs.caPem ? [`ca = "${NODE_ACCESS_FILES.ca}"`] : [];
  return [
    `# Registry ${reg.metadata.namespace}/${reg.metadata.name}, written by the Berth operator: the node reaches`,
    '# the registry Service at its ClusterIP, so it needs no cluster DNS.',
    `server = "${url}"`,
    ...ca,
    '',
    `[host."${url}"]`,
    '  capabilities = ["pull", "resolve", "push"]',
    ...ca.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

function meta(reg: Registry, name: string) {
  return { name, namespace: reg.metadata.namespace, labels: ownedLabels(reg, COMPONENT), ownerReferences: [ownerReference(reg)] };
}

export function nodeAccessObjects(reg: Registry, inputs: NodeAccessInputs): KubeObject[] {
  const name = registryNames(reg.metadata.name).nodeAccess;
  const data: Record<string, string> = {
    [NODE_ACCESS_FILES.hosts]: serviceHostNames(reg).join('\n') + '\n',
    [NODE_ACCESS_FILES.hostsToml]: hostsToml(reg, inputs),
    ...(inputs.caPem ? { [NODE_ACCESS_FILES.ca]: inputs.caPem } : {}),
  };
  const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
  const probe = (path: string) => ({ httpGet: { path, port: 'health' }, periodSeconds: 10, timeoutSeconds: 3 });
  const daemonSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(reg, name),
    spec: {
      selector: { matchLabels: selectorLabels(reg, COMPONENT) },
      // Installing is idempotent and quick: update every node at once.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '100%' } },
      template: {
        // A new hash (ClusterIP, CA, names) rolls the pods, so nodes get it at once rather than at the next volume sync.
        metadata: { labels: ownedLabels(reg, COMPONENT), annotations: { [NODE_ACCESS_HASH_ANNOTATION]: hash } },
        spec: {
          automountServiceAccountToken: false,
          // Every node pulls, tainted or not.
          tolerations: [{ operator: 'Exists' }],
          // Root only to write the node's root-owned certs.d; no capability, no other host path.
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 5,
          containers: [{
            name: 'install',
            image: inputs.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['/nodejs/bin/node', '/app/dist/operator/src/node-agent/main.js'],
            args: [`--source=${SOURCE_DIR}`, `--target=${TARGET_DIR}`, `--owner=${reg.metadata.namespace}/${reg.metadata.name}`, `--port=${NODE_AGENT_PORT}`],
            ports: [{ name: 'health', containerPort: NODE_AGENT_PORT, protocol: 'TCP' }],
            readinessProbe: probe('/readyz'),
            livenessProbe: probe('/healthz'),
            resources: { requests: { cpu: '5m', memory: '32Mi' }, limits: { memory: '96Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [
              { name: 'config', mountPath: SOURCE_DIR, readOnly: true },
              { name: 'certs-d', mountPath: TARGET_DIR },
            ],
          }],
          volumes: [
            { name: 'config', configMap: { name } },
            { name: 'certs-d', hostPath: { path: inputs.certsDir, type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
  return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(reg, name), data }, daemonSet];
}

/**
 * The Service's ClusterIP, applying the Service first when it does not exist
 * yet, so the first serving certificate already names it. The apply is the
 * same one the reconciler makes later (same object, same field manager).
 */
export async function serviceClusterIP(client: KubeClient, reg: Registry): Promise<string> {
  const name = registryNames(reg.metadata.name).service;
  let svc = await client.getOptional<KubeObject & { spec?: { clusterIP?: string } }>('v1', 'Service', name, reg.metadata.namespace);
  if (!svc?.spec?.clusterIP) svc = await client.apply(registryService(reg), { force: true });
  const ip = svc?.spec?.clusterIP;
  if (!ip || ip === 'None') throw new Error(`Service ${reg.metadata.namespace}/${name} has no ClusterIP yet`);
  return ip;
}
