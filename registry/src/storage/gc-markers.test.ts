// Touches of one digest in flight at once share writes, and every touch still
// writes a marker that starts after it was asked for and is stored when it resolves
// (the writer's half of the GC protocol, gc/collector.ts). The driver is the real
// filesystem driver, with its marker writes held until the test lets them go.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDigest } from '../reference.js';
import { FilesystemDriver } from './driver/filesystem.js';
import type { StorageDriver } from './driver/driver.js';
import { GcMarkers, type Marker } from './gc-markers.js';

const A = parseDigest(`sha256:${'a'.repeat(64)}`)!;
const B = parseDigest(`sha256:${'b'.repeat(64)}`)!;

interface HeldWrite { readonly path: string; readonly marker: Marker; release(): void; fail(): void }

let root: string;
let held: HeldWrite[];
let markers: GcMarkers;

/** Holds every putContent until released (or failed), recording what it would write. */
function holding(driver: StorageDriver): StorageDriver {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'putContent') {
        return (p: string, content: string | Buffer) => new Promise<void>((resolve, reject) => {
          held.push({
            path: p,
            marker: JSON.parse(String(content)) as Marker,
            release: () => void target.putContent(p, content).then(resolve, reject),
            fail: () => reject(new Error('store unavailable')),
          });
        });
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const flush = () => new Promise((r) => setImmediate(r));

/** Waits (bounded) until `cond` holds: a released write goes through the real filesystem. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Records when a promise settles. */
function watch(p: Promise<void>): { done: boolean; failed: boolean } {
  const state = { done: false, failed: false };
  p.then(() => { state.done = true; }, () => { state.failed = true; });
  return state;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-markers-'));
  held = [];
  markers = new GcMarkers(holding(new FilesystemDriver({ root, fsync: false })));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

test('touches asked while one is in flight share one next write, which starts after the first ends', async () => {
  const first = watch(markers.touch(A));
  await flush();
  const asked = Date.now();
  const joiners = [watch(markers.touch(A)), watch(markers.touch(A)), watch(markers.touch(A))];
  await flush();
  expect(held).toHaveLength(1); // the joiners' write waits for the one in flight

  held[0].release();
  await until(() => first.done && held.length === 2);
  expect(joiners.some((j) => j.done)).toBe(false); // the first write may predate them: not theirs
  expect(held).toHaveLength(2);
  expect(held[1].marker.at).toBeGreaterThanOrEqual(asked);
  expect(held[1].marker.nonce).not.toBe(held[0].marker.nonce);

  held[1].release();
  await until(() => joiners.every((j) => j.done));
  expect(await markers.read(A)).toEqual(held[1].marker);
});

test('a touch asked while the shared next write is in flight gets a write of its own after it', async () => {
  void markers.touch(A);
  await flush();
  const joiner = watch(markers.touch(A));
  held[0].release();
  await until(() => held.length === 2); // the shared next write started
  const late = watch(markers.touch(A));
  held[1].release();
  await until(() => joiner.done && held.length === 3);
  expect(late.done).toBe(false);
  held[2].release();
  await until(() => late.done);
});

test('different digests do not wait for each other, and a settled digest starts afresh', async () => {
  const a = watch(markers.touch(A));
  const b = watch(markers.touch(B));
  await flush();
  expect(held.map((h) => h.path).sort()).toEqual([expect.stringContaining(A.hex), expect.stringContaining(B.hex)].sort());
  held[0].release();
  held[1].release();
  await until(() => a.done && b.done);
  const again = watch(markers.touch(A));
  await flush();
  expect(held).toHaveLength(3); // nothing in flight: a write of its own, at once
  held[2].release();
  await until(() => again.done);
});

test('a failed write fails the touches sharing it; the next write still runs for its joiners', async () => {
  const first = watch(markers.touch(A));
  await flush();
  const joiner = watch(markers.touch(A));
  held[0].fail();
  await until(() => first.failed && held.length === 2);
  expect(joiner.failed).toBe(false);
  held[1].fail();
  await until(() => joiner.failed);
  const after = watch(markers.touch(A)); // nothing left in flight: starts afresh
  await flush();
  expect(held).toHaveLength(3);
  held[2].release();
  await until(() => after.done);
});
