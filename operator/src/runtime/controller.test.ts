import { Controller, type Reconciler } from './controller.js';
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
  const c = new Controller(fake.asClient(), {
    name: 'test', primary: { apiVersion: 'v1', kind: 'ConfigMap' }, resyncMs: 60_000, workers, backoff: { baseMs: 10, maxMs: 1000 },
  }, reconcile, quiet, metrics);
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
