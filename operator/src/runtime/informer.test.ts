import { createLogger } from './logger.js';
import { FakeClient, gone, obj, untilAborted } from './fake-client.test-support.js';
import { Informer } from './informer.js';
import { OperatorMetrics } from './metrics.js';
import type { KubeObject } from '../kube/types.js';

const quiet = createLogger('error', {}, () => {});
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await settle(5);
  }
}

function recorder() {
  const seen: string[] = [];
  return { seen, handler: (o: KubeObject, deleted: boolean) => seen.push(`${deleted ? '-' : '+'}${o.metadata.name}@${o.metadata.resourceVersion}`) };
}

describe('Informer', () => {
  let informer: Informer | undefined;
  afterEach(async () => informer?.stop());

  it('lists, reports every object, then watches from the list resourceVersion', async () => {
    const fake = new FakeClient();
    fake.lists = [[obj('a', '1'), obj('b', '2')]];
    const { seen, handler } = recorder();
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 60_000 }, handler, quiet);
    informer.start();
    await waitUntil(() => fake.watchCalls.length === 1);
    expect(seen).toEqual(['+a@1', '+b@2']);
    expect(informer.hasSynced()).toBe(true);
    expect(fake.watchCalls[0].resourceVersion).toBe('101');
  });

  it('applies watch events to the cache and re-watches from the last resourceVersion', async () => {
    const fake = new FakeClient();
    fake.lists = [[obj('a', '1')]];
    fake.watchScripts = [async (emit) => {
      emit({ type: 'ADDED', object: obj('b', '5') });
      emit({ type: 'MODIFIED', object: obj('a', '6') });
      emit({ type: 'DELETED', object: obj('b', '7') });
      emit({ type: 'BOOKMARK', object: { ...obj('', '9'), metadata: { name: '', resourceVersion: '9' } } });
    }];
    const { seen, handler } = recorder();
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 60_000 }, handler, quiet);
    informer.start();
    await waitUntil(() => fake.watchCalls.length === 2);
    expect(seen).toEqual(['+a@1', '+b@5', '+a@6', '-b@7']);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['a']);
    expect(fake.watchCalls.map((w) => w.resourceVersion)).toEqual(['101', '9']);
    expect(fake.listCalls).toBe(1);
  });

  it('relists on 410 Gone and reports what changed meanwhile, deletions included', async () => {
    const fake = new FakeClient();
    fake.lists = [[obj('a', '1'), obj('b', '2'), obj('c', '3')], [obj('a', '1'), obj('c', '8'), obj('d', '9')]];
    fake.watchScripts = [async () => Promise.reject(gone())];
    const { seen, handler } = recorder();
    const metrics = new OperatorMetrics();
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 60_000 }, handler, quiet, metrics);
    informer.start();
    await waitUntil(() => fake.watchCalls.length === 2);
    expect(seen).toEqual(['+a@1', '+b@2', '+c@3', '-b@2', '+c@8', '+d@9']);
    expect(fake.listCalls).toBe(2);
    expect((await metrics.informerRelists.get()).values.map((v) => `${v.labels.cause}=${v.value}`).sort()).toEqual(['gone=1', 'start=1']);
  });

  it('relists after other errors, with backoff', async () => {
    const fake = new FakeClient();
    fake.lists = [[obj('a', '1')]];
    fake.watchScripts = [async () => Promise.reject(new Error('connection refused'))];
    const { seen, handler } = recorder();
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 60_000 }, handler, quiet);
    const t0 = Date.now();
    informer.start();
    await waitUntil(() => fake.listCalls === 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450); // the 500 ms backoff
    expect(seen).toEqual(['+a@1']); // nothing changed, nothing re-reported
  });

  it('reports every object again on the resync period', async () => {
    const fake = new FakeClient();
    fake.lists = [[obj('a', '1')]];
    // The server ends each watch at its timeout; the informer notices the resync is due.
    fake.watchScripts = [async () => new Promise((r) => setTimeout(r, 30))];
    const { seen, handler } = recorder();
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 20 }, handler, quiet);
    informer.start();
    await waitUntil(() => seen.length >= 2);
    expect(seen.slice(0, 2)).toEqual(['+a@1', '+a@1']);
    expect(fake.listCalls).toBeGreaterThanOrEqual(2);
  });

  it('stops promptly', async () => {
    const fake = new FakeClient();
    fake.watchScripts = [async (_emit, signal) => untilAborted(signal)];
    informer = new Informer(fake.asClient(), { apiVersion: 'v1', kind: 'ConfigMap', resyncMs: 60_000 }, () => {}, quiet);
    informer.start();
    await waitUntil(() => fake.watchCalls.length === 1);
    const t0 = Date.now();
    await informer.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    informer = undefined;
  });
});
