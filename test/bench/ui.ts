// `npm run bench:ui [-- --tags=10000] [-- --samples=20] [-- --only=filesystem,s3] [-- --json=FILE]`
// The web UI's page timings on both storages, one after the other on the same
// machine: the browser test's seed (test/registry/browse/seed.ts) with 10,000
// tags in team-a/many on a registry process backed by the filesystem, then by a
// real S3 server (versitygw, test/harness/s3-server.ts), and Debian's Chromium
// timing each page the way the browser test does (page-timing.ts: 20 reloads,
// from the reload to the awaited element). Seeding 10,000 tags on S3 takes
// minutes, which is why this is a benchmark and not part of the test run.
// Also counted: the storage operations the registry made per page load
// (berth_storage_operation_duration_seconds), to show what a page costs the store.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { startS3Server, type S3Server } from '../harness/s3-server.js';
import { REPO_ROOT } from '../harness/registry-process.js';
import { BrowserRun, type Tab } from '../registry/browse/browser.js';
import { percentiles, reloadTimes, type Percentiles } from '../registry/browse/page-timing.js';
import { IDENTITIES, startSeededRegistry, type Seeded } from '../registry/browse/seed.js';
import { loadAverage } from './cpu.js';
import { machineDescription } from './machine.js';

type Storage = 'filesystem' | 's3';

const args = process.argv.slice(2);
const flagValue = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const TAGS = Number(flagValue('tags') ?? 10_000);
const SAMPLES = Number(flagValue('samples') ?? 20);
const STORAGES = (flagValue('only')?.split(',') ?? ['filesystem', 's3']) as Storage[];

interface PageFigures extends Percentiles {
  /** Storage driver operations per page load, by operation (the registry's own histogram counts). */
  readonly storageOpsPerLoad: Record<string, number>;
}

interface StorageFigures {
  readonly seedSeconds: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly pages: Record<string, PageFigures>;
}

/** berth_storage_operation_duration_seconds_count per operation, summed over drivers. */
async function storageOps(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^berth_storage_operation_duration_seconds_count\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const op = /operation="([^"]+)"/.exec(m[1])?.[1] ?? '?';
    out.set(op, (out.get(op) ?? 0) + Number(m[2]));
  }
  return out;
}

async function timedPage(s: Seeded, tab: Tab, url: (i: number) => string, ready: (t: Tab) => Locator): Promise<PageFigures> {
  const before = await storageOps(s.reg.url);
  const times = await reloadTimes(tab.page, url, ready(tab), SAMPLES);
  const after = await storageOps(s.reg.url);
  const perLoad: Record<string, number> = {};
  for (const [op, n] of after) {
    const d = n - (before.get(op) ?? 0);
    // Two page loads per sample: the fresh URL, then the timed reload.
    if (d > 0) perLoad[op] = Number((d / (2 * SAMPLES)).toFixed(2));
  }
  return { ...percentiles(times), storageOpsPerLoad: perLoad };
}

async function runOn(storage: Storage, log: (line: string) => void): Promise<StorageFigures> {
  let s3: S3Server | undefined;
  let seeded: Seeded | undefined;
  let browser: BrowserRun | undefined;
  try {
    let config: RegistryConfigInput['storage'];
    if (storage === 's3') {
      s3 = await startS3Server();
      config = { s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, prefix: 'bench-ui', requestTimeoutSeconds: 30 } };
    }
    const loadBefore = loadAverage();
    const start = performance.now();
    seeded = await startSeededRegistry({ extraTags: TAGS, storage: config });
    const seedSeconds = (performance.now() - start) / 1000;
    log(`${storage}: seeded ${TAGS} tags and the fixture in ${seedSeconds.toFixed(1)} s (load ${loadBefore})`);
    browser = await BrowserRun.launch(seeded.reg.url);
    const tab = await browser.session(IDENTITIES.alice);
    const s = seeded;
    const pages: Record<string, PageFigures> = {};
    pages[`repository of ${TAGS} tags, first 50 rows`] = await timedPage(s, tab, (i) => `${s.reg.url}/ui/#/r/team-a/many?s=${i}`,
      (t) => t.page.getByTestId('tags').locator('tbody tr').nth(49));
    pages['artifact page (image with base, SBOM, signature)'] = await timedPage(s, tab, (i) => `${s.reg.url}/ui/#/r/team-a/app/-/a/${s.app.digest}?s=${i}`,
      (t) => t.page.getByText('Built on:'));
    await browser.close(tab);
    if (browser.violations.length || browser.foreign.length) throw new Error(`CSP violations ${JSON.stringify(browser.violations)}, foreign requests ${JSON.stringify(browser.foreign)}`);
    for (const [name, f] of Object.entries(pages)) {
      log(`${storage}: ${name}: p50 ${f.p50} ms, p95 ${f.p95} ms (${f.samples} reloads); storage operations per load ${JSON.stringify(f.storageOpsPerLoad)}`);
    }
    return { seedSeconds, loadBefore, loadAfter: loadAverage(), pages };
  } finally {
    await browser?.stop();
    await seeded?.reg.stop();
    await s3?.stop();
  }
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`machine: ${machineDescription()}; load ${loadAverage()}; ${new Date().toISOString()}`);
  const figures: Partial<Record<Storage, StorageFigures>> = {};
  for (const storage of STORAGES) figures[storage] = await runOn(storage, log);
  const json = flagValue('json') ?? join(REPO_ROOT, 'results', 'ui-bench.json');
  await mkdir(join(json, '..'), { recursive: true });
  await writeFile(json, `${JSON.stringify({ machine: machineDescription(), at: new Date().toISOString(), tags: TAGS, samples: SAMPLES, figures }, null, 2)}\n`);
  log(`written to ${json}`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
