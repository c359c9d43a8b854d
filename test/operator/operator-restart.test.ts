// The operator process is killed in the middle of reconciling a batch of
// Registries; a fresh process finishes the job, and the result is the same as an
// uninterrupted run (one signing key each, hashes consistent).
import type { Registry } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { createRegistry, REGISTRY_API, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;

const fx = withOperator('restart', { stopSignal: 'SIGKILL' });
let client: KubeClient;
let ns: string;
const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
beforeAll(() => ({ client, ns } = fx));

const start = (identity: string) =>
  fx.start(identity, { args: ['--lease-duration=3', '--renew-deadline=2', '--retry-period=0.5', '--workers=1', '--log-level=debug'] });

describe('operator restart', () => {
  it('converges after being killed mid-reconcile', async () => {
    const first = start('first');
    await first.waitForLog((l) => l.msg === 'controller started');
    await Promise.all(names.map((n) => createRegistry(client, ns, n, { storage: { filesystem: {} }, tls: { selfSigned: true } })));
    // Kill as soon as the first Registry is done: the rest are queued or half applied.
    await first.waitForLog((l) => l.msg === 'reconciled');
    await first.kill('SIGKILL');
    const done = first.lines.filter((l) => l.msg === 'reconciled').length;
    expect(done).toBeLessThan(names.length);

    const second = start('second');
    await second.waitForLog((l) => l.msg === 'became leader');
    for (const n of names) {
      const reg = await waitForStatus(client, ns, n, 'reconciled after the restart', (r) => !!r.status?.configHash);
      const dep = await client.get<KubeObject & Any>('apps/v1', 'Deployment', n, ns);
      expect(dep.spec.template.metadata.annotations['berth.dev/config-hash']).toBe(reg.status!.configHash);
      const keys = await client.get<KubeObject & Any>('v1', 'Secret', `${n}-signing-keys`, ns);
      expect(Object.keys(keys.data)).toEqual([`${reg.status!.signingKeyID}.pem`]);
      await client.get('v1', 'Secret', `${n}-tls`, ns);
    }
  });

  it('is idempotent: a resync of converged Registries writes nothing', async () => {
    const before = await client.list<Registry>(REGISTRY_API, 'Registry', { namespace: ns });
    const deps = await client.list('apps/v1', 'Deployment', { namespace: ns });
    const op = fx.operator;
    const reconciled = op.lines.filter((l) => l.msg === 'reconciled').length;
    // Deleting nothing and changing nothing: trigger a reconcile of every Registry by touching a label.
    for (const n of names) {
      await client.request('PATCH', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries/${n}`, {
        body: { metadata: { labels: { touched: 'yes' } } }, contentType: 'application/merge-patch+json',
      });
    }
    await waitFor('every Registry reconciled again', async () => op.lines.filter((l) => l.msg === 'reconciled').length >= reconciled + names.length);
    const after = await client.list<Registry>(REGISTRY_API, 'Registry', { namespace: ns });
    const depsAfter = await client.list('apps/v1', 'Deployment', { namespace: ns });
    // Only the label patch changed the Registries; status and Deployments were left alone.
    expect(after.items.map((r) => r.status)).toEqual(before.items.map((r) => r.status));
    expect(depsAfter.items.map((d) => d.metadata.resourceVersion)).toEqual(deps.items.map((d) => d.metadata.resourceVersion));
  });
});
