import { Readable } from 'node:stream';
import { zipSync } from 'fflate';
import { aggregateFindings } from './aggregate.js';
import { cvss2BaseScore, cvss3BaseScore } from './cvss.js';
import { VulnDatabase } from './database.js';
import { toHarborReport } from './harbor-report.js';
import { findingKey, matchInventory, matchPackage, newFindings } from './matcher.js';
import { osvQueryOfPurl } from './query.js';
import { loadVulnDbArtifact, layerEcosystem, VULNDB_ARTIFACT_TYPE } from './vulndb-artifact.js';
import { rematch } from '../rematch.js';
import { toCycloneDx } from '../inventory/cyclonedx.js';
import type { Inventory } from '../inventory/model.js';

const doc = (id: string, ecosystem: string, name: string, events: object[], extra: object = {}) => ({
  schema_version: '1.6.0', id, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }], ...extra,
});

function db(...docs: object[]): VulnDatabase {
  const d = new VulnDatabase('sha256:db');
  for (const x of docs) d.add(x);
  return d;
}

const busybox = { purl: 'pkg:apk/alpine/busybox@1.36.1-r28?arch=x86_64&distro=alpine-3.20.3', name: 'busybox', version: '1.36.1-r28' };

describe('matcher', () => {
  it('reproduces the design note\'s three-advisory Alpine case exactly', () => {
    const d = db(
      doc('BERTH-2099-0001', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }, { fixed: '1.36.1-r29' }]),
      doc('BERTH-2099-0002', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }, { fixed: '1.36.1-r5' }]),
      doc('BERTH-2099-0003', 'Alpine:v3.19', 'busybox', [{ introduced: '0' }, { fixed: '1.36.1-r29' }]),
    );
    expect(matchPackage(d, busybox).map((f) => [f.id, f.fixedVersion])).toEqual([['BERTH-2099-0001', '1.36.1-r29']]);
    const at29 = { ...busybox, purl: busybox.purl.replace('r28', 'r29'), version: '1.36.1-r29' };
    expect(matchPackage(d, at29)).toEqual([]);
  });

  it('matches Debian binaries by source package and source version, advisories with no release on any release', () => {
    const d = db(doc('DSA-1', 'Debian:12', 'util-linux', [{ introduced: '0' }, { fixed: '2.38.1-5+deb12u4' }]), doc('DSA-2', 'Debian', 'util-linux', [{ introduced: '0' }]));
    const bsdutils = { purl: 'pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u3?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5%2Bdeb12u3', name: 'bsdutils', version: '1:2.38.1-5+deb12u3' };
    expect(osvQueryOfPurl(bsdutils.purl)).toEqual({ ecosystem: 'Debian:12', name: 'util-linux', version: '2.38.1-5+deb12u3' });
    expect(matchPackage(d, bsdutils).map((f) => [f.id, f.packageName, f.installedVersion, f.osvName])).toEqual([
      ['DSA-1', 'bsdutils', '1:2.38.1-5+deb12u3', 'util-linux'], ['DSA-2', 'bsdutils', '1:2.38.1-5+deb12u3', 'util-linux'],
    ]);
  });

  it('skips GIT ranges instead of stopping at them, and honours limit events', () => {
    const d = db(
      { ...doc('GIT-FIRST', 'npm', 'x', []), affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'GIT', repo: 'r', events: [{ introduced: '0' }] }, { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }] },
      doc('LIMITED', 'npm', 'x', [{ introduced: '0' }, { limit: '1.5.0' }]),
    );
    expect(matchPackage(d, { purl: 'pkg:npm/x@1.0.0', name: 'x', version: '1.0.0' }).map((f) => f.id)).toEqual(['GIT-FIRST', 'LIMITED']);
    expect(matchPackage(d, { purl: 'pkg:npm/x@1.6.0', name: 'x', version: '1.6.0' }).map((f) => f.id)).toEqual(['GIT-FIRST']);
  });

  it('normalizes PyPI names on both sides and leaves withdrawn and malformed documents out', () => {
    const d = db(doc('GHSA-a', 'PyPI', 'PyYAML', [{ introduced: '0' }, { fixed: '5.4' }]), doc('GHSA-w', 'PyPI', 'pyyaml', [{ introduced: '0' }], { withdrawn: '2024-02-01T00:00:00Z' }), { id: 42 });
    expect(matchPackage(d, { purl: 'pkg:pypi/pyyaml@5.3.1', name: 'PyYAML', version: '5.3.1' }).map((f) => f.id)).toEqual(['GHSA-a']);
    expect(d.info()).toMatchObject({ documents: 2, withdrawn: 1, rejected: 1, ecosystems: ['PyPI'] });
  });

  it('maps the Go toolchain to stdlib and strips the v of module versions', () => {
    expect(osvQueryOfPurl('pkg:golang/stdlib@1.22.5')).toEqual({ ecosystem: 'Go', name: 'stdlib', version: '1.22.5' });
    expect(osvQueryOfPurl('pkg:golang/golang.org/x/net@v0.23.0')).toEqual({ ecosystem: 'Go', name: 'golang.org/x/net', version: '0.23.0' });
    expect(osvQueryOfPurl('pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04')).toEqual({ ecosystem: 'Ubuntu:22.04:LTS', name: 'bash', version: '5.1-6ubuntu1' });
    expect(osvQueryOfPurl('pkg:maven/org.x/y@1.0')).toBeUndefined();
  });
});

describe('severity', () => {
  it('computes CVSS base scores', () => {
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(9.8);
    expect(cvss3BaseScore('CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H')).toBe(7.8);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N')).toBe(6.1);
    expect(cvss3BaseScore('CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N')).toBe(0);
    expect(cvss3BaseScore('CVSS:3.1/AV:X')).toBeUndefined();
    expect(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBe(7.5);
    expect(cvss2BaseScore('AV:N/AC:M/Au:N/C:N/I:P/A:N')).toBe(4.3);
  });

  it('writes Harbor v1.1 reports and filters by minSeverity, keeping the overall severity', () => {
    const d = db(
      doc('CRIT', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }, { fixed: '1.36.1-r30' }], { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }], references: [{ type: 'WEB', url: 'https://example.test/crit' }] }),
      doc('LOW', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }], { database_specific: { severity: 'LOW' } }),
      doc('UNK', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }]),
    );
    const findings = matchPackage(d, busybox);
    const ctx = { repository: 'lib/app', digest: 'sha256:img', mediaType: 'application/vnd.oci.image.manifest.v1+json', scannerVersion: 'builtin/1', dbDigest: 'sha256:db', generatedAt: new Date('2026-01-01T00:00:00Z') };
    const all = toHarborReport(findings, ctx);
    expect(all.severity).toBe('Critical');
    expect(all.vulnerabilities.map((v) => [v.id, v.severity])).toEqual([['CRIT', 'Critical'], ['LOW', 'Low'], ['UNK', 'Unknown']]);
    expect(all.vulnerabilities[0]).toMatchObject({ package: 'busybox', version: '1.36.1-r28', fix_version: '1.36.1-r30', links: ['https://example.test/crit'], preferred_cvss: { score_v3: 9.8 } });
    const high = toHarborReport(findings, { ...ctx, minSeverity: 'High' });
    expect([high.severity, high.vulnerabilities.map((v) => v.id)]).toEqual(['Critical', ['CRIT']]);
  });
});

describe('re-match and aggregation', () => {
  const inventory = (subject: string, version: string): Inventory => ({
    subject, indexer: 'builtin/1', layers: [], distro: { id: 'alpine', versionId: '3.20.3' },
    packages: [{ type: 'apk', name: 'busybox', version, purl: `pkg:apk/alpine/busybox@${version}?arch=x86_64&distro=alpine-3.20.3`, locations: ['lib/apk/db/installed'] }],
  });

  it('re-matches stored SBOMs against a new database and reports only what is new', async () => {
    const oldDb = db(doc('OLD', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }]));
    const newDb = db(doc('OLD', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }]), doc('NEW', 'Alpine:v3.20', 'busybox', [{ introduced: '1.36.0-r0' }, { fixed: '1.37.0-r0' }]));
    const inv = inventory('sha256:a', '1.36.1-r28');
    const previous = matchInventory(oldDb, inv).map(findingKey);
    const results = [];
    for await (const r of rematch([{ digest: 'sha256:a', inventory: toCycloneDx(inv), previousKeys: previous }], newDb)) results.push(r);
    expect(results.map((r) => [r.digest, r.dbDigest, r.findings.map((f) => f.id), r.added.map((f) => f.id)])).toEqual([['sha256:a', 'sha256:db', ['NEW', 'OLD'], ['NEW']]]);
    expect(newFindings(results[0].keys, results[0].findings)).toEqual([]);
  });

  it('aggregates an index\'s children, noting the platforms of each finding', () => {
    const d = db(doc('X', 'Alpine:v3.20', 'busybox', [{ introduced: '0' }]));
    const amd = { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' }, findings: matchInventory(d, inventory('sha256:amd', '1.36.1-r28')) };
    const arm = { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, findings: matchInventory(d, inventory('sha256:arm', '1.36.1-r28')) };
    expect(aggregateFindings([amd, arm]).map((f) => [f.id, f.platforms])).toEqual([['X', ['linux/amd64', 'linux/arm/v7']]]);
  });
});

describe('vulnerability database artifact', () => {
  it('loads one all.zip layer per ecosystem and refuses other artifacts', async () => {
    const zip = Buffer.from(zipSync({ 'A.json': Buffer.from(JSON.stringify(doc('A', 'npm', 'x', [{ introduced: '0' }]))), 'README.txt': Buffer.from('x') }));
    const blobs = new Map<string, Buffer>([
      ['sha256:zip', zip],
      ['sha256:m', Buffer.from(JSON.stringify({ schemaVersion: 2, artifactType: VULNDB_ARTIFACT_TYPE, layers: [{ mediaType: 'application/zip', digest: 'sha256:zip', size: zip.length, annotations: { 'org.opencontainers.image.title': 'npm/all.zip' } }] }))],
      ['sha256:other', Buffer.from(JSON.stringify({ schemaVersion: 2, artifactType: 'application/vnd.example', layers: [] }))],
    ]);
    const open = async (d: string) => Readable.from([blobs.get(d)!]);
    const loaded = await loadVulnDbArtifact('sha256:m', open);
    expect(loaded.info()).toMatchObject({ digest: 'sha256:m', documents: 1, ecosystems: ['npm'] });
    await expect(loadVulnDbArtifact('sha256:other', open)).rejects.toThrow('is not a vulnerability database');
    expect([layerEcosystem({ digest: 'x', annotations: { 'org.opencontainers.image.title': 'Debian.zip' } }), layerEcosystem({ digest: 'x' })]).toEqual(['Debian', undefined]);
  });
});
