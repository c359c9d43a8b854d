// The test node itself: a Ready node that runs CNI pods, Services that route
// through kube-proxy (from pods and from the machine), cluster DNS, in-cluster
// access to the apiserver, claims that bind to local volumes, and nothing
// listening beyond loopback and the node's own bridge.
import { execFileSync } from 'node:child_process';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { availableVolumes, addLocalVolumes } from '../harness/node/volumes.js';
import { getRaw } from '../harness/node/raw-kinds.js';
import { connect, createPod, getPod, isReady, podSpec, waitFor, type Cluster } from './support/cluster.js';

let cluster: Cluster;
let ns: string;

beforeAll(async () => {
  cluster = connect();
  ns = `node-${Date.now().toString(36)}`;
  await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await waitFor('default ServiceAccount', () => cluster.client.getOptional('v1', 'ServiceAccount', 'default', ns));
});
afterAll(async () => {
  await cluster?.client.delete('v1', 'Namespace', ns).catch(() => undefined);
  cluster?.close();
});

const busybox = () => cluster.info.images.busybox.ref;

type Container = Record<string, unknown>;

/** Runs a busybox pod (local image) to completion and returns its log. */
async function runToCompletion(name: string, script: string, podExtra: Record<string, unknown> = {}, containerExtra: Container = {}): Promise<string> {
  const spec = podSpec(name, ns, busybox(), ['sh', '-c', script], podExtra);
  const containers = (spec.spec as { containers: Container[] }).containers;
  containers[0] = { ...containers[0], imagePullPolicy: 'Never', ...containerExtra };
  await createPod(cluster.client, spec);
  const pod = await waitFor(`pod ${name} to finish`, async () => {
    const p = await getPod(cluster.client, ns, name);
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  }, 90_000, 250);
  const log = await cluster.kubectl(['-n', ns, 'logs', name]);
  if (pod.status?.phase !== 'Succeeded') throw new Error(`pod ${name} failed:\n${log}`);
  return log;
}

describe('the test node', () => {
  it('is one Ready, untainted node with the bridge address as its only address', async () => {
    const node = await getRaw<KubeObject & { spec: { taints?: unknown[] }; status: { addresses: Array<{ type: string; address: string }> } }>(cluster.client, 'Node', cluster.info.nodeName);
    expect(node.spec.taints ?? []).toEqual([]);
    expect(node.status.addresses.find((a) => a.type === 'InternalIP')?.address).toBe(cluster.info.net.address);
  });

  it('runs a pod on the CNI bridge, with logs and exec through the apiserver', async () => {
    const web = podSpec('web', ns, busybox(), ['httpd', '-f', '-p', '8080', '-h', '/etc'], { restartPolicy: 'Always' });
    web.metadata.labels = { app: 'web' };
    (web.spec as { containers: Container[] }).containers[0].imagePullPolicy = 'Never';
    await createPod(cluster.client, web);
    const pod = await waitFor('pod web Ready', async () => {
      const p = await getPod(cluster.client, ns, 'web');
      return isReady(p) ? p : undefined;
    }, 60_000, 250);
    expect(pod.status?.podIP).toMatch(/^10\.244\.0\./);
    expect(await cluster.kubectl(['-n', ns, 'exec', 'web', '--', 'cat', '/etc/hostname'])).toContain('web');
  });

  it('routes a ClusterIP Service through kube-proxy, from this machine and from a pod, and resolves it by name', async () => {
    await cluster.client.create({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const svc = await cluster.client.get<KubeObject & { spec: { clusterIP: string } }>('v1', 'Service', 'web', ns);
    expect(svc.spec.clusterIP).toMatch(/^10\.96\.0\./);
    const passwd = await waitFor('the ClusterIP from this machine', async () => {
      const r = await fetch(`http://${svc.spec.clusterIP}/passwd`);
      return r.status === 200 ? r.text() : undefined;
    }, 30_000, 250);
    expect(passwd).toContain('nonroot:x:65532');
    const log = await runToCompletion('client', `nslookup web.${ns}.svc.cluster.local && wget -q -O - http://web.${ns}.svc/group && wget -q -O - http://web/group`);
    expect(log).toContain(svc.spec.clusterIP);
    expect(log.match(/nonroot:x:65532:/g)).toHaveLength(2);
  });

  it('gives pods the apiserver through the kubernetes Service, verified with the ServiceAccount\'s CA and token', async () => {
    // Node from the registry image (busybox's TLS cannot talk to the apiserver): what client-node's in-cluster config does.
    const script = `const fs = require('fs'), https = require('https'), sa = '/var/run/secrets/kubernetes.io/serviceaccount/';
      https.get({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: '/api/v1/namespaces/${ns}/serviceaccounts/default',
        servername: 'kubernetes.default.svc', ca: fs.readFileSync(sa + 'ca.crt'), headers: { authorization: 'Bearer ' + fs.readFileSync(sa + 'token', 'utf8') } },
        (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => console.log(res.statusCode, JSON.parse(b).metadata.name)); });`;
    await cluster.client.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-sa', namespace: ns }, rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] }] });
    await cluster.client.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-sa', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-sa' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    });
    const spec = podSpec('in-cluster', ns, cluster.info.images.registry.ref, ['/nodejs/bin/node', '-e', script], { automountServiceAccountToken: true });
    (spec.spec as { containers: Container[] }).containers[0].imagePullPolicy = 'Never';
    await createPod(cluster.client, spec);
    await waitFor('pod in-cluster to finish', async () => ['Succeeded', 'Failed'].includes((await getPod(cluster.client, ns, 'in-cluster')).status?.phase ?? ''), 90_000, 250);
    expect((await cluster.kubectl(['-n', ns, 'logs', 'in-cluster'])).trim()).toBe('200 default');
  });

  it('binds a claim of the default StorageClass to a local volume, writable by the pod\'s fsGroup', async () => {
    if ((await availableVolumes(cluster.client)) < 3) await addLocalVolumes(cluster.client, cluster.info.volumesDir, 2);
    await cluster.client.create({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const log = await runToCompletion('writer', 'echo written > /data/file && cat /data/file && id -G', {
      securityContext: { runAsNonRoot: true, runAsUser: 65532, fsGroup: 4321 },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    }, { volumeMounts: [{ name: 'data', mountPath: '/data' }] });
    expect(log).toContain('written');
    expect(log).toContain('4321');
    const pvc = await cluster.client.get<KubeObject & { status: { phase: string }; spec: { storageClassName: string } }>('v1', 'PersistentVolumeClaim', 'data', ns);
    expect(pvc.status.phase).toBe('Bound');
    expect(pvc.spec.storageClassName).toBe('berth-local');
  });

  it('listens only on loopback and the node\'s bridge', () => {
    const listeners = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }).split('\n').filter((l) => /kubelet|containerd|kube-proxy|kube-apiserver|etcd|kube-scheduler|kube-controller/.test(l));
    expect(listeners.length).toBeGreaterThan(3);
    for (const l of listeners) expect(l.split(/\s+/)[3]).toMatch(/^(127\.\d+\.\d+\.\d+|10\.244\.0\.1|\[::1\]):\d+$/);
  });
});
