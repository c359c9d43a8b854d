// The short soak in the test command (the long one is `npm run soak`, figures in
// docs/BENCHMARKS.md): 45 s of mixed pushes, pulls, listings, deletes, abandoned
// uploads and GC at four workers. Resident memory stays within 150 MiB, no file
// descriptor is leaked, no upload is left after the purger ran, every live image
// pulls whole, and no answer was unexpected.
import { join } from 'node:path';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { runSoak, SOAK_CONFIG } from '../harness/soak.js';

let registry: RegistryProcess;

beforeAll(async () => {
  registry = await startRegistryProcess({ config: SOAK_CONFIG });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

test('45 s of mixed load: no growth, no leak, nothing lost', async () => {
  const r = await runSoak(registry, join(registry.dir, 'data'), { warmupMs: 12_000, durationMs: 25_000, workers: 4, gcEveryMs: 5_000 });
  process.stdout.write(`short soak: ${JSON.stringify({ ...r, errors: r.errors.slice(0, 5) })}\n`);
  expect(r.errors).toEqual([]);
  expect(r.notPullable).toEqual([]);
  expect(r.uploadLeftovers).toBe(0);
  expect(r.fdsEnd.files).toBeLessThanOrEqual(r.fdsWarm.files);
  expect(r.fdsEnd.sockets).toBeLessThanOrEqual(r.fdsWarm.sockets + 6); // the clients' idle keep-alive connections
  // Memory stays within the hostile-input bound. Growth after the warm-up is reported here, and
  // held to 10 % by `npm run soak` (10 minutes after a 15-minute warm-up; 45 s are too short for
  // V8's heap and the bounded pools to reach their steady size): docs/BENCHMARKS.md, "Soak".
  expect(r.rssEndMiB).toBeLessThanOrEqual(150);
  expect(r.gcRuns).toBeGreaterThan(0);
  expect(r.operations.push).toBeGreaterThan(20);
  expect(r.operations.delete).toBeGreaterThan(0);
  expect(r.liveImages).toBeGreaterThan(0);
}, 120_000);
