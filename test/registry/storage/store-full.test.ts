// A full filesystem: the registry's data lives on a 24 MiB tmpfs, mounted in a
// mount namespace of its own (so nothing outlives the process), and a filler file
// leaves a few MiB free. Pushes then run out of space in every phase: monolithic
// and chunked uploads, manifest writes. Every refusal must be a clean 507 with
// Retry-After, no partial blob may ever be visible, nothing committed may be lost,
// and the registry must take pushes again by itself once the filler is removed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { Client, sha256, unexpected, type Image } from '../../harness/workload.js';

const TMPFS_MIB = 24;
const FREE_MIB = 5;

let registry: RegistryProcess;
let mountPoint: string;
/** The tmpfs as this test sees it: through the registry process's own root. */
let fromOutside: string;

beforeAll(async () => {
  // Fails rather than skips without mount rights: the test command runs as root on the test bed.
  execFileSync('unshare', ['--mount', 'true']);
  mountPoint = `/tmp/berth-full-${process.pid}-${Date.now()}`;
  const dataRoot = join(mountPoint, 'data');
  registry = await startRegistryProcess({
    config: { log: { level: 'warn' }, uploads: { purgeIntervalSeconds: 0 }, storage: { filesystem: { root: dataRoot } } },
    wrap: (node, args) => {
      const script = `mkdir -p ${mountPoint} && mount -t tmpfs -o size=${TMPFS_MIB}m berth-full ${mountPoint} && mkdir ${dataRoot} && exec "$@"`;
      return { command: 'unshare', args: ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', node, ...args] };
    },
  });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  if (mountPoint) await rm(mountPoint, { recursive: true, force: true }); // the empty mount point left outside
});

test('out of space: clean 507s, no partial blob, nothing committed lost, and recovery once space is freed', async () => {
  fromOutside = `/proc/${registry.child.pid}/root${mountPoint}`;
  const client = new Client(registry.url);
  const df = execFileSync('df', ['-m', '--output=avail', fromOutside]).toString().trim().split('\n')[1];
  expect(Number(df)).toBeGreaterThan(TMPFS_MIB - 2);

  const committed: Image[] = [];
  const before = await client.pushImage('full/app', 'before', { layers: 2, layerBytes: 256 * 1024 });
  expect(before).toBeDefined();
  committed.push(before!);

  const filler = join(fromOutside, 'filler');
  await writeFile(filler, Buffer.alloc((TMPFS_MIB - FREE_MIB) * 1024 * 1024));

  // Push until space runs out, in each upload style, bounded in count.
  const refused: string[] = [];
  let full = 0;
  for (let i = 0; i < 40 && full < 6; i++) {
    const layer = randomBytes(512 * 1024 + i);
    const ok = i % 2 ? await client.pushBlobChunked('full/app', layer, 4) : await client.pushBlob('full/app', layer);
    if (!ok) {
      refused.push(sha256(layer));
      full++;
    }
  }
  expect(full).toBeGreaterThan(0);
  // A manifest write on a full store is refused the same way.
  const manifestWhileFull = await client.pushImage('full/app', 'while-full', { layers: 1, layerBytes: 1024 });
  expect(manifestWhileFull).toBeUndefined();

  const bad = unexpected(client.answers, (a) => a.status === 507 && a.code === 'UNAVAILABLE' && a.retryAfter !== undefined && a.jsonError === true);
  if (bad.length) process.stdout.write(`registry warnings:\n${(await registry.log()).split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).slice(-20).join('\n')}\n`);
  expect(bad).toEqual([]);
  expect(client.answers.some((a) => a.status === 507)).toBe(true);

  // No refused blob is visible; every committed image pulls whole.
  const checker = new Client(registry.url);
  for (const d of refused) expect([d, await checker.blobState('full/app', d)]).toEqual([d, 'absent']);
  for (const image of committed) expect(await checker.verifyImage(image)).toEqual([]);

  // Space comes back: pushes succeed again without a restart.
  await rm(filler);
  const recovered = new Client(registry.url);
  const after = await recovered.pushImage('full/app', 'after', { layers: 2, layerBytes: 256 * 1024, chunked: true });
  expect(after).toBeDefined();
  for (const image of [...committed, after!]) expect(await recovered.verifyImage(image)).toEqual([]);
  expect(unexpected(recovered.answers, () => false)).toEqual([]);
  expect((await registry.log()).match(/"level":50/g) ?? []).toEqual([]); // no unhandled error was logged
}, 120_000);
