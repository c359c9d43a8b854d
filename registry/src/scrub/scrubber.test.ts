// Scrub on real filesystem storage and a real SQLite index: an index built from
// storage answers as the one the writes kept; lost and stray rows are repaired;
// writes that died between storage and index are repaired from their journal
// entries; a repository with a write in flight is left alone.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../log.js';
import { MetadataIndex } from '../metadata/index.js';
import { Metrics } from '../metrics/metrics.js';
import { TagImmutability } from '../policy/immutability.js';
import { NO_QUOTAS } from '../policy/quota-gate.js';
import { RepositorySettings } from '../policy/repository-settings.js';
import { digestOf, type Digest } from '../reference.js';
import { openStorage, type RegistryStorage } from '../storage/registry-storage.js';
import { WritePath } from '../write/write-path.js';
import { IndexRepair } from './repair.js';
import { Scrubber } from './scrubber.js';

const ME = { subject: 'tester' };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const log = createLogger('silent');

let dir: string;
let storage: RegistryStorage;
let index: MetadataIndex;
let writes: WritePath;
const closing: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-scrub-'));
  const metrics = new Metrics({ defaultMetrics: false });
  storage = await openStorage({ filesystem: { root: join(dir, 'data') } }, metrics);
  index = await openIndex('index.db');
  writes = new WritePath({ storage, index, quota: NO_QUOTAS, immutability: new TagImmutability(new RepositorySettings([]), storage.tags), metrics, log, listeners: [] });
  closing.push(storage);
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openIndex(file: string): Promise<MetadataIndex> {
  const opened = await MetadataIndex.open({ engine: { engine: 'sqlite', path: join(dir, file) } });
  closing.push(opened);
  return opened;
}

async function blob(repo: string, content: Buffer = randomBytes(32)): Promise<{ digest: Digest; size: number }> {
  const digest = digestOf(content);
  await writes.blobs.putMonolithic(repo, digest, content, content.length, ME);
  return { digest, size: content.length };
}

async function image(repo: string, tag: string | undefined, platform = 'amd64'): Promise<{ digest: Digest; size: number }> {
  const configBody = Buffer.from(JSON.stringify({ architecture: platform, os: 'linux', created: '2026-01-02T03:04:05Z' }));
  const config = await blob(repo, configBody);
  const layer = await blob(repo);
  const body = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest.value, size: config.size },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest.value, size: layer.size }],
  }));
  const pushed = await writes.manifests.put(repo, tag ?? digestOf(body).value, body, OCI_MANIFEST, [], ME);
  return { digest: pushed.digest, size: body.length };
}

/** What the registry answers from the index, normalised for comparison. */
async function answers(idx: MetadataIndex): Promise<unknown> {
  const catalog = (await idx.catalog()).items;
  const perRepo: Record<string, unknown> = {};
  for (const repo of catalog) {
    const status = await idx.repositoryStatus(repo);
    const tags = (await idx.tagPage(repo)).items.map(({ tag, digest, mediaType, size, created, platforms }) => ({ tag, digest, mediaType, size, created, platforms }));
    perRepo[repo] = { tagCount: status?.tagCount, manifestCount: status?.manifestCount, sizeBytes: status?.sizeBytes, tags };
  }
  return { catalog, perRepo };
}

describe('scrub', () => {
  it('builds an index from storage alone that answers as the one the writes kept (the upgrade path)', async () => {
    const amd = await image('team/app', undefined, 'amd64');
    const arm = await image('team/app', undefined, 'arm64');
    const indexBody = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.digest.value, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: arm.digest.value, size: arm.size, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }));
    await writes.manifests.put('team/app', 'v1', indexBody, OCI_INDEX, ['latest'], ME);
    await image('other/tool', 'stable');
    await blob('blobs/only');

    const fresh = await openIndex('fresh.db');
    const report = await new Scrubber(storage, fresh, log).scrubAll();
    expect(report).toEqual(expect.objectContaining({ repositories: 3, repositoriesRemoved: 0, busy: [] }));
    expect(await answers(fresh)).toEqual(await answers(index));
    const v1 = (await fresh.tagPage('team/app')).items.find((t) => t.tag === 'v1');
    expect(v1?.platforms).toEqual([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]);
  });

  it('repairs lost and stray rows, and a dry run only reports them', async () => {
    const kept = await image('team/app', 'v1');
    const lost = await image('team/app', 'v2');
    await index.deleteManifest('team/app', lost.digest.value); // a lost index write
    await index.setTag('team/app', 'ghost', kept.digest.value); // a stray row
    const scrubber = new Scrubber(storage, index, log);
    const dry = await scrubber.scrubRepository('team/app', true);
    expect(dry).toEqual(expect.objectContaining({ manifestsAdded: 1, tagsSet: 1, tagsRemoved: 1 }));
    expect(await index.resolveTag('team/app', 'v2')).toBeUndefined();
    const fixed = await scrubber.scrubRepository('team/app');
    expect(fixed).toEqual(expect.objectContaining({ manifestsAdded: 1, tagsSet: 1, tagsRemoved: 1, manifestsRemoved: 0 }));
    expect(await index.resolveTag('team/app', 'v2')).toBe(lost.digest.value);
    expect(await index.resolveTag('team/app', 'ghost')).toBeUndefined();
    expect((await index.repositoryStatus('team/app'))?.tagCount).toBe(2);
    expect(await scrubber.scrubRepository('team/app')).toEqual(expect.objectContaining({ manifestsAdded: 0, tagsSet: 0, tagsRemoved: 0 }));
  });

  it('forgets a repository storage no longer has', async () => {
    await image('gone/app', 'v1');
    await storage.repositories.deleteContent('gone/app'); // behind the write path's back
    const report = await new Scrubber(storage, index, log).scrubAll();
    expect(report.repositoriesRemoved).toBe(1);
    expect(await index.repositoryStatus('gone/app')).toBeUndefined();
  });

  it('leaves a repository with a write in flight, and repairs after a write that died between storage and index', async () => {
    await image('team/app', 'v1');
    const scrubber = new Scrubber(storage, index, log);
    // A write that committed to storage and died before its index write: its journal entry stays open.
    const intent = await index.openIntent('team/app', 'manifest-put', Date.now() - 120_000);
    const orphan = await image('team/app', 'v2');
    await index.deleteManifest('team/app', orphan.digest.value);
    expect(await scrubber.scrubRepository('team/app')).toBe('busy');
    const repair = new IndexRepair(scrubber, index, log);
    expect(await repair.repair()).toBe(1);
    expect(await index.resolveTag('team/app', 'v2')).toBe(orphan.digest.value);
    expect(await index.openIntentsFor('team/app')).toBe(0);
    expect(intent).toBeGreaterThan(0);
  });
});
