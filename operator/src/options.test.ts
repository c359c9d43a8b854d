import { parseOptions } from './options.js';

describe('parseOptions', () => {
  it('has production defaults', () => {
    const o = parseOptions([], {});
    expect(o).toMatchObject({
      leaderElect: true, leaseNamespace: 'berth-system', leaseName: 'berth-operator',
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000,
      healthHost: '0.0.0.0', healthPort: 8081, resyncMs: 600_000, workers: 2, backoffMaxMs: 300_000, logLevel: 'info',
    });
    expect(o.namespace).toBeUndefined();
    expect(o.kubeconfig).toBeUndefined();
  });

  it('reads the environment, and flags win over it', () => {
    const env = { KUBECONFIG: '/k', BERTH_WATCH_NAMESPACE: 'team', POD_NAMESPACE: 'ops' };
    expect(parseOptions([], env)).toMatchObject({ kubeconfig: '/k', namespace: 'team', leaseNamespace: 'ops' });
    expect(parseOptions(['--namespace=other', '--kubeconfig', '/x', '--leader-election-namespace=le'], env))
      .toMatchObject({ kubeconfig: '/x', namespace: 'other', leaseNamespace: 'le' });
  });

  it('parses timings, addresses and switches', () => {
    const o = parseOptions(['--lease-duration=4', '--renew-deadline=3', '--retry-period=0.5', '--health-addr=127.0.0.1:0', '--leader-elect=false', '--log-level=debug'], {});
    expect(o).toMatchObject({ leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500, healthHost: '127.0.0.1', healthPort: 0, leaderElect: false, logLevel: 'debug' });
  });

  it('turns node access on with the agent image, off without it', () => {
    expect(parseOptions([], {}).nodeAccess).toBeUndefined();
    expect(parseOptions(['--node-access-image=ghcr.io/x/op:v1'], {}).nodeAccess).toEqual({ image: 'ghcr.io/x/op:v1', certsDir: '/etc/containerd/certs.d' });
    expect(parseOptions(['--node-access-image=i', '--node-certs-dir=/var/lib/certs.d'], {}).nodeAccess).toEqual({ image: 'i', certsDir: '/var/lib/certs.d' });
    expect(() => parseOptions(['--node-access-image=i', '--node-certs-dir=certs.d'], {})).toThrow(/absolute path/);
  });

  it('maps Registries to admin URLs for an operator outside the cluster', () => {
    const o = parseOptions(['--registry-url=team/main=http://127.0.0.1:5000', '--registry-url', 'ops/edge=https://edge.example:443', '--repository-status-interval=5'], {});
    expect([...o.registryUrls]).toEqual([['team/main', 'http://127.0.0.1:5000'], ['ops/edge', 'https://edge.example:443']]);
    expect(o.repositoryStatusIntervalMs).toBe(5000);
    expect(parseOptions([], {}).repositoryStatusIntervalMs).toBe(60_000);
    expect(() => parseOptions(['--registry-url=main=http://x'], {})).toThrow('--registry-url');
  });

  it('runs a managed PostgreSQL from the official postgres:15 image unless told otherwise', () => {
    expect(parseOptions([], {}).postgresImage).toBe('postgres:15');
    expect(parseOptions(['--postgres-image=registry.example/postgres:15.8'], {}).postgresImage).toBe('registry.example/postgres:15.8');
    expect(() => parseOptions(['--postgres-image='], {})).toThrow('--postgres-image');
  });

  it('rejects nonsense with the flag name', () => {
    expect(() => parseOptions(['--workers=0'], {})).toThrow('--workers');
    expect(() => parseOptions(['--health-addr=8081'], {})).toThrow('--health-addr');
    expect(() => parseOptions(['--log-level=loud'], {})).toThrow('--log-level');
    expect(() => parseOptions(['--bogus'], {})).toThrow();
  });

  it('enforces lease-duration > renew-deadline > retry-period', () => {
    expect(() => parseOptions(['--lease-duration=5', '--renew-deadline=5'], {})).toThrow('lease-duration > renew-deadline > retry-period');
  });
});
