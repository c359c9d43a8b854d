import { parseConfigYaml } from '#contract/config/load.js';
import type { KubeObject } from '../../kube/types.js';
import type { MirrorSpec, RegistrySpec } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import { desired, type DesiredInputs } from './desired.js';
import { registry } from './fixtures.test-support.js';

const inputs: DesiredInputs = { signingKeys: [], serviceEndpoint: 'http://10.96.0.50:5000' };
type Any = Record<string, any>;
const find = (objs: KubeObject[], kind: string, name: string): (KubeObject & Any) | undefined => objs.find((o) => o.kind === kind && o.metadata.name === name);

const mirror: MirrorSpec = {
  upstreams: [
    { host: 'docker.io', aliases: ['registry-1.docker.io'], url: 'https://registry-1.docker.io', anonymousPull: true, maxSize: '50Gi', tagTTL: '10m', maxBandwidth: '10Mi' },
    { host: 'ghcr.io', url: 'https://ghcr.io', credentialsSecretRef: { name: 'ghcr-pull' }, caSecretRef: { name: 'ghcr-ca' }, include: ['acme/**'] },
  ],
  sync: [{ name: 'alpine', upstream: 'docker.io', repositories: ['library/alpine'], semver: '>=3.19 <4', newest: 2, platforms: ['linux/arm64'], interval: '30m' }],
};
const spec = (extra: Partial<RegistrySpec> = {}) => registry({ auth: { enabled: false }, mirror, ...extra });

describe('Registry.spec.mirror and spec.replication', () => {
  it('render the mirror and replication blocks the registry accepts, with Secrets as mounted files', () => {
    const state = desired(spec({
      replication: { rules: [{ name: 'promote', repositories: ['team-a/**'], url: 'https://prod.example.test', prefix: 'promoted', credentialsSecretRef: { name: 'prod', key: 'config.json' }, interval: '1h' }] },
    }), inputs);
    const config = parseConfigYaml(state.configYaml);
    expect(config.mirror.upstreams.map((u) => [u.host, u.tagTTLSeconds, u.staleIfErrorSeconds, u.maxSizeBytes, u.maxBandwidthBytesPerSecond, u.anonymousPull, u.credentialsFile, u.tls.caFile])).toEqual([
      ['docker.io', 600, 604800, 50 * 2 ** 30, 10 * 2 ** 20, true, undefined, undefined],
      ['ghcr.io', 300, 604800, undefined, undefined, false, '/etc/berth/mirror/upstream-1/auth/credentials', '/etc/berth/mirror/upstream-1/ca/ca.crt'],
    ]);
    expect(config.mirror.upstreams[1].include).toEqual(['acme/**']);
    expect(config.mirror.sync[0]).toMatchObject({ name: 'alpine', semver: '>=3.19 <4', newest: 2, platforms: ['linux/arm64'], intervalSeconds: 1800 });
    expect(config.replication[0]).toMatchObject({ name: 'promote', prefix: 'promoted', intervalSeconds: 3600, onPush: true, credentialsFile: '/etc/berth/mirror/replication-0/auth/credentials' });

    const pod = find(state.objects, 'Deployment', 'main')!.spec.template.spec;
    const mounts = pod.containers[0].volumeMounts as Any[];
    expect(mounts.filter((m) => String(m.mountPath).startsWith('/etc/berth/mirror')).map((m) => [m.name, m.mountPath, m.subPath])).toEqual([
      ['upstream-1-credentials', '/etc/berth/mirror/upstream-1/auth', undefined],
      ['upstream-1-ca', '/etc/berth/mirror/upstream-1/ca', undefined],
      ['replication-0-credentials', '/etc/berth/mirror/replication-0/auth', undefined],
    ]);
    expect(pod.volumes.find((v: Any) => v.name === 'upstream-1-credentials').secret).toMatchObject({ secretName: 'ghcr-pull', items: [{ key: '.dockerconfigjson', path: 'credentials' }] });
    expect(pod.volumes.find((v: Any) => v.name === 'replication-0-credentials').secret.items).toEqual([{ key: 'config.json', path: 'credentials' }]);
  });

  it('renders one containerd hosts.toml per upstream for the Service ClusterIP, or the configured endpoint, and no installer unless asked', () => {
    const hosts = find(desired(spec(), inputs).objects, 'ConfigMap', 'main-containerd-hosts')!;
    expect(Object.keys(hosts.data)).toEqual(['docker.io.toml', 'ghcr.io.toml']);
    expect(hosts.data['docker.io.toml']).toBe([
      'server = "https://registry-1.docker.io"', '', '[host."http://10.96.0.50:5000"]', '  capabilities = ["pull", "resolve"]', '  dial_timeout = "2s"', '',
    ].join('\n'));
    expect(find(desired(spec(), inputs).objects, 'DaemonSet', 'main-containerd-hosts')).toBeUndefined();

    const airGapped = desired(spec({ mirror: { ...mirror, containerd: { endpoint: 'https://berth.example.test', caFile: '/etc/containerd/certs.d/berth-ca.crt', fallbackToUpstream: false } } }), { signingKeys: [] });
    expect(find(airGapped.objects, 'ConfigMap', 'main-containerd-hosts')!.data['ghcr.io.toml']).toBe([
      '[host."https://berth.example.test"]', '  capabilities = ["pull", "resolve"]', '  ca = "/etc/containerd/certs.d/berth-ca.crt"', '  dial_timeout = "2s"', '',
    ].join('\n'));
    // Before the Service has a ClusterIP there is nothing nodes could use.
    expect(find(desired(spec(), { signingKeys: [] }).objects, 'ConfigMap', 'main-containerd-hosts')).toBeUndefined();
    expect(find(desired(registry({ auth: { enabled: false } }), inputs).objects, 'ConfigMap', 'main-containerd-hosts')).toBeUndefined();
  });

  it('adds the installer DaemonSet when enabled: the ConfigMap and only the certs.d host folder mounted', () => {
    const ds = find(desired(spec({ mirror: { ...mirror, containerd: { installer: { enabled: true } } } }), inputs).objects, 'DaemonSet', 'main-containerd-hosts')!;
    const pod = ds.spec.template.spec;
    expect(pod.containers[0].command).toEqual(['berth-registry', 'install-containerd-hosts', '--from', '/etc/berth/containerd-hosts', '--to', '/host/certs.d']);
    expect(pod.volumes).toEqual([
      { name: 'hosts', configMap: { name: 'main-containerd-hosts' } },
      { name: 'certs-d', hostPath: { path: '/etc/containerd/certs.d', type: 'DirectoryOrCreate' } },
    ]);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(ds.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'main' });
  });

  it('refuses a bad duration or size as a spec error', () => {
    expect(() => desired(spec({ mirror: { upstreams: [{ host: 'docker.io', url: 'https://registry-1.docker.io', maxSize: 'lots' }] } }), inputs)).toThrow(TerminalError);
    expect(() => desired(spec({ mirror: { upstreams: [{ host: 'docker.io', url: 'https://x.test', tagTTL: 'soon' }] } }), inputs)).toThrow('mirror.upstreams[0].tagTTL');
    // What only the registry's schema knows (a sync rule naming no upstream) is refused the same way.
    expect(() => desired(spec({ mirror: { ...mirror, sync: [{ name: 'x', upstream: 'quay.io', repositories: ['a/b'] }] } }), inputs)).toThrow('no upstream with host "quay.io"');
  });
});
