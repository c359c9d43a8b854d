import type { KubeObject } from '../kube/types.js';
import { Controller, MAX_REQUEUE_MS, ownKey, requeueAfter, type Cache, type Reconciler } from './controller.js';
import { TerminalError } from './errors.js';
import { FakeClient, obj } from './fake-client.test-support.js';
import { createLogger } from './logger.js';
import { OperatorMetrics } from './metrics.js';

const quiet = createLogger('error', {}, () => {});
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await settle(5);
  }
}

function controllerWith(reconcile: Reconciler, objects = [obj('a', '1')], workers = 2) {
  const fake = new FakeClient();
  fake.lists = [objects];
  const metrics = new OperatorMetrics();
  const c = new Controller<{ configMaps: Cache<KubeObject> }>(fake.asClient(), {
    name: 'test', watches: { configMaps: { apiVersion: 'v1', kind: 'ConfigMap', toKeys: ownKey } }, resyncMs: 60_000, workers, backoffBaseMs: 10, backoffMaxMs: 1000,
  }, () => reconcile, quiet, metrics);
  return { c, metrics };
}

const count = async (metrics: OperatorMetrics, result: string) =>
  (await metrics.reconcileTotal.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

describe('Controller', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  it('reconciles each listed object by key', async () => {
    const keys: string[] = [];
    const { c } = controllerWith(async (key) => void keys.push(key), [obj('a', '1'), obj('b', '2', 'other')]);
    c.start();
    stop = () => c.stop();
    await settle(50);
    expect(keys.sort()).toEqual(['ns/a', 'other/b']);
    expect(c.hasSynced()).toBe(true);
  });

  it('retries failures with growing delays, then forgets the key', async () => {
    const times: number[] = [];
    const { c, metrics } = controllerWith(async () => {
      times.push(Date.now());
      if (times.length <= 3) throw new Error('apiserver said no');
    });
    c.start();
    stop = () => c.stop();
    await waitUntil(() => times.length === 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // At least 10, 20 and 40 ms (lower bounds only: a loaded machine may add delay).
    [9, 19, 38].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min));
    expect(await count(metrics, 'error')).toBe(3);
    expect(await count(metrics, 'success')).toBe(1);
    expect(c.queue.backoff.retries('ns/a')).toBe(0);
  });

  it('does not retry a terminal error', async () => {
    let calls = 0;
    const { c, metrics } = controllerWith(async () => {
      calls++;
      throw new TerminalError('spec.x is invalid');
    });
    c.start();
    stop = () => c.stop();
    await settle(150);
    expect(calls).toBe(1);
    expect(await count(metrics, 'terminal')).toBe(1);
  });

  it('requeues after the requested delay', async () => {
    const times: number[] = [];
    const { c } = controllerWith(async () => {
      times.push(Date.now());
      return times.length < 2 ? { requeueAfterMs: 60 } : undefined;
    });
    c.start();
    stop = () => c.stop();
    await waitUntil(() => times.length === 2);
    await settle(100);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(55);
  });

  it('never runs one key twice at once, even with several workers and repeated adds', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let firstStarted!: () => void;
    const started = new Promise<void>((r) => (firstStarted = r));
    const { c } = controllerWith(async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      firstStarted();
      await settle(20);
      running--;
    }, [obj('a', '1')], 4);
    c.start();
    stop = () => c.stop();
    await started;
    for (let i = 0; i < 10; i++) c.queue.add('ns/a');
    await settle(150);
    expect(maxRunning).toBe(1);
    expect(calls).toBe(2); // the first run, plus one for all the adds made during it
  });

  it('lets an in-flight reconcile finish on stop', async () => {
    let finished = false;
    const { c } = controllerWith(async () => {
      await settle(50);
      finished = true;
    });
    c.start();
    await settle(10);
    await c.stop();
    expect(finished).toBe(true);
  });
});

describe('Controller caches', () => {
  type Secret = KubeObject & { data?: Record<string, string> };
  interface Caches {
    owners: Cache<KubeObject>;
    pullSecrets: Cache<Secret>;
    policySecrets: Cache<Secret>;
  }

  it('hands each watch\'s cache to the reconciler under its role, even for two watches of one kind', async () => {
    const fake = new FakeClient();
    const secret = (name: string) => ({ ...obj(name, '1'), kind: 'Secret' });
    fake.listFor = (_apiVersion, kind, opts) => (kind === 'ConfigMap' ? [obj('owner', '1')] : opts.labelSelector === 'pull' ? [secret('p1'), secret('p2')] : [secret('policy')]);
    const seen: Record<string, string[]> = {};
    const c = new Controller<Caches>(fake.asClient(), {
      name: 'roles', resyncMs: 60_000, workers: 1, backoffMaxMs: 1000,
      watches: {
        owners: { apiVersion: 'v1', kind: 'ConfigMap', toKeys: ownKey },
        // The policy Secret's events go to the owner; the pull secrets' to nobody.
        pullSecrets: { apiVersion: 'v1', kind: 'Secret', labelSelector: 'pull', toKeys: () => [] },
        policySecrets: { apiVersion: 'v1', kind: 'Secret', labelSelector: 'policy', toKeys: (_s, caches) => caches.owners.list().map((o) => `ns/${o.metadata.name}`) },
      },
    }, (caches) => async (key) => {
      seen[key] = [...caches.pullSecrets.list(), ...caches.policySecrets.list()].map((s) => s.metadata.name);
    }, quiet, new OperatorMetrics());
    c.start();
    try {
      await waitUntil(() => !!seen['ns/owner']);
      expect(seen['ns/owner'].sort()).toEqual(['p1', 'p2', 'policy']);
      expect(c.caches.pullSecrets.list().map((s) => s.metadata.name).sort()).toEqual(['p1', 'p2']);
      expect(c.caches.policySecrets.list().map((s) => s.metadata.name)).toEqual(['policy']);
    } finally {
      await c.stop();
    }
  });

  it('starts reconciling only once every cache is synced', async () => {
    const fake = new FakeClient();
    let releaseSecrets!: () => void;
    const secretsListed = new Promise<void>((r) => (releaseSecrets = r));
    fake.listFor = (_apiVersion, kind) => (kind === 'ConfigMap' ? [obj('a', '1')] : []);
    fake.listGate = (kind) => (kind === 'Secret' ? secretsListed : undefined);
    const calls: number[] = [];
    const c = new Controller<Pick<Caches, 'owners' | 'pullSecrets'>>(fake.asClient(), {
      name: 'sync', resyncMs: 60_000, workers: 1, backoffMaxMs: 1000,
      watches: { owners: { apiVersion: 'v1', kind: 'ConfigMap', toKeys: ownKey }, pullSecrets: { apiVersion: 'v1', kind: 'Secret', toKeys: () => [] } },
    }, () => async () => void calls.push(Date.now()), quiet, new OperatorMetrics());
    c.start();
    try {
      await settle(100);
      expect(c.hasSynced()).toBe(false);
      expect(calls).toHaveLength(0);
      releaseSecrets();
      await waitUntil(() => calls.length === 1);
      expect(c.hasSynced()).toBe(true);
    } finally {
      await c.stop();
    }
  });

  it('stops cleanly while a cache cannot sync', async () => {
    const fake = new FakeClient();
    fake.listGate = () => Promise.reject(new Error('secrets is forbidden'));
    const c = new Controller<{ owners: Cache<KubeObject> }>(fake.asClient(), {
      name: 'never', resyncMs: 60_000, workers: 2, backoffMaxMs: 1000,
      watches: { owners: { apiVersion: 'v1', kind: 'ConfigMap', toKeys: ownKey } },
    }, () => async () => {}, quiet, new OperatorMetrics());
    c.start();
    await settle(20);
    expect(c.hasSynced()).toBe(false);
    await expect(Promise.race([c.stop().then(() => 'stopped'), settle(2000).then(() => 'hung')])).resolves.toBe('stopped');
  });
});

describe('requeueAfter', () => {
  it('caps the delay, never goes below zero, and asks for nothing without a deadline', () => {
    expect(requeueAfter(1500)).toEqual({ requeueAfterMs: 1500 });
    expect(requeueAfter(-20)).toEqual({ requeueAfterMs: 0 });
    expect(requeueAfter(MAX_REQUEUE_MS * 10)).toEqual({ requeueAfterMs: MAX_REQUEUE_MS });
    expect(requeueAfter(Infinity)).toBeUndefined();
  });
});
