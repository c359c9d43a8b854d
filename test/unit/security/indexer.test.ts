// The indexer on images built from real package-database formats: each
// finder, whiteouts across layers, compression by content, the per-layer cache
// and multi-platform indexes.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Indexer } from '../../../registry/src/security/inventory/indexer.js';
import { readLayerFacts } from '../../../registry/src/security/inventory/layer-facts.js';
import { toCycloneDx, inventoryFromCycloneDx } from '../../../registry/src/security/inventory/cyclonedx.js';
import { buildImage, layerTar, layoutBlobOpener } from '../../harness/image-fixtures.js';
import { toolPath } from '../../harness/tools.js';
import * as CDX from '@cyclonedx/cyclonedx-library';

const APK = `C:Q1abc=
P:busybox
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox

P:libcrypto3
V:3.3.2-r0
A:x86_64
L:Apache-2.0
o:openssl
`;

const DPKG = `Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.15-1~deb12u1

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5+deb12u3)
Version: 1:2.38.1-5+deb12u3
Description: basic utilities from 4.4BSD-Lite
 This package contains the bare minimum.

Package: oldlib
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
`;

/** A zstd frame of raw blocks (RFC 8878 §3.1.1): valid zstd without a compressor. */
function zstdRawFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0]), Buffer.alloc(4)];
  parts[1].writeUInt32LE(data.length);
  for (let off = 0; off < data.length || off === 0; off += 128 * 1024) {
    const block = data.subarray(off, off + 128 * 1024);
    const last = off + 128 * 1024 >= data.length ? 1 : 0;
    const header = (block.length << 3) | last;
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
    if (last) break;
  }
  return Buffer.concat(parts);
}

describe('indexer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-indexer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds apk, dpkg, npm, Python and Go packages with their distro, and writes a valid CycloneDX 1.5 SBOM', async () => {
    const crane = await readFile(toolPath('crane'));
    const image = await buildImage(dir, {
      name: 'mixed',
      layers: [
        [
          { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n' },
          { path: 'lib/apk/db/installed', content: APK },
          { path: 'var/lib/dpkg/status', content: DPKG },
        ],
        [
          { path: 'app/package-lock.json', content: JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/@babel/traverse': { version: '7.22.5' }, 'node_modules/local': { link: true } } }) },
          { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
          { path: 'app/node_modules/lodash/fp/package.json', content: JSON.stringify({ name: 'not-a-package', version: '0' }) },
          { path: 'usr/lib/python3/site-packages/PyYAML-5.3.1.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\nLicense: MIT\n\nYAML parser\nName: not-this\n' },
          { path: 'usr/local/bin/crane', content: crane, mode: 0o755 },
        ],
      ],
    });
    const blobs = layoutBlobOpener(image.layoutDir);
    const result = await new Indexer({ openBlob: blobs.open }).index(image.manifestDigest);
    // Paused before each layer chunk (a scan on push yielding to writes): every chunk waited for, the same inventory.
    let pauses = 0;
    const paused = await new Indexer({ openBlob: blobs.open }).index(image.manifestDigest, async () => {
      pauses++;
      await new Promise((r) => setImmediate(r));
    });
    expect(paused.inventories).toEqual(result.inventories);
    expect(pauses).toBeGreaterThan(2);
    const inv = result.inventories[0];
    expect(inv.distro).toMatchObject({ id: 'alpine', versionId: '3.20.3' });
    expect(inv.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    const purls = inv.packages.map((p) => p.purl);
    expect(purls).toEqual(expect.arrayContaining([
      'pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3',
      'pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl',
      'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&upstream=openssl',
      'pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u3?arch=amd64&upstream=util-linux%402.38.1-5%2Bdeb12u3',
      'pkg:npm/lodash@4.17.20',
      'pkg:npm/%40babel/traverse@7.22.5',
      'pkg:pypi/pyyaml@5.3.1',
      'pkg:golang/stdlib@1.26.8',
      'pkg:golang/github.com/google/go-containerregistry@v0.22.1',
      'pkg:golang/github.com/docker/cli@v29.7.2+incompatible',
    ]));
    expect(purls.some((p) => p.includes('oldlib') || p.includes('not-a-package') || p.includes('not-this') || p.includes('local'))).toBe(false);
    expect(inv.packages.find((p) => p.name === 'lodash')!.locations).toEqual(['app/node_modules/lodash/package.json', 'app/package-lock.json']);

    const sbom = toCycloneDx(inv);
    expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5).validate(sbom)).toBeNull();
    expect(toCycloneDx(inv)).toBe(sbom); // deterministic
    const back = inventoryFromCycloneDx(sbom);
    expect(back.packages.map((p) => p.purl).sort()).toEqual(purls.slice().sort());
    expect([back.subject, back.platform, back.distro?.id]).toEqual([image.manifestDigest, inv.platform, 'alpine']);
  });

  it('applies whiteouts and opaque directories across layers', async () => {
    const lock = (v: string) => JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/lodash': { version: v } } });
    const image = await buildImage(dir, {
      name: 'whiteouts',
      layers: [
        [
          { path: 'a/package-lock.json', content: lock('1.0.0') },
          { path: 'b/package-lock.json', content: lock('2.0.0') },
          { path: 'c/node_modules/x/package.json', content: JSON.stringify({ name: 'x', version: '1.0.0' }) },
          { path: 'd/package-lock.json', content: lock('4.0.0') },
        ],
        [
          { path: 'a/.wh.package-lock.json', content: '' },
          { path: 'c/.wh..wh..opq', content: '' },
          { path: 'c/keep/package-lock.json', content: lock('3.0.0') },
          { path: '.wh.d', content: '' },
        ],
      ],
    });
    const inv = (await new Indexer({ openBlob: layoutBlobOpener(image.layoutDir).open }).index(image.manifestDigest)).inventories[0];
    expect(inv.packages.map((p) => `${p.name}@${p.version} ${p.locations.join()}`)).toEqual(['lodash@2.0.0 b/package-lock.json', 'lodash@3.0.0 c/keep/package-lock.json']);
  });

  it('reads plain, gzip and zstd layers alike, chosen by content', async () => {
    const t = await layerTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }]);
    const { gzipSync } = await import('node:zlib');
    for (const blob of [t, gzipSync(t), zstdRawFrame(t)]) {
      const facts = await readLayerFacts('sha256:x', Readable.from([blob.subarray(0, 3), blob.subarray(3)]));
      expect(facts.files['etc/os-release']).toContain('ID=debian');
    }
  });

  it('reads a layer shared by two images once, and indexes every platform of an index', async () => {
    const base = [{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' }, { path: 'lib/apk/db/installed', content: APK }];
    const amd = await buildImage(dir, { name: 'amd', layers: [base, [{ path: 'x/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/a': { version: '1.0.0' } } }) }]] });
    const arm = await buildImage(dir, { name: 'arm', architecture: 'arm64', layers: [base, [{ path: 'x/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/a': { version: '2.0.0' } } }) }]] });
    // One layout holding both images and an index over them.
    for (const d of [arm.manifestDigest, ...arm.layerDigests]) await copyFile(join(arm.layoutDir, 'blobs/sha256', d.slice(7)), join(amd.layoutDir, 'blobs/sha256', d.slice(7)));
    const armConfig = JSON.parse(await readFile(join(arm.layoutDir, 'blobs/sha256', arm.manifestDigest.slice(7)), 'utf8')).config.digest as string;
    await copyFile(join(arm.layoutDir, 'blobs/sha256', armConfig.slice(7)), join(amd.layoutDir, 'blobs/sha256', armConfig.slice(7)));
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.manifestDigest, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.manifestDigest, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.manifestDigest, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ] }));
    const indexDigest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
    await writeFile(join(amd.layoutDir, 'blobs/sha256', indexDigest.slice(7)), index);
    expect(amd.layerDigests[0]).toBe(arm.layerDigests[0]);

    const blobs = layoutBlobOpener(amd.layoutDir);
    const indexer = new Indexer({ openBlob: blobs.open });
    const result = await indexer.index(indexDigest);
    expect(result.isIndex).toBe(true);
    expect(result.inventories.map((i) => [i.subject, i.platform?.architecture, i.packages.find((p) => p.name === 'a')?.version])).toEqual([
      [amd.manifestDigest, 'amd64', '1.0.0'], [arm.manifestDigest, 'arm64', '2.0.0'],
    ]);
    expect(indexer.layerReads).toBe(3);
    expect(blobs.opened.filter((d) => d === amd.layerDigests[0])).toHaveLength(1);
  });
});
