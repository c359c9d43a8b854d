// The tag cache on the filesystem: a settled tag is served after one stat, and any
// rewrite or delete (here by a second driver over the same directory, as another
// process would) is seen on the next resolve.
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDigest } from '../reference.js';
import { FilesystemDriver } from './driver/filesystem.js';
import type { StorageDriver } from './driver/driver.js';
import { paths } from './paths.js';
import { TagStore } from './tag-store.js';

const A = parseDigest(`sha256:${'a'.repeat(64)}`)!;
const B = parseDigest(`sha256:${'b'.repeat(64)}`)!;

let root: string;
let reads: number;
let store: TagStore;
let other: TagStore;

/** Counts content reads, so a cache hit is visible. */
function counting(driver: StorageDriver): StorageDriver {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'getContent') return (p: string) => { reads++; return target.getContent(p); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const settle = (repo: string, tag: string) => {
  const old = new Date(Date.now() - 60_000);
  return utimes(join(root, paths.tag(repo, tag)), old, old);
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-tags-'));
  reads = 0;
  store = new TagStore(counting(new FilesystemDriver({ root, fsync: false })), { statValidatedCache: true });
  other = new TagStore(new FilesystemDriver({ root, fsync: false }));
});
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

test('a settled tag is read once, then served after a stat', async () => {
  await store.set('team/app', 'v1', A);
  await settle('team/app', 'v1');
  expect((await store.resolve('team/app', 'v1'))?.value).toBe(A.value);
  expect((await store.resolve('team/app', 'v1'))?.value).toBe(A.value);
  expect(reads).toBe(1);
});

test('a rewrite by another process is seen at once', async () => {
  await store.set('team/app', 'v1', A);
  await settle('team/app', 'v1');
  expect((await store.resolve('team/app', 'v1'))?.value).toBe(A.value);
  await other.set('team/app', 'v1', B);
  expect((await store.resolve('team/app', 'v1'))?.value).toBe(B.value);
});

test('a delete by another process is seen at once', async () => {
  await store.set('team/app', 'v1', A);
  await settle('team/app', 'v1');
  await store.resolve('team/app', 'v1');
  await other.delete('team/app', 'v1');
  expect(await store.resolve('team/app', 'v1')).toBeUndefined();
});

test('a freshly written tag is not cached: a same-tick rewrite cannot hide behind an equal time', async () => {
  await store.set('team/app', 'v1', A);
  const t = new Date(Date.now() - 1000);
  await utimes(join(root, paths.tag('team/app', 'v1')), t, t);
  await store.resolve('team/app', 'v1');
  await store.resolve('team/app', 'v1');
  expect(reads).toBe(2);
  // Another process rewrites it with the very same modification time: still seen.
  await other.set('team/app', 'v1', B);
  await utimes(join(root, paths.tag('team/app', 'v1')), t, t);
  expect((await store.resolve('team/app', 'v1'))?.value).toBe(B.value);
});
