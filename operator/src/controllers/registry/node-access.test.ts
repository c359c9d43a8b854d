import type { AccessPolicy } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { registryHosts } from '../access-policy/dockerconfig.js';
import { desired } from './desired.js';
import { registry } from './fixtures.test-support.js';
import { hostsToml, NODE_ACCESS_HASH_ANNOTATION, nodeAccessEnabled, nodeAccessObjects, serviceHostNames, type NodeAccessInputs } from './node-access.js';

type Any = Record<string, any>;
const settings = { image: 'ghcr.io/berth-dev/berth-operator:v0.1.0', certsDir: '/etc/containerd/certs.d' };
const inputs: NodeAccessInputs = { ...settings, clusterIP: '10.96.0.37' };
const byKind = (objs: KubeObject[], kind: string) => objs.find((o) => o.kind === kind) as KubeObject & Any;

describe('node access', () => {
  it('is on by default once the operator has the agent image, and off per Registry on request', () => {
    expect(nodeAccessEnabled(registry(), settings)).toBe(true);
    expect(nodeAccessEnabled(registry(), undefined)).toBe(false);
    expect(nodeAccessEnabled(registry({ nodeAccess: { enabled: false } }), settings)).toBe(false);
  });

  it('covers exactly the names the pull secrets carry', () => {
    const policy = { spec: {} } as AccessPolicy;
    expect(serviceHostNames(registry())).toEqual(registryHosts(registry(), policy));
    expect(serviceHostNames(registry())).toEqual(['main.team.svc:5000', 'main.team.svc.cluster.local:5000', 'main.team:5000']);
    expect(serviceHostNames(registry({ service: { port: 443 } }))).toEqual(['main.team.svc', 'main.team.svc.cluster.local', 'main.team']);
  });

  it('sends containerd to the ClusterIP, over plain HTTP or over TLS with the CA', () => {
    const plain = hostsToml(registry(), inputs);
    expect(plain).toMatch(/^server = "http:\/\/10\.96\.0\.37:5000"$/m);
    // containerd 1.6 needs a host table.
    expect(plain).toMatch(/^\[host\."http:\/\/10\.96\.0\.37:5000"\]\n {2}capabilities = \["pull", "resolve", "push"\]$/m);
    expect(plain).not.toMatch(/ca =/);
    const tls = hostsToml(registry({ tls: { selfSigned: true } }), { ...inputs, caPem: 'PEM' });
    expect(tls).toMatch(/^server = "https:\/\/10\.96\.0\.37:5000"$/m);
    expect(tls).toMatch(/^ca = "ca\.crt"$/m);
    expect(tls).toMatch(/^ {2}ca = "ca\.crt"$/m);
  });

  it('renders a ConfigMap and a DaemonSet that mounts only certs.d from the host, as root without capabilities', () => {
    const objs = nodeAccessObjects(registry({ tls: { selfSigned: true } }), { ...inputs, caPem: 'PEM' });
    const cm = byKind(objs, 'ConfigMap');
    expect(cm.metadata.name).toBe('main-node-access');
    expect(Object.keys(cm.data).sort()).toEqual(['ca.crt', 'hosts', 'hosts.toml']);
    expect(cm.data.hosts.trim().split('\n')).toEqual(serviceHostNames(registry()));
    const pod = byKind(objs, 'DaemonSet').spec.template.spec;
    expect(pod.volumes.filter((v: Any) => v.hostPath)).toEqual([{ name: 'certs-d', hostPath: { path: '/etc/containerd/certs.d', type: 'DirectoryOrCreate' } }]);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    const [c] = pod.containers;
    expect(c.image).toBe(settings.image);
    expect(c.command).toEqual(['/nodejs/bin/node', '/app/dist/operator/src/node-agent/main.js']);
    expect(c.args).toContain('--owner=team/main');
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext.runAsUser).toBe(0);
  });

  it('rolls the DaemonSet when what it installs changes', () => {
    const hash = (i: NodeAccessInputs) => byKind(nodeAccessObjects(registry(), i), 'DaemonSet').spec.template.metadata.annotations[NODE_ACCESS_HASH_ANNOTATION];
    expect(hash(inputs)).toBe(hash({ ...inputs }));
    expect(hash({ ...inputs, clusterIP: '10.96.0.38' })).not.toBe(hash(inputs));
  });

  it('is part of desired() only with node access inputs', () => {
    const base = { signingKeys: [] };
    expect(desired(registry(), base).objects.some((o) => o.kind === 'DaemonSet')).toBe(false);
    const objs = desired(registry(), { ...base, nodeAccess: inputs }).objects;
    expect(objs.filter((o) => o.metadata.name === 'main-node-access').map((o) => o.kind).sort()).toEqual(['ConfigMap', 'DaemonSet']);
  });
});
