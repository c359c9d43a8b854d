// What the supply-chain benchmarks scan and match: a ~44 MiB image of ~490
// packages in their real formats (this machine's dpkg database, npm, Python, a Go
// binary) and a synthetic OSV database (advisories for the
// images' packages, padded with unrelated ones) in memory or in osv.dev's
// <Ecosystem>/all.zip layout for a registry process.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { InventoryPackage } from '../../registry/src/security/inventory/model.js';
import { VulnDatabase } from '../../registry/src/security/osv/database.js';
import { osvQueryOfPurl } from '../../registry/src/security/osv/query.js';
import type { FixtureFile } from '../harness/image-fixtures.js';
import { blob, type Image } from '../harness/oci-client.js';
import { toolPath } from '../harness/tools.js';

/** Installed paragraphs of this machine's dpkg database (a real Debian 12 inventory), at most `max`. */
async function hostDpkgStatus(max: number): Promise<string> {
  const text = existsSync('/var/lib/dpkg/status') ? await readFile('/var/lib/dpkg/status', 'utf8') : '';
  return text.split(/\n\s*\n/).filter((p) => /^Status: install ok installed$/m.test(p)).slice(0, max).join('\n\n') + '\n';
}

function filler(prefix: string, files: number, bytes: number): FixtureFile[] {
  return Array.from({ length: files }, (_, i) => ({ path: `${prefix}/f${i}.bin`, content: randomBytes(bytes) }));
}

/**
 * The large image's layers: Debian base (dpkg status, os-release), a Go binary and
 * Python packages, an npm application. `seed` adds a file to every layer, so each
 * seed gives layers no earlier scan has cached.
 */
export async function benchImageFiles(seed?: string): Promise<FixtureFile[][]> {
  const npm = Array.from({ length: 80 }, (_, i) => [`bench-lib-${i}`, `1.${i % 7}.${i % 13}`]);
  const py = Array.from({ length: 20 }, (_, i) => [`bench_py_${i}`, `2.${i}.0`]);
  const seeded = seed === undefined ? [] : [{ path: 'etc/bench-seed', content: seed }];
  return [
    [
      { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
      { path: 'var/lib/dpkg/status', content: await hostDpkgStatus(380) },
      ...filler('usr/share/bench', 1000, 28 * 1024),
      ...seeded,
    ],
    [
      { path: 'usr/local/bin/crane', content: await readFile(toolPath('crane')), mode: 0o755 },
      ...py.map(([n, v]) => ({ path: `usr/local/lib/python3.11/site-packages/${n}-${v}.dist-info/METADATA`, content: `Metadata-Version: 2.1\nName: ${n}\nVersion: ${v}\n\n` })),
      ...seeded,
    ],
    [
      { path: 'srv/app/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: Object.fromEntries(npm.map(([n, v]) => [`node_modules/${n}`, { version: v }])) }) },
      ...npm.map(([n, v]) => ({ path: `srv/app/node_modules/${n}/package.json`, content: JSON.stringify({ name: n, version: v }) })),
      ...filler('srv/app/static', 450, 28 * 1024),
      ...seeded,
    ],
  ];
}

/** An image held in memory, read from an OCI layout (buildImage's output), for pushing over HTTP. */
export async function imageFromLayout(layoutDir: string, manifestDigest: string): Promise<Image> {
  const read = async (digest: string) => blob(await readFile(join(layoutDir, 'blobs/sha256', digest.slice(7))));
  const manifest = await read(manifestDigest);
  const parsed = JSON.parse(manifest.content.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const layers = await Promise.all(parsed.layers.map((l) => read(l.digest)));
  return { digest: manifestDigest, manifest, config: await read(parsed.config.digest), layers };
}

interface OsvDocument {
  readonly id: string;
  readonly affected: readonly { readonly package: { readonly ecosystem: string; readonly name: string }; readonly ranges: readonly object[] }[];
  readonly [field: string]: unknown;
}

/**
 * OSV documents: two per package of `pool` (one fixed at the installed version:
 * no finding; one fixed above it: a Critical finding), then unrelated ones up to `total`.
 */
export function syntheticAdvisories(pool: readonly InventoryPackage[], total: number): OsvDocument[] {
  const docs: OsvDocument[] = [];
  const add = (ecosystem: string, name: string, events: object[]) => docs.push({
    schema_version: '1.6.0', id: `BENCH-${docs.length}`, modified: '2026-01-01T00:00:00Z', summary: 'bench',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  });
  for (const p of pool) {
    const q = osvQueryOfPurl(p.purl);
    if (!q) continue;
    add(q.ecosystem, q.name, [{ introduced: '0' }, { fixed: q.version }]);
    add(q.ecosystem, q.name, [{ introduced: '0' }, { fixed: `${q.version}9` }]);
  }
  while (docs.length < total) add(['Debian:12', 'npm', 'PyPI', 'Go', 'Alpine:v3.20'][docs.length % 5], `unrelated-${docs.length}`, [{ introduced: '0' }, { fixed: '1.0.0' }]);
  return docs;
}

/** The advisories as an in-memory database (what the in-process scan and re-match figures use). */
export function syntheticDatabase(pool: readonly InventoryPackage[], total: number): VulnDatabase {
  const db = new VulnDatabase(`sha256:${randomBytes(32).toString('hex')}`);
  for (const doc of syntheticAdvisories(pool, total)) db.add(doc);
  return db;
}

/** The advisories in osv.dev's layout, <dir>/<Ecosystem>/all.zip, for `buildVulnDbArtifact`; returns dir. */
export async function writeOsvDirectory(dir: string, docs: readonly OsvDocument[]): Promise<string> {
  const byEcosystem = new Map<string, Record<string, Uint8Array>>();
  for (const d of docs) {
    const eco = d.affected[0].package.ecosystem.split(':')[0];
    const files = byEcosystem.get(eco) ?? {};
    files[`${d.id}.json`] = Buffer.from(JSON.stringify(d));
    byEcosystem.set(eco, files);
  }
  for (const [eco, files] of byEcosystem) {
    await mkdir(join(dir, eco), { recursive: true });
    await writeFile(join(dir, eco, 'all.zip'), zipSync(files, { level: 1 }));
  }
  return dir;
}
