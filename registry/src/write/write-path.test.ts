// The write path's invariants, on real filesystem storage: what each write refuses
// before anything is committed, what it commits, and what its listeners are told.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { createLogger } from '../log.js';
import { MetadataIndex } from '../metadata/index.js';
import { Metrics } from '../metrics/metrics.js';
import { TagImmutability } from '../policy/immutability.js';
import { createQuotaGate } from '../policy/quota-gate.js';
import { RepositorySettings } from '../policy/repository-settings.js';
import { digestOf, type Digest } from '../reference.js';
import { openStorage, type RegistryStorage } from '../storage/registry-storage.js';
import { QuotaListener } from './quota-listener.js';
import type { Actor, WriteEvent } from './write-events.js';
import { WritePath } from './write-path.js';

const ME: Actor = { subject: 'tester', remote: '127.0.0.1' };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Fixture {
  readonly storage: RegistryStorage;
  readonly index: MetadataIndex;
  readonly writes: WritePath;
  readonly events: WriteEvent[];
}

let dir: string;
const open: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-write-')); });
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function fixture(repositories: ConstructorParameters<typeof RepositorySettings>[0] = [], failingListener = false): Promise<Fixture> {
  const metrics = new Metrics({ defaultMetrics: false });
  const storage = await openStorage({ filesystem: { root: dir } }, metrics);
  const index = await MetadataIndex.open({ engine: { engine: 'sqlite', path: join(dir, 'index.db') } });
  open.push(index, storage);
  const settings = new RepositorySettings(repositories);
  const quota = createQuotaGate(settings, storage, index, metrics);
  const events: WriteEvent[] = [];
  const listeners = [
    ...(failingListener ? [{ onWrite: () => { throw new Error('listener down'); } }] : []),
    new QuotaListener(quota),
    { onWrite: (e: WriteEvent) => { events.push(e); } },
  ];
  const writes = new WritePath({ storage, index, quota, immutability: new TagImmutability(settings, storage.tags), metrics, log: createLogger('silent'), listeners });
  return { storage, index, writes, events };
}

const entry = (match: string, extra: Record<string, unknown> = {}) =>
  ({ match, immutableTags: [], anonymousPull: false, ...extra }) as ConstructorParameters<typeof RepositorySettings>[0][number];

async function blob(f: Fixture, repo: string, content = randomBytes(64)): Promise<{ digest: Digest; size: number }> {
  const digest = digestOf(content);
  await f.writes.blobs.putMonolithic(repo, digest, content, content.length, ME);
  return { digest, size: content.length };
}

function manifestOf(config: { digest: Digest; size: number }, layers: { digest: Digest; size: number }[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest.value, size: config.size },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest.value, size: l.size })),
    ...extra,
  }));
}

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof RegistryError) return err.descriptor.name;
    throw err;
  }
}

describe('manifest pushes', () => {
  it('commit body, link and tags, then tell the listeners once', async () => {
    const f = await fixture();
    const body = manifestOf(await blob(f, 'a/app'), [await blob(f, 'a/app')]);
    const pushed = await f.writes.manifests.put('a/app', 'v1', body, OCI_MANIFEST, ['latest'], ME);
    expect(pushed.digest).toEqual(digestOf(body));
    expect((await f.storage.tags.resolve('a/app', 'v1'))?.value).toBe(pushed.digest.value);
    expect((await f.storage.tags.resolve('a/app', 'latest'))?.value).toBe(pushed.digest.value);
    expect((await f.storage.manifests.get('a/app', pushed.digest.value)).body.equals(body)).toBe(true);
    const puts = f.events.filter((e) => e.kind === 'manifest-put');
    expect(puts).toEqual([expect.objectContaining({ repo: 'a/app', tags: ['v1', 'latest'], actor: ME, mediaType: OCI_MANIFEST })]);
    // The index follows, and the journal entries are closed.
    expect(await f.index.resolveTag('a/app', 'latest')).toBe(pushed.digest.value);
    expect((await f.index.getManifest('a/app', pushed.digest.value))?.mediaType).toBe(OCI_MANIFEST);
    expect(await f.index.repositoryStatus('a/app')).toEqual(expect.objectContaining({ tagCount: 2, manifestCount: 1 }));
    expect(await f.index.staleIntents(Date.now() + 1)).toEqual([]);
  });

  it('refuse, with nothing written and nobody told: a digest that does not match, missing references, invalid JSON', async () => {
    const f = await fixture();
    const config = await blob(f, 'a/app');
    const body = manifestOf(config, [{ digest: digestOf('never uploaded'), size: 14 }]);
    expect(await refusal(f.writes.manifests.put('a/app', digestOf('other').value, body, OCI_MANIFEST, [], ME))).toBe('DIGEST_INVALID');
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', body, OCI_MANIFEST, [], ME))).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', Buffer.from('{'), OCI_MANIFEST, [], ME))).toBe('MANIFEST_INVALID');
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, ['bad tag'], ME))).toBe('TAG_INVALID');
    expect(await f.storage.tags.list('a/app')).toBeUndefined();
    expect(await f.storage.manifests.list('a/app')).toEqual([]);
    expect(f.events.filter((e) => e.kind === 'manifest-put')).toEqual([]);
    expect((await f.index.repositoryStatus('a/app'))?.manifestCount).toBe(0);
    expect(await f.index.staleIntents(Date.now() + 1)).toEqual([]);
  });

  it('content found present while no run is announced is asked of storage again only once a run has been announced since', async () => {
    const f = await fixture();
    const config = await blob(f, 'a/app');
    const layer = await blob(f, 'a/app');
    const body = manifestOf(config, [layer]);
    const asked: string[] = [];
    const exists = f.storage.blobs.exists.bind(f.storage.blobs);
    f.storage.blobs.exists = async (d) => { asked.push(d.value); return exists(d); };
    const put = async (tag: string) => {
      asked.length = 0;
      await f.writes.manifests.put('a/app', tag, body, OCI_MANIFEST, [], ME);
      return [...asked].sort();
    };
    const refs = [config.digest.value, layer.digest.value].sort();
    const all = [...refs, digestOf(body).value].sort();
    expect(await put('v1')).toEqual(refs); // the new body has no cached size: the store asks for it itself
    expect(await put('v2')).toEqual([digestOf(body).value]);
    expect(await put('v3')).toEqual([]);
    const run = await f.index.announceGcRun();
    expect(await put('v4')).toEqual(all); // while a run is announced: always storage
    await f.index.endGcRun(run);
    expect(await put('v5')).toEqual(all); // a run was announced since: storage again
    expect(await put('v6')).toEqual([]);
    expect((await f.storage.manifests.get('a/app', 'v6')).body.equals(body)).toBe(true);
  });

  it('a push of a manifest the index has leaves its link as it is while no run is announced', async () => {
    const f = await fixture();
    const body = manifestOf(await blob(f, 'a/app'), [await blob(f, 'a/app')]);
    const digest = digestOf(body);
    // The link's push time tells whether it was written again (ISO time, milliseconds).
    const put = async (tag: string) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await f.writes.manifests.put('a/app', tag, body, OCI_MANIFEST, [], ME);
      expect((await f.storage.tags.resolve('a/app', tag))?.value).toBe(digest.value);
      return (await f.storage.manifests.meta('a/app', digest))?.pushedAt;
    };
    const first = await put('v1');
    expect(await put('v2')).toBe(first);
    const run = await f.index.announceGcRun();
    const during = await put('v3'); // a run may be sweeping the link: it is written again
    expect(during).not.toBe(first);
    await f.index.endGcRun(run);
    expect(await put('v4')).toBe(during);
    await f.index.deleteManifest('a/app', digest.value); // the index behind storage: storage decides
    const unindexed = await put('v5');
    expect(unindexed).not.toBe(during);
    await f.writes.manifests.deleteManifest('a/app', digest, ME); // index first, then storage
    expect(await f.storage.manifests.isLinked('a/app', digest)).toBe(false);
    const repushed = await put('v6');
    expect(repushed).not.toBe(unindexed);
    expect((await f.storage.manifests.get('a/app', 'v6')).body.equals(body)).toBe(true);
    expect(await f.index.resolveTag('a/app', 'v6')).toBe(digest.value);
  });

  it('a blob linked in another repository only is missing here', async () => {
    const f = await fixture();
    const layer = await blob(f, 'other/app');
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', manifestOf(await blob(f, 'a/app'), [layer]), OCI_MANIFEST, [], ME)))
      .toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('never move an immutable tag, and never delete it by tag or through its manifest', async () => {
    const f = await fixture([entry('a/app', { immutableTags: ['v*'] })]);
    const config = await blob(f, 'a/app');
    const first = await f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, [], ME);
    await f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, [], ME); // same digest: a retry
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', manifestOf(config, [], { annotations: { x: 'y' } }), OCI_MANIFEST, [], ME))).toBe('DENIED');
    expect(await refusal(f.writes.manifests.deleteTag('a/app', 'v1', ME))).toBe('DENIED');
    expect(await refusal(f.writes.manifests.deleteManifest('a/app', first.digest, ME))).toBe('DENIED');
    expect((await f.storage.tags.resolve('a/app', 'v1'))?.value).toBe(first.digest.value);
  });

  it('refuse a push over the quota before committing it, and tell the listeners of the refusal', async () => {
    const f = await fixture([entry('q/app', { quotaBytes: 600 })]);
    const config = await blob(f, 'q/app', randomBytes(300));
    const layer = await blob(f, 'q/app', randomBytes(200));
    const body = manifestOf(config, [layer], { annotations: { pad: 'x'.repeat(200) } });
    expect(await refusal(f.writes.manifests.put('q/app', 'v1', body, OCI_MANIFEST, [], ME))).toBe('QUOTA_EXCEEDED');
    expect(await f.storage.manifests.list('q/app')).toEqual([]);
    expect(f.events.filter((e) => e.kind === 'quota-refused')).toEqual([expect.objectContaining({ repo: 'q/app', actor: ME })]);
  });
});

describe('blob writes', () => {
  it('a completed upload whose digest does not match commits nothing and discards the upload', async () => {
    const f = await fixture();
    const upload = await f.writes.blobs.start('a/app');
    await f.writes.blobs.append('a/app', upload.id, Buffer.from('hello'), {}, ME);
    expect(await refusal(f.writes.blobs.complete('a/app', upload.id, digestOf('other'), undefined, {}, ME))).toBe('DIGEST_INVALID');
    expect(await f.storage.blobs.exists(digestOf('hello'))).toBe(false);
    expect(await refusal(f.storage.uploads.info('a/app', upload.id))).toBe('BLOB_UPLOAD_UNKNOWN');
    expect(f.events.filter((e) => e.kind === 'blob-linked')).toEqual([]);
  });

  it('a chunked upload becomes visible only when completed, then the listeners hear of it', async () => {
    const f = await fixture();
    const upload = await f.writes.blobs.start('a/app');
    await f.writes.blobs.append('a/app', upload.id, Buffer.from('hel'), { start: 0 }, ME);
    expect(await refusal(f.writes.blobs.append('a/app', upload.id, Buffer.from('x'), { start: 0 }, ME))).toBe('RANGE_INVALID');
    expect(await f.storage.blobs.isLinked('a/app', digestOf('hello'))).toBe(false);
    await f.writes.blobs.complete('a/app', upload.id, digestOf('hello'), Buffer.from('lo'), { start: 3 }, ME);
    expect(await f.storage.blobs.stat('a/app', digestOf('hello'))).toEqual({ digest: digestOf('hello'), size: 5 });
    expect(f.events.filter((e) => e.kind === 'blob-linked')).toEqual([expect.objectContaining({ repo: 'a/app', size: 5 })]);
    expect(await f.index.linkedBlob('a/app', digestOf('hello').value)).toEqual(expect.objectContaining({ size: 5 }));
  });

  it('mount only what the caller may read, from where it is linked; a digest alone only when unrestricted', async () => {
    const f = await fixture();
    const b = await blob(f, 'src/app');
    const readsAll = { canPull: () => true, unrestricted: false };
    expect(await f.writes.blobs.mount('dst/app', b.digest, 'src/app', { canPull: () => false, unrestricted: false }, ME)).toBe(false);
    expect(await f.writes.blobs.mount('dst/app', b.digest, 'dst/app', readsAll, ME)).toBe(false);
    expect(await f.writes.blobs.mount('dst/app', b.digest, 'elsewhere/app', readsAll, ME)).toBe(false);
    expect(await f.writes.blobs.mount('dst/app', b.digest, undefined, readsAll, ME)).toBe(false);
    expect(await f.storage.blobs.isLinked('dst/app', b.digest)).toBe(false);
    expect(await f.writes.blobs.mount('dst/app', b.digest, 'src/app', readsAll, ME)).toBe(true);
    expect(await f.writes.blobs.mount('any/app', b.digest, undefined, { canPull: () => true, unrestricted: true }, ME)).toBe(true);
    expect(await f.storage.blobs.isLinked('any/app', b.digest)).toBe(true);
  });

  it('a mount over the quota is refused and leaves no link', async () => {
    const f = await fixture([entry('q/**', { quotaBytes: 100 })]);
    const b = await blob(f, 'src/app', randomBytes(150));
    expect(await refusal(f.writes.blobs.mount('q/app', b.digest, 'src/app', { canPull: () => true, unrestricted: false }, ME))).toBe('QUOTA_EXCEEDED');
    expect(await f.storage.blobs.isLinked('q/app', b.digest)).toBe(false);
  });

  it('a monolithic upload over the quota leaves no upload behind', async () => {
    const f = await fixture([entry('q/app', { quotaBytes: 100 })]);
    const content = randomBytes(150);
    expect(await refusal(f.writes.blobs.putMonolithic('q/app', digestOf(content), content, content.length, ME))).toBe('QUOTA_EXCEEDED');
    expect(await f.storage.uploads.list()).toEqual([]);
  });
});

describe('deletes and listeners', () => {
  it('tell the listeners what went, with who asked and why', async () => {
    const f = await fixture();
    const config = await blob(f, 'a/app');
    const m = await f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, ['v2'], ME);
    await f.writes.manifests.deleteTag('a/app', 'v2', ME);
    expect(await refusal(f.writes.manifests.deleteTag('a/app', 'v2', ME))).toBe('MANIFEST_UNKNOWN');
    expect(await f.writes.retention.deleteManifest('a/app', m.digest, 'too old')).toBe(true);
    expect(await f.writes.retention.deleteManifest('a/app', m.digest, 'too old')).toBe(false);
    await f.writes.blobs.unlink('a/app', config.digest, ME);
    expect(await refusal(f.writes.blobs.unlink('a/app', config.digest, ME))).toBe('BLOB_UNKNOWN');
    expect(f.events.filter((e) => e.kind !== 'blob-linked' && e.kind !== 'manifest-put').map((e) => [e.kind, 'actor' in e ? e.actor.subject : ''])).toEqual([
      ['tag-deleted', 'tester'], ['manifest-deleted', 'retention'], ['blob-unlinked', 'tester'],
    ]);
    expect(f.events.find((e) => e.kind === 'manifest-deleted')).toEqual(expect.objectContaining({ tags: ['v1'], reason: 'too old' }));
    // The index let go of each before storage did, and no journal entry is left.
    expect(await f.index.resolveTag('a/app', 'v1')).toBeUndefined();
    expect(await f.index.getManifest('a/app', m.digest.value)).toBeUndefined();
    expect(await f.index.linkedBlob('a/app', config.digest.value)).toBeUndefined();
    expect(await f.index.staleIntents(Date.now() + 1)).toEqual([]);
  });

  it('with the index closed (the database gone), writes are refused with 503 before storage changes', async () => {
    const f = await fixture();
    const config = await blob(f, 'a/app');
    await f.index.close();
    expect(await refusal(f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, [], ME))).toBe('UNAVAILABLE');
    expect(await refusal(blob(f, 'a/app'))).toBe('UNAVAILABLE');
    expect(await refusal(f.writes.blobs.unlink('a/app', config.digest, ME))).toBe('UNAVAILABLE');
    expect(await f.storage.tags.list('a/app')).toBeUndefined();
    expect(await f.storage.blobs.isLinked('a/app', config.digest)).toBe(true);
  });

  it('a failing listener never undoes a committed write, nor keeps the others from hearing of it', async () => {
    const f = await fixture([], true);
    const config = await blob(f, 'a/app');
    const m = await f.writes.manifests.put('a/app', 'v1', manifestOf(config, []), OCI_MANIFEST, [], ME);
    expect((await f.storage.tags.resolve('a/app', 'v1'))?.value).toBe(m.digest.value);
    expect(f.events.map((e) => e.kind)).toEqual(['blob-linked', 'manifest-put']);
  });

  it('a whole repository goes, and an unknown one is NAME_UNKNOWN', async () => {
    const f = await fixture();
    await f.writes.manifests.put('a/app', 'v1', manifestOf(await blob(f, 'a/app'), []), OCI_MANIFEST, [], ME);
    await f.writes.manifests.deleteRepository('a/app', ME);
    expect(await f.storage.repositories.exists('a/app')).toBe(false);
    expect(await f.index.repositoryStatus('a/app')).toBeUndefined();
    expect(await refusal(f.writes.manifests.deleteRepository('a/app', ME))).toBe('NAME_UNKNOWN');
  });
});
