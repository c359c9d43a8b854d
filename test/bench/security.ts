// `npm run bench:security [-- --only=scan,rematch,push,pull] [-- --runs=N] [-- --inventories=N] [-- --json=FILE]`
// `--push-runs=N --pull-requests=N --pull-repetitions=N --connections=N` size the process sections.
// Supply-chain figures on this machine:
//   1. scan: index an image of <= 50 MB with <= 500 packages (dpkg, npm,
//      Python, a Go binary), write its CycloneDX SBOM and match it: p50/p95 of
//      cold runs (no cached layer facts), and a warm run (layers cached);
//   2. rematch: 1,000 stored SBOMs against a new OSV database (~50,000
//      documents), counting layer reads (must stay 0);
//   3. push: push latency to a Berth process with scan on push on vs off, and the
//      scan's own completion time (security-push.ts);
//   4. pull: manifest GET p50/p99 under a pull policy with a cached verdict vs
//      none (security-pull.ts).
// Run it under `flock /tmp/berth-heavy.lock` on a shared machine.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Indexer } from '../../registry/src/security/inventory/indexer.js';
import { toCycloneDx } from '../../registry/src/security/inventory/cyclonedx.js';
import type { Inventory, InventoryPackage } from '../../registry/src/security/inventory/model.js';
import { matchInventory } from '../../registry/src/security/osv/matcher.js';
import { rematch } from '../../registry/src/security/rematch.js';
import { buildImage, layoutBlobOpener, type BuiltImage } from '../harness/image-fixtures.js';
import type { Image } from '../harness/oci-client.js';
import { alpineImage } from '../registry/security/fixtures.js';
import { machineDescription } from './machine.js';
import { loadAverage } from './cpu.js';
import { benchImageFiles, imageFromLayout, syntheticAdvisories, syntheticDatabase, writeOsvDirectory } from './security-content.js';
import { percentile, startSecurityServers } from './security-registry.js';
import { pct, runPushCase, type PushFigures } from './security-push.js';
import { runPullCases, type PullFigures } from './security-pull.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const only = flag('only')?.split(',');
const enabled = (section: string) => !only || only.includes(section);
const RUNS = Number(flag('runs') ?? 20);
const INVENTORIES = Number(flag('inventories') ?? 1000);
const DB_DOCUMENTS = Number(flag('documents') ?? 50_000);
const PUSH_RUNS = Number(flag('push-runs') ?? 20);
const PULL = {
  connections: Number(flag('connections') ?? 16),
  maxRequests: Number(flag('pull-requests') ?? 20_000),
  seconds: 30,
  repetitions: Number(flag('pull-repetitions') ?? 3),
};
/** Every package of every image at its own version: no two images share a package (the worst case for re-match). */
const ALL_DISTINCT = args.includes('--all-distinct');
const MiB = 1024 * 1024;
// Compiled to dist/test/bench/security.js: the repository is three levels up.
const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const log = (line: string) => process.stdout.write(`[load ${loadAverage()}] ${line}\n`);

interface ScanFigures { runs: number; p50ms: number; p95ms: number; warmMs: number; findings: number }
interface RematchFigures { inventories: number; distinctPackages: number; advisories: number; seconds: number; findings: number; layerReads: number }

async function scanSection(image: BuiltImage, first: Inventory): Promise<ScanFigures> {
  const blobs = layoutBlobOpener(image.layoutDir);
  const db = syntheticDatabase(first.packages, DB_DOCUMENTS);
  // Cold: every layer read and parsed.
  const cold: number[] = [];
  let findings = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const inv = (await new Indexer({ openBlob: blobs.open }).index(image.manifestDigest)).inventories[0];
    toCycloneDx(inv);
    findings = matchInventory(db, inv).length;
    cold.push(performance.now() - t0);
  }
  const warmIndexer = new Indexer({ openBlob: blobs.open });
  await warmIndexer.index(image.manifestDigest);
  const tw = performance.now();
  const warmInv = (await warmIndexer.index(image.manifestDigest)).inventories[0];
  toCycloneDx(warmInv);
  matchInventory(db, warmInv);
  const warm = performance.now() - tw;
  log(`scan on push (index + SBOM + match, ${findings} findings): cold p50 ${percentile(cold, 50).toFixed(0)} ms, p95 ${percentile(cold, 95).toFixed(0)} ms over ${RUNS} runs; warm (layers cached) ${warm.toFixed(0)} ms`);
  return { runs: RUNS, p50ms: percentile(cold, 50), p95ms: percentile(cold, 95), warmMs: warm, findings };
}

async function rematchSection(image: BuiltImage, first: Inventory): Promise<RematchFigures> {
  const blobs = layoutBlobOpener(image.layoutDir);
  const pool = first.packages;
  const sboms: { digest: string; inventory: string }[] = [];
  for (let i = 0; i < INVENTORIES; i++) {
    // Each image holds 80 % of the pool; one package in ten is at one of 50 other
    // versions, so images share most packages (as images on common bases do) but not all.
    const packages = pool.filter((_, j) => (i * 7 + j) % 5 !== 0).map((p, j) => {
      if (!ALL_DISTINCT && (i + j) % 10 !== 0) return p;
      const version = `${p.version}.${ALL_DISTINCT ? i : i % 50}`;
      return { ...p, version, purl: p.purl.replace(`@${encodeURIComponent(p.version).replace(/%2B/g, '+').replace(/%3A/g, ':')}`, `@${version}`) };
    });
    const inv: Inventory = { ...first, subject: `sha256:${i.toString(16).padStart(64, '0')}`, packages };
    sboms.push({ digest: inv.subject, inventory: toCycloneDx(inv) });
  }
  const sbomBytes = sboms.reduce((s, x) => s + x.inventory.length, 0);
  const distinct = new Set(sboms.flatMap((x) => [...x.inventory.matchAll(/"purl":"([^"]+)"/g)].map((m) => m[1]))).size;
  const newDb = syntheticDatabase(pool, DB_DOCUMENTS);
  const t0 = performance.now();
  let total = 0;
  for await (const r of rematch(sboms, newDb)) total += r.findings.length;
  const rematchMs = performance.now() - t0;
  const layerReads = blobs.opened.length;
  log(`re-match: ${INVENTORIES} stored SBOMs (${(sbomBytes / MiB).toFixed(0)} MiB, ${pool.length} packages each at most, ${distinct} distinct) against ${newDb.info().documents} advisories: ${(rematchMs / 1000).toFixed(2)} s, ${total} findings, ${layerReads} layer reads`);
  return { inventories: INVENTORIES, distinctPackages: distinct, advisories: newDb.info().documents, seconds: rematchMs / 1000, findings: total, layerReads };
}

/** `count` large images, each with layers of its own (built on disk, held in memory, the layout deleted). */
async function largeImages(dir: string, label: string, count: number): Promise<Image[]> {
  const out: Image[] = [];
  for (let i = 0; i < count; i++) {
    const built = await buildImage(dir, { name: `${label}-${i}`, layers: await benchImageFiles(`${label}-${i}`) });
    out.push(await imageFromLayout(built.layoutDir, built.manifestDigest));
    await rm(built.layoutDir, { recursive: true, force: true });
    await rm(built.dockerArchive, { force: true });
  }
  return out;
}

async function smallImages(label: string, count: number): Promise<Image[]> {
  const packages = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`bench-apk-${i}`, `1.${i}.0-r0`]));
  return Promise.all(Array.from({ length: count }, (_, i) => alpineImage(packages, `${label}-${i}`)));
}

async function processSections(dir: string, pool: readonly InventoryPackage[]): Promise<{ push: PushFigures[]; pull: PullFigures[] }> {
  log('process sections: building tools (scripts/testbed/build.sh crane)');
  execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), 'crane'], { stdio: 'inherit' });
  const osvDir = await writeOsvDirectory(join(dir, 'osv'), syntheticAdvisories(pool, DB_DOCUMENTS));
  const servers = await startSecurityServers(dir, osvDir, log);
  const push: PushFigures[] = [];
  let pull: PullFigures[] = [];
  try {
    if (enabled('push')) {
      // One image more than measured: the first warms both servers up.
      push.push(await runPushCase(servers, 'small (1 layer, 15 apk packages)', await smallImages('settled', PUSH_RUNS + 1), 'settled', log));
      push.push(await runPushCase(servers, 'small (1 layer, 15 apk packages)', await smallImages('b2b', PUSH_RUNS + 1), 'back to back', log));
      const large = `large (${pool.length} packages)`;
      push.push(await runPushCase(servers, large, await largeImages(dir, 'settled', PUSH_RUNS + 1), 'settled', log));
      push.push(await runPushCase(servers, large, await largeImages(dir, 'b2b', Math.ceil(PUSH_RUNS / 2) + 1), 'back to back', log));
    }
    if (enabled('pull')) {
      pull = await runPullCases(servers, PULL, log);
      const [none, noPolicy, policy] = pull;
      log(`manifest GET, median of ${PULL.repetitions}: policy with a cached verdict p99 ${policy.p99.toFixed(2)} ms vs no policy ${noPolicy.p99.toFixed(2)} ms ` +
        `(${(policy.p99 - noPolicy.p99 >= 0 ? '+' : '')}${(policy.p99 - noPolicy.p99).toFixed(2)} ms), vs no security config ${none.p99.toFixed(2)} ms; ` +
        `req/s ${policy.rps.toFixed(0)} vs ${noPolicy.rps.toFixed(0)} (${pct(policy.rps, noPolicy.rps)})`);
    }
  } finally {
    await servers.stop();
  }
  return { push, pull };
}

async function main(): Promise<void> {
  log(`machine: ${machineDescription()}`);
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-sec-'));
  try {
    const image = await buildImage(dir, { name: 'bench', layers: await benchImageFiles() });
    let bytes = 0;
    for (const d of image.layerDigests) bytes += (await stat(join(image.layoutDir, 'blobs/sha256', d.slice(7)))).size;
    const first = (await new Indexer({ openBlob: layoutBlobOpener(image.layoutDir).open }).index(image.manifestDigest)).inventories[0];
    log(`image: ${image.layerDigests.length} layers, ${(bytes / MiB).toFixed(1)} MiB compressed, ${first.packages.length} packages`);
    const scanOnPush = enabled('scan') ? await scanSection(image, first) : undefined;
    const rematchFigures = enabled('rematch') ? await rematchSection(image, first) : undefined;
    const processes = enabled('push') || enabled('pull') ? await processSections(dir, first.packages) : undefined;
    const out = flag('json');
    if (out) {
      await writeFile(out, JSON.stringify({
        machine: machineDescription(), loadAverageAtEnd: loadAverage(), image: { layers: image.layerDigests.length, compressedMiB: bytes / MiB, packages: first.packages.length },
        scanOnPush, rematch: rematchFigures, push: processes?.push, pull: processes?.pull && { ...PULL, cases: processes.pull },
      }, null, 2));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
