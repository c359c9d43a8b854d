// `npm run bench:security [-- --runs=N] [-- --inventories=N] [-- --json=FILE]`
// Supply-chain figures on this machine:
//   1. scan on push: index an image of <= 50 MB with <= 500 packages (dpkg, npm,
//      Python, a Go binary), write its CycloneDX SBOM and match it: p50/p95 of
//      cold runs (no cached layer facts), and a warm run (layers cached);
//   2. re-match: 1,000 stored SBOMs against a new OSV database (~50,000
//      documents), counting layer reads (must stay 0).
// Run it under `flock /tmp/berth-heavy.lock` on a shared machine.
import { readFile, rm, mkdtemp, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Indexer } from '../../registry/src/security/inventory/indexer.js';
import { toCycloneDx } from '../../registry/src/security/inventory/cyclonedx.js';
import type { Inventory, InventoryPackage } from '../../registry/src/security/inventory/model.js';
import { VulnDatabase } from '../../registry/src/security/osv/database.js';
import { matchInventory } from '../../registry/src/security/osv/matcher.js';
import { osvQueryOfPurl } from '../../registry/src/security/osv/query.js';
import { rematch } from '../../registry/src/security/rematch.js';
import { buildImage, layoutBlobOpener, type FixtureFile } from '../harness/image-fixtures.js';
import { toolPath } from '../harness/tools.js';
import { machineDescription } from './machine.js';
import { loadAverage } from './cpu.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const RUNS = Number(flag('runs') ?? 20);
const INVENTORIES = Number(flag('inventories') ?? 1000);
const DB_DOCUMENTS = Number(flag('documents') ?? 50_000);
/** Every package of every image at its own version: no two images share a package (the worst case for re-match). */
const ALL_DISTINCT = args.includes('--all-distinct');
const MiB = 1024 * 1024;
const log = (line: string) => process.stdout.write(`[load ${loadAverage()}] ${line}\n`);

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Installed paragraphs of this machine's dpkg database (a real Debian 12 inventory), at most `max`. */
async function hostDpkgStatus(max: number): Promise<string> {
  const text = existsSync('/var/lib/dpkg/status') ? await readFile('/var/lib/dpkg/status', 'utf8') : '';
  return text.split(/\n\s*\n/).filter((p) => /^Status: install ok installed$/m.test(p)).slice(0, max).join('\n\n') + '\n';
}

function filler(prefix: string, files: number, bytes: number): FixtureFile[] {
  return Array.from({ length: files }, (_, i) => ({ path: `${prefix}/f${i}.bin`, content: randomBytes(bytes) }));
}

async function benchImageFiles(): Promise<FixtureFile[][]> {
  const npm = Array.from({ length: 80 }, (_, i) => [`bench-lib-${i}`, `1.${i % 7}.${i % 13}`]);
  const py = Array.from({ length: 20 }, (_, i) => [`bench_py_${i}`, `2.${i}.0`]);
  return [
    [
      { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
      { path: 'var/lib/dpkg/status', content: await hostDpkgStatus(380) },
      ...filler('usr/share/bench', 1000, 28 * 1024),
    ],
    [
      { path: 'usr/local/bin/crane', content: await readFile(toolPath('crane')), mode: 0o755 },
      ...py.map(([n, v]) => ({ path: `usr/local/lib/python3.11/site-packages/${n}-${v}.dist-info/METADATA`, content: `Metadata-Version: 2.1\nName: ${n}\nVersion: ${v}\n\n` })),
    ],
    [
      { path: 'srv/app/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: Object.fromEntries(npm.map(([n, v]) => [`node_modules/${n}`, { version: v }])) }) },
      ...npm.map(([n, v]) => ({ path: `srv/app/node_modules/${n}/package.json`, content: JSON.stringify({ name: n, version: v }) })),
      ...filler('srv/app/static', 450, 28 * 1024),
    ],
  ];
}

/** A synthetic OSV database: advisories for names the inventories hold (some affecting them), padded with others. */
function syntheticDatabase(pool: readonly InventoryPackage[], total: number): VulnDatabase {
  const db = new VulnDatabase(`sha256:${randomBytes(32).toString('hex')}`);
  let n = 0;
  const add = (ecosystem: string, name: string, events: object[]) => db.add({
    schema_version: '1.6.0', id: `BENCH-${n++}`, modified: '2026-01-01T00:00:00Z', summary: 'bench',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  });
  for (const p of pool) {
    const q = osvQueryOfPurl(p.purl);
    if (!q) continue;
    add(q.ecosystem, q.name, [{ introduced: '0' }, { fixed: q.version }]); // fixed at the installed version: no finding
    add(q.ecosystem, q.name, [{ introduced: '0' }, { fixed: `${q.version}9` }]); // above it: a finding
  }
  while (n < total) add(['Debian:12', 'npm', 'PyPI', 'Go', 'Alpine:v3.20'][n % 5], `unrelated-${n}`, [{ introduced: '0' }, { fixed: '1.0.0' }]);
  return db;
}

async function main(): Promise<void> {
  log(`machine: ${machineDescription()}`);
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-sec-'));
  try {
    const image = await buildImage(dir, { name: 'bench', layers: await benchImageFiles() });
    let bytes = 0;
    for (const d of image.layerDigests) bytes += (await stat(join(image.layoutDir, 'blobs/sha256', d.slice(7)))).size;
    const blobs = layoutBlobOpener(image.layoutDir);
    const first = (await new Indexer({ openBlob: blobs.open }).index(image.manifestDigest)).inventories[0];
    log(`image: ${image.layerDigests.length} layers, ${(bytes / MiB).toFixed(1)} MiB compressed, ${first.packages.length} packages`);
    const db = syntheticDatabase(first.packages, DB_DOCUMENTS);

    // 1. Scan on push, cold: every layer read and parsed.
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

    // 2. Re-match 1,000 stored SBOMs against a new database.
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
    const opensBefore = blobs.opened.length;
    const t0 = performance.now();
    let total = 0;
    for await (const r of rematch(sboms, newDb)) total += r.findings.length;
    const rematchMs = performance.now() - t0;
    const layerReads = blobs.opened.length - opensBefore;
    log(`re-match: ${INVENTORIES} stored SBOMs (${(sbomBytes / MiB).toFixed(0)} MiB, ${pool.length} packages each at most, ${distinct} distinct) against ${newDb.info().documents} advisories: ${(rematchMs / 1000).toFixed(2)} s, ${total} findings, ${layerReads} layer reads`);

    const out = flag('json');
    if (out) {
      await writeFile(out, JSON.stringify({
        machine: machineDescription(), image: { layers: image.layerDigests.length, compressedMiB: bytes / MiB, packages: first.packages.length },
        scanOnPush: { runs: RUNS, p50ms: percentile(cold, 50), p95ms: percentile(cold, 95), warmMs: warm, findings },
        rematch: { inventories: INVENTORIES, distinctPackages: distinct, advisories: newDb.info().documents, seconds: rematchMs / 1000, findings: total, layerReads },
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
