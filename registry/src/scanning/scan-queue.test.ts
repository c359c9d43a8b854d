// The scan queue yielding to writes: a real ScanQueue and WritesInFlight on real
// timers (tens of milliseconds), with jobs that record when they start and when
// they pass their yield points.
import { WritesInFlight } from '../write/writes-in-flight.js';
import { ScanQueue, type DeferralEnd, type ScanJob, type YieldPoint } from './scan-queue.js';

const MAX_DELAY_MS = 400;
const QUIET_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  readonly queue: ScanQueue;
  readonly writes: WritesInFlight;
  /** digest → ms after the test's start when the job started / finished. */
  readonly started: Map<string, number>;
  readonly finished: Map<string, number>;
  readonly deferred: { digest: string; seconds: number; end: DeferralEnd }[];
  readonly t0: number;
}

/** Each job: start, `steps` yield points with `stepMs` of work between them, done. */
function harness(options: { concurrency?: number; steps?: number; stepMs?: number; maxDelayMs?: number } = {}): Harness {
  const writes = new WritesInFlight();
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  const deferred: Harness['deferred'] = [];
  const t0 = performance.now();
  const run = async (job: ScanJob, yieldPoint: YieldPoint) => {
    started.set(job.digest, performance.now() - t0);
    for (let i = 0; i < (options.steps ?? 0); i++) {
      await sleep(options.stepMs ?? 5);
      await yieldPoint();
    }
    finished.set(job.digest, performance.now() - t0);
  };
  const queue = new ScanQueue(16, options.concurrency ?? 1, run, {
    depth: () => undefined, dropped: () => undefined, failed: () => undefined,
    deferred: (job, seconds, end) => deferred.push({ digest: job.digest, seconds, end }),
  }, { writes, maxDelayMs: options.maxDelayMs ?? MAX_DELAY_MS, quietMs: QUIET_MS });
  return { queue, writes, started, finished, deferred, t0 };
}

const job = (digest: string, reason: ScanJob['reason'] = 'push'): ScanJob => ({ repo: 'team/app', digest, reason });

test('without writes in flight a push scan starts at once', async () => {
  const h = harness();
  h.queue.offer(job('sha256:a'));
  await h.queue.idle();
  expect(h.started.has('sha256:a')).toBe(true);
  expect(h.deferred).toEqual([]);
});

test('a push scan waits while a write is in flight, stays pending, and starts once the write has ended and writes stayed quiet', async () => {
  const h = harness();
  const end = h.writes.begin();
  h.queue.offer(job('sha256:a'));
  await sleep(100);
  expect(h.started.has('sha256:a')).toBe(false);
  expect(h.queue.pending('sha256:a')).toBe(true);
  expect(await h.queue.waitFor('sha256:a', 10)).toBe(false);
  const endedAt = performance.now() - h.t0;
  end();
  await h.queue.idle();
  const startedAt = h.started.get('sha256:a')!;
  expect(startedAt).toBeGreaterThanOrEqual(endedAt + QUIET_MS - 2);
  expect(startedAt).toBeLessThan(MAX_DELAY_MS);
  expect(h.queue.pending('sha256:a')).toBe(false);
  expect(h.deferred).toEqual([expect.objectContaining({ digest: 'sha256:a', end: 'writes-done' })]);
  expect(h.deferred[0].seconds).toBeGreaterThanOrEqual(0.1);
});

test('a running push scan pauses at its yield points while a write is in flight', async () => {
  const h = harness({ steps: 20, stepMs: 5 });
  h.queue.offer(job('sha256:a'));
  await sleep(20); // started, part way through its steps
  expect(h.started.has('sha256:a')).toBe(true);
  const end = h.writes.begin();
  await sleep(150);
  expect(h.finished.has('sha256:a')).toBe(false);
  end();
  await h.queue.idle();
  expect(h.finished.get('sha256:a')).toBeGreaterThan(170);
  expect(h.deferred.map((d) => d.end)).toEqual(['writes-done']);
});

test('a push scan runs anyway after the maximum delay, however many writes follow each other', async () => {
  const h = harness({ steps: 10, stepMs: 5 });
  let stop = false;
  const stream = (async () => {
    while (!stop) {
      const end = h.writes.begin();
      await sleep(10);
      end();
      await sleep(2); // shorter than the quiet period
    }
  })();
  try {
    h.queue.offer(job('sha256:a'));
    await h.queue.idle();
  } finally {
    stop = true;
    await stream;
  }
  expect(h.started.get('sha256:a')).toBeGreaterThanOrEqual(MAX_DELAY_MS - 5);
  // No further pauses once over the bound: its 10 steps of 5 ms, not another wait of MAX_DELAY_MS.
  expect(h.finished.get('sha256:a')! - h.started.get('sha256:a')!).toBeLessThan(MAX_DELAY_MS);
  expect(h.deferred.map((d) => d.end)).toEqual(['max-delay']);
});

test.each(['pull', 'api'] as const)('a %s scan is never deferred by writes in flight', async (reason) => {
  const h = harness({ steps: 5, stepMs: 5 });
  const end = h.writes.begin();
  try {
    h.queue.offer(job('sha256:b', reason));
    await h.queue.idle();
    expect(h.finished.has('sha256:b')).toBe(true); // while the write is still in flight
    expect(h.writes.inFlight).toBe(1);
    expect(h.deferred).toEqual([]);
  } finally {
    end();
  }
});

test('a pull asking for a deferred push scan makes it go on at once', async () => {
  const h = harness();
  const end = h.writes.begin();
  try {
    h.queue.offer(job('sha256:a'));
    await sleep(50);
    expect(h.started.has('sha256:a')).toBe(false);
    expect(h.queue.offer(job('sha256:a', 'pull'))).toBe('already-queued');
    expect(await h.queue.waitFor('sha256:a', MAX_DELAY_MS / 2)).toBe(true); // well before its maximum delay
    expect(h.deferred.map((d) => d.end)).toEqual(['urgent']);
  } finally {
    end();
  }
});

test('a pull for another image is not held behind a paused push scan in the only slot', async () => {
  const h = harness({ steps: 10, stepMs: 5 });
  h.queue.offer(job('sha256:a'));
  await sleep(15); // a is running
  const end = h.writes.begin();
  try {
    await sleep(50); // a is paused
    expect(h.finished.has('sha256:a')).toBe(false);
    h.queue.offer(job('sha256:b', 'pull'));
    expect(await h.queue.waitFor('sha256:b', MAX_DELAY_MS - 100)).toBe(true);
    expect(h.deferred.find((d) => d.digest === 'sha256:a')?.end).toBe('urgent');
  } finally {
    end();
  }
});

test('close ends a deferral: waiting jobs are dropped, a paused one finishes', async () => {
  const h = harness({ steps: 10, stepMs: 5 });
  h.queue.offer(job('sha256:a'));
  await sleep(15);
  const end = h.writes.begin();
  try {
    h.queue.offer(job('sha256:b'));
    await sleep(30);
    await h.queue.close();
    expect(h.finished.has('sha256:a')).toBe(true);
    expect(h.started.has('sha256:b')).toBe(false);
    expect(h.queue.pending('sha256:b')).toBe(false);
  } finally {
    end();
  }
});

test('the in-flight count ends each write once, and quiet waits out the quiet period', async () => {
  const writes = new WritesInFlight();
  const a = writes.begin();
  const b = writes.begin();
  a();
  a();
  expect(writes.inFlight).toBe(1);
  const beforeEnd = performance.now();
  b();
  expect(writes.inFlight).toBe(0);
  await writes.whenQuiet(QUIET_MS, new AbortController().signal);
  expect(performance.now() - beforeEnd).toBeGreaterThanOrEqual(QUIET_MS);
  expect(writes.quiet(QUIET_MS)).toBe(true);
});
