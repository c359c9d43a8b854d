// Registry.spec.mirror on a real control plane: the upstreams and their credentials
// Secret rendered into the config and the pod, containerd's hosts.toml per upstream
// pointing at the Service's ClusterIP, the opt-in installer DaemonSet, and the
// UpstreamsReachable condition read from a registry process started from exactly
// the rendered config and mounts (pods do not run here).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { freePort, startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { renderedConfig as renderedConfigOf, startRegistryFromDeployment } from './helm/registry-from-deployment.js';
import { patchStatus } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { condition, createRegistry, patchRegistrySpec, REGISTRY_API, waitForGone, waitForObject, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;
type Data = KubeObject & { data: Record<string, string> };

let client: KubeClient;
let ns: string;
let port: number;
let dir: string;
/** A registry standing in for docker.io; ghcr.io is a port nothing listens on. */
let upstream: RegistryProcess;
let deadPort: number;
let registry: RegistryProcess | undefined;

const fx = withOperator('mirror', {
  identity: 'mirror-op',
  args: async (namespace) => {
    port = await freePort();
    return [`--registry-url=${namespace}/main=http://127.0.0.1:${port}`];
  },
});

beforeAll(async () => {
  ({ client, ns } = fx);
  dir = mkdtempSync(join(tmpdir(), 'berth-mirror-op-'));
  mkdirSync(join(dir, 'upstream'));
  upstream = await startRegistryProcess({ dir: join(dir, 'upstream') });
  deadPort = await freePort();
});

afterAll(async () => {
  await registry?.stop();
  await upstream?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const renderedConfig = () => renderedConfigOf(client, ns);

/** Starts (or restarts, as a rollout would) the registry from the Deployment's mounted config and Secrets. */
async function startFromCluster(): Promise<void> {
  await registry?.stop();
  ({ registry } = await startRegistryFromDeployment(client, ns, join(dir, 'pod'), port));
}

/** Reports the Deployment rolled out and available, as its controller would. */
async function markAvailable(): Promise<void> {
  const d = await client.get<KubeObject & Any>('apps/v1', 'Deployment', 'main', ns);
  await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/deployments/main`, {
    observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1,
  });
}

describe('Registry.spec.mirror on a real control plane', () => {
  it('renders the upstreams, their credentials, containerd hosts and the installer; status follows what the registry reaches', async () => {
    await client.create({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ghcr-pull', namespace: ns }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { '127.0.0.1': { username: 'puller', password: 'pull-secret' } } })).toString('base64') },
    });
    await createRegistry(client, ns, 'main', {
      storage: { filesystem: {} },
      auth: { enabled: false },
      mirror: {
        upstreams: [
          { host: 'docker.io', aliases: ['registry-1.docker.io'], url: upstream.url, anonymousPull: true, tagTTL: '10m', maxSize: '1Gi' },
          { host: 'ghcr.io', url: `http://127.0.0.1:${deadPort}`, credentialsSecretRef: { name: 'ghcr-pull' }, include: ['acme/**'] },
        ],
        containerd: { installer: { enabled: true } },
      },
    });
    let reg = await waitForStatus(client, ns, 'main', 'reconciled', (r) => !!r.status?.configHash);

    const config = await renderedConfig();
    expect(config.mirror.upstreams.map((u) => [u.host, u.url, u.aliases, u.tagTTLSeconds, u.maxSizeBytes, u.anonymousPull, u.credentialsFile, u.include])).toEqual([
      ['docker.io', upstream.url, ['registry-1.docker.io'], 600, 2 ** 30, true, undefined, ['**']],
      ['ghcr.io', `http://127.0.0.1:${deadPort}`, [], 300, undefined, false, '/etc/berth/mirror/upstream-1/auth/credentials', ['acme/**']],
    ]);
    const pod = (await client.get<KubeObject & Any>('apps/v1', 'Deployment', 'main', ns)).spec.template.spec;
    expect(pod.volumes.find((v: Any) => v.name === 'upstream-1-credentials').secret).toMatchObject({ secretName: 'ghcr-pull', items: [{ key: '.dockerconfigjson', path: 'credentials' }] });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'upstream-1-credentials', mountPath: '/etc/berth/mirror/upstream-1/auth', readOnly: true });

    // One hosts.toml per upstream: the registry at the Service's ClusterIP (nodes resolve no *.svc), the upstream as fallback.
    const clusterIP = (await client.get<KubeObject & Any>('v1', 'Service', 'main', ns)).spec.clusterIP as string;
    const hosts = await client.get<Data>('v1', 'ConfigMap', 'main-containerd-hosts', ns);
    expect(Object.keys(hosts.data).sort()).toEqual(['docker.io.toml', 'ghcr.io.toml']);
    expect(hosts.data['docker.io.toml']).toContain('server = "https://registry-1.docker.io"');
    expect(hosts.data['ghcr.io.toml']).toContain('server = "https://ghcr.io"');
    for (const toml of Object.values(hosts.data)) {
      expect(toml).toContain(`[host."http://${clusterIP}:5000"]`);
      expect(toml).toContain('capabilities = ["pull", "resolve"]');
    }
    const ds = await client.get<KubeObject & Any>('apps/v1', 'DaemonSet', 'main-containerd-hosts', ns);
    expect(ds.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: REGISTRY_API, kind: 'Registry', name: 'main', controller: true })]);
    const installer = ds.spec.template.spec;
    expect(installer.containers[0].command).toEqual(['berth-registry', 'install-containerd-hosts', '--from', '/etc/berth/containerd-hosts', '--to', '/host/certs.d']);
    expect(installer.volumes).toEqual(expect.arrayContaining([
      { name: 'hosts', configMap: { name: 'main-containerd-hosts', defaultMode: 420 } },
      { name: 'certs-d', hostPath: { path: '/etc/containerd/certs.d', type: 'DirectoryOrCreate' } },
    ]));
    expect(installer.tolerations).toEqual([{ operator: 'Exists' }]);

    // No replica to ask yet: Unknown, and Ready is held back by the workload only.
    expect(condition(reg, 'UpstreamsReachable')).toMatchObject({ status: 'Unknown', reason: 'RegistryNotAnswering' });

    // The registry started from the rendered config and mounts reaches docker.io, not ghcr.io.
    await startFromCluster();
    await markAvailable();
    reg = await waitForStatus(client, ns, 'main', 'UpstreamsReachable=False', (r) => condition(r, 'UpstreamsReachable')?.status === 'False');
    expect(condition(reg, 'UpstreamsReachable')).toMatchObject({ reason: 'UpstreamUnreachable', observedGeneration: 1 });
    expect(condition(reg, 'UpstreamsReachable')!.message).toMatch(/^ghcr\.io: /);

    // Without ghcr.io and the installer: its hosts.toml and the DaemonSet go, and every upstream answers.
    const before = reg.status!.configHash;
    await patchRegistrySpec(client, ns, 'main', {
      mirror: { upstreams: [{ host: 'docker.io', url: upstream.url, anonymousPull: true }], containerd: { installer: { enabled: false } } },
    });
    await waitForStatus(client, ns, 'main', 'new config', (r) => r.status?.configHash !== before);
    await waitForGone(client, 'apps/v1', 'DaemonSet', 'main-containerd-hosts', ns);
    await waitForObject<Data>(client, 'v1', 'ConfigMap', 'main-containerd-hosts', ns, (cm) => Object.keys(cm.data).join() === 'docker.io.toml');
    expect((await renderedConfig()).mirror.upstreams.map((u) => u.host)).toEqual(['docker.io']);
    await startFromCluster();
    await markAvailable();
    reg = await waitForStatus(client, ns, 'main', 'UpstreamsReachable=True', (r) => condition(r, 'UpstreamsReachable')?.status === 'True');
    expect(condition(reg, 'UpstreamsReachable')).toMatchObject({ reason: 'AllReachable', message: '1 of 1 upstreams answer', observedGeneration: 2 });
  });

  it('with a self-signed certificate, containerd dials https at the ClusterIP, and the certificate names that IP', async () => {
    await createRegistry(client, ns, 'edge', {
      storage: { filesystem: {} },
      auth: { enabled: false },
      tls: { selfSigned: true },
      mirror: { upstreams: [{ host: 'quay.io', url: upstream.url }] },
    });
    const tls = await waitForObject<Data>(client, 'v1', 'Secret', 'edge-tls', ns);
    const clusterIP = (await client.get<KubeObject & Any>('v1', 'Service', 'edge', ns)).spec.clusterIP as string;
    const sans = new X509Certificate(Buffer.from(tls.data['tls.crt'], 'base64')).subjectAltName!.split(', ');
    expect(sans).toContain(`IP Address:${clusterIP}`);
    expect(sans).toContain(`DNS:edge.${ns}.svc`);
    const hosts = await waitForObject<Data>(client, 'v1', 'ConfigMap', 'edge-containerd-hosts', ns);
    expect(hosts.data['quay.io.toml']).toContain(`[host."https://${clusterIP}:5000"]`);
    expect(hosts.data['quay.io.toml']).toContain('server = "https://quay.io"');
    // No installer unless asked for.
    await expect(client.get('apps/v1', 'DaemonSet', 'edge-containerd-hosts', ns)).rejects.toMatchObject({ status: 404 });
  });
});
