// The oracle: osv-scanner v2.5.0, run offline on the same images, the same
// SBOMs and the same OSV database, must report what Berth's matcher reports,
// except where osv-scanner is known to be wrong, and there it must report
// exactly what a model of its known defects predicts (oracle-model.ts), while
// Berth gives the right answer stated in the case table.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { zipSync } from 'fflate';
import { Indexer } from '../../../registry/src/security/inventory/indexer.js';
import { toCycloneDx } from '../../../registry/src/security/inventory/cyclonedx.js';
import type { Inventory } from '../../../registry/src/security/inventory/model.js';
import { matchInventory } from '../../../registry/src/security/osv/matcher.js';
import type { OsvVulnerability } from '../../../registry/src/security/osv/schema.js';
import { buildVulnDbArtifact, loadVulnDbArtifact } from '../../../registry/src/security/osv/vulndb-artifact.js';
import type { VulnDatabase } from '../../../registry/src/security/osv/database.js';
import { normalizePythonName } from '../../../registry/src/security/versions/pep440.js';
import { buildImage, layoutBlobOpener, type FixtureImage } from '../../harness/image-fixtures.js';
import { toolPath } from '../../harness/tools.js';
import { ALPINE_CASES, ALPINE_IMAGE, DEBIAN_CASES, DEBIAN_IMAGE, goCases, goImage, NPM_CASES, NPM_IMAGE, PYPI_CASES, PYPI_IMAGE, type OracleCase, type OsvDoc } from './oracle-cases.js';
import { BERTH, modelFindings, OSV_SCANNER_IMAGE, OSV_SCANNER_SBOM, type FindingKey } from './oracle-model.js';
import { osvScanner } from './osv-scanner.js';

/** Advisories for this machine's own Debian 12 packages: real IDs and fixed versions. */
const HOST_DOCS: OsvDoc[] = [
  ['DEBIAN-CVE-2023-4911', 'glibc', '2.36-9+deb12u3'], ['DEBIAN-CVE-2024-28085', 'util-linux', '2.38.1-5+deb12u1'],
  ['DEBIAN-CVE-2023-5363', 'openssl', '3.0.11-1~deb12u2'], ['DSA-5417-1', 'openssl', '3.0.9-1'], ['DEBIAN-CVE-2023-4039', 'gcc-12', '12.2.0-14+deb12u1'],
  ['DEBIAN-CVE-2022-48303', 'tar', '1.34+dfsg-1.2+deb12u1'], ['DEBIAN-CVE-2023-29383', 'shadow', '1:4.13+dfsg1-1+deb12u1'],
].map(([id, name, fixed]) => ({ schema_version: '1.6.0', id, modified: '2024-10-01T00:00:00Z', published: '2024-01-01T00:00:00Z', summary: id,
  affected: [{ package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] }));

interface Subject {
  readonly image: FixtureImage;
  readonly cases: readonly OracleCase[];
}

/** The case's key as findings spell it (PyPI names normalized, as installed names are). */
function keyOf(c: OracleCase): FindingKey {
  const { ecosystem, name } = c.doc.affected[0].package;
  const base = ecosystem.split(':')[0];
  return `${base}|${base === 'PyPI' ? normalizePythonName(name) : name}|${c.doc.id}`;
}

describe('built-in matcher against osv-scanner v2.5.0 (offline)', () => {
  let dir: string;
  let dbDir: string;
  let db: VulnDatabase;
  let allDocs: OsvVulnerability[];
  const subjects: Subject[] = [];
  const inventories = new Map<string, Inventory>();
  const table: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-oracle-'));
    subjects.push(
      { image: ALPINE_IMAGE, cases: ALPINE_CASES },
      { image: DEBIAN_IMAGE, cases: DEBIAN_CASES },
      { image: NPM_IMAGE, cases: NPM_CASES },
      { image: PYPI_IMAGE, cases: PYPI_CASES },
      { image: goImage(await readFile(toolPath('crane'))), cases: goCases() },
      { image: { name: 'debian-host', layers: [[
        { path: 'etc/os-release', content: await readFile('/etc/os-release') },
        { path: 'var/lib/dpkg/status', content: await readFile('/var/lib/dpkg/status') },
      ]] }, cases: [] },
    );
    // osv-scanner's offline layout: <db>/osv-scalibr/<Ecosystem>/all.zip.
    dbDir = join(dir, 'db');
    const docs = [...subjects.flatMap((s) => s.cases.map((c) => c.doc)), ...HOST_DOCS];
    allDocs = docs;
    const byEcosystem = new Map<string, OsvDoc[]>();
    for (const d of docs) {
      const eco = d.affected[0].package.ecosystem.split(':')[0];
      byEcosystem.set(eco, [...(byEcosystem.get(eco) ?? []), d]);
    }
    for (const [eco, list] of byEcosystem) {
      await mkdir(join(dbDir, 'osv-scalibr', eco), { recursive: true });
      await writeFile(join(dbDir, 'osv-scalibr', eco, 'all.zip'), zipSync(Object.fromEntries(list.map((d) => [`${d.id}.json`, Buffer.from(JSON.stringify(d))]))));
    }
    // Berth reads the same zips through its OCI artifact form.
    const artifact = await buildVulnDbArtifact(join(dbDir, 'osv-scalibr'));
    const blobs = new Map(artifact.blobs).set(artifact.manifestDigest, artifact.manifest);
    db = await loadVulnDbArtifact(artifact.manifestDigest, async (d) => Readable.from([blobs.get(d)!]));
    expect(db.info()).toMatchObject({ documents: docs.length, rejected: 0, withdrawn: 2 });

    for (const s of subjects) {
      const built = await buildImage(dir, s.image);
      const inv = (await new Indexer({ openBlob: layoutBlobOpener(built.layoutDir).open }).index(built.manifestDigest)).inventories[0];
      inventories.set(s.image.name, inv);
      await writeFile(join(dir, `${s.image.name}.cdx.json`), toCycloneDx(inv));
    }
  });

  afterAll(async () => {
    if (table.length) process.stdout.write(`\noracle agreement (osv-scanner v2.5.0):\n${table.join('\n')}\n`);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function berthKeys(inv: Inventory): Set<FindingKey> {
    return new Set(matchInventory(db, inv).map((f) => `${f.ecosystem.split(':')[0]}|${f.osvName}|${f.id}`));
  }

  it('has at least 30 cases, covering every comparator', () => {
    const cases = subjects.flatMap((s) => s.cases);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.doc.affected[0].package.ecosystem.split(':')[0]))).toEqual(new Set(['Alpine', 'Debian', 'npm', 'PyPI', 'Go']));
  });

  it('gives the stated answer in every case', () => {
    for (const s of subjects) {
      const found = berthKeys(inventories.get(s.image.name)!);
      for (const c of s.cases) expect([c.doc.id, c.why, found.has(keyOf(c))]).toEqual([c.doc.id, c.why, c.affected]);
    }
  });

  it.each(['alpine-320', 'debian-12-edges', 'npm-app', 'python-app', 'go-binary', 'debian-host'])('%s: osv-scanner scan image agrees, or errs exactly as its known defects predict', async (name) => {
    const s = subjects.find((x) => x.image.name === name)!;
    const inv = inventories.get(name)!;
    const oracle = await osvScanner(['scan', 'image', '--archive', join(dir, `${name}.tar`)], dbDir);
    const berth = berthKeys(inv);
    expect(modelFindings(allDocs, inv, BERTH)).toEqual(berth);
    expect([...oracle].sort()).toEqual([...modelFindings(allDocs, inv, OSV_SCANNER_IMAGE)].sort());
    record(table, `image ${name}`, s.cases, berth, oracle);
  });

  it.each(['alpine-320', 'debian-12-edges', 'npm-app', 'python-app', 'go-binary'])('%s: osv-scanner on Berth\'s SBOM agrees, or errs exactly as its known defects predict', async (name) => {
    const s = subjects.find((x) => x.image.name === name)!;
    const inv = inventories.get(name)!;
    const oracle = await osvScanner(['scan', 'source', '-L', join(dir, `${name}.cdx.json`)], dbDir);
    expect([...oracle].sort()).toEqual([...modelFindings(allDocs, inv, OSV_SCANNER_SBOM)].sort());
    record(table, `sbom  ${name}`, s.cases, berthKeys(inv), oracle);
  });
});

/** One table row: cases, agreements, and each disagreement with the defect behind it. */
function record(table: string[], label: string, cases: readonly OracleCase[], berth: Set<FindingKey>, oracle: Set<FindingKey>): void {
  const keys = new Set([...berth, ...oracle, ...cases.map(keyOf)]);
  const differ = [...keys].filter((k) => berth.has(k) !== oracle.has(k));
  table.push(`${label.padEnd(28)} pairs ${String(keys.size).padStart(3)}  agree ${String(keys.size - differ.length).padStart(3)}  differ ${differ.length}${differ.length ? `: ${differ.map((k) => `${k} (Berth ${berth.has(k) ? 'affected' : 'not affected'})`).join('; ')}` : ''}`);
}
